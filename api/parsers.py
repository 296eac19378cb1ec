"""The API's JSON parser: DRF's, plus an answer for a body nested too deep to parse."""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """DRF's JSONParser catches only ValueError: a body of 100,000 nested brackets raises
    RecursionError inside ``json``, which would be a 500. Here it is a 400 like any other
    malformed body."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
