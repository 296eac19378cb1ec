"""Colour hints: the one type that forms, the CLI, the worker and the pipeline share.

A hint is a point in the ORIGINAL photo's pixels and the sRGB colour wanted there. Anything
that arrives from outside (a form's JSON, a hints file, a stored job) goes through
:func:`parse_hints`, which refuses with :class:`BadHints` (a user-readable message) rather
than guessing or silently dropping points.
"""

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from colorize import colour, decoding
from colorize.errors import BadHints

AB_SCALE = decoding.AB_SCALE  # ab units per unit of the networks' normalised ab
_COLOUR_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")
# A hints document is a flat list of small objects; anything much longer is not one.
_MAX_JSON_CHARS_PER_HINT = 200


@dataclass(frozen=True)
class Hint:
    """A colour hint: a point in original-image pixels and the sRGB colour wanted there."""

    x: float
    y: float
    color: str

    @property
    def rgb(self) -> tuple[int, int, int]:
        return parse_colour(self.color)

    def as_dict(self) -> dict[str, Any]:
        return {"x": self.x, "y": self.y, "color": self.color}


def parse_colour(color: object) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b) integers; BadHints for anything else."""
    match = _COLOUR_RE.match(str(color).strip())
    if not match:
        raise BadHints(
            f"a hint colour must look like '#a0522d', not {color!r}", user_message="Colours must look like #rrggbb."
        )
    value = match.group(1)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _coordinate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"not a number: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def parse_hints(
    data: object, *, image_size: tuple[int, int] | None = None, max_hints: int | None = None
) -> tuple[Hint, ...]:
    """Hints from decoded JSON: a list of {"x", "y", "color"} objects (or Hint instances).

    Checks the count against ``max_hints`` (None: any count), that x and y are finite numbers,
    the colours, and (given ``image_size``) that every point lies inside the photo. Returns
    the hints with colours normalised to lower-case '#rrggbb'; raises BadHints otherwise.
    """
    if not isinstance(data, (list, tuple)):
        raise BadHints("hints must be a list of points", user_message="The colour points could not be read.")
    if max_hints is not None and len(data) > max_hints:
        raise BadHints(
            f"{len(data)} hints, over the limit of {max_hints}",
            user_message=f"At most {max_hints} colour points, please.",
        )
    hints = []
    for item in data:
        if isinstance(item, Hint):
            item = item.as_dict()
        try:
            x, y = _coordinate(item["x"]), _coordinate(item["y"])
            color = item["color"]
        except (TypeError, KeyError, ValueError, OverflowError) as error:
            raise BadHints(
                f"bad hint {item!r}: each point needs finite x, y and a color ({error})",
                user_message="The colour points could not be read.",
            ) from None
        red, green, blue = parse_colour(color)
        hints.append(Hint(x, y, f"#{red:02x}{green:02x}{blue:02x}"))
    if image_size is not None:
        check_inside(hints, image_size)
    return tuple(hints)


def parse_hints_json(text: str, *, max_hints: int, image_size: tuple[int, int] | None = None) -> tuple[Hint, ...]:
    """:func:`parse_hints` on a JSON string, refusing documents too long to be a hint list
    before decoding them (deep nesting or huge numbers never reach the decoder)."""
    if len(text) > _MAX_JSON_CHARS_PER_HINT * (max_hints + 1):
        raise BadHints("the hints document is too long", user_message=f"At most {max_hints} colour points, please.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadHints("the hints are not valid JSON", user_message="The colour points could not be read.") from None
    return parse_hints(data, image_size=image_size, max_hints=max_hints)


def check_inside(hints: Iterable[Hint], image_size: tuple[int, int]) -> None:
    width, height = image_size
    for hint in hints:
        if not (0 <= hint.x < width and 0 <= hint.y < height):
            raise BadHints(
                f"hint ({hint.x}, {hint.y}) lies outside the {width}x{height} image",
                user_message="A colour point lies outside the picture.",
            )


def hint_ab(color: str) -> npt.NDArray[np.float64]:
    """The ab of an sRGB colour (its L is not used: the photo decides lightness)."""
    return np.asarray(colour.rgb_to_lab(np.array(parse_colour(color), dtype=np.float64) / 255.0)[1:], dtype=np.float64)


def network_inputs(
    hints: Sequence[Hint], image_size: tuple[int, int], input_size: int = 256
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Hints -> (ab_norm 1x2xSxS, mask 1x1xSxS) for a network whose input is SxS.

    As in SIGGRAPH17: the hint's ab (from its sRGB colour), normalised by 110, fills a small
    square patch (3x3 at 256) around the point mapped from original-image pixels; the mask
    is 1 on that patch and 0 elsewhere.
    """
    width, height = image_size
    size = int(input_size)
    radius = max(1, round(size / 256))
    ab = np.zeros((1, 2, size, size), dtype=np.float32)
    mask = np.zeros((1, 1, size, size), dtype=np.float32)
    check_inside(hints, image_size)
    for hint in hints:
        column = min(int(hint.x * size / width), size - 1)
        row = min(int(hint.y * size / height), size - 1)
        rows = slice(max(0, row - radius), row + radius + 1)
        columns = slice(max(0, column - radius), column + radius + 1)
        ab[0, :, rows, columns] = (hint_ab(hint.color) / AB_SCALE)[:, None, None]
        mask[0, :, rows, columns] = 1.0
    return ab, mask


def grid_points(
    hints: Sequence[Hint], image_size: tuple[int, int]
) -> list[tuple[float, float, npt.NDArray[np.float32]]]:
    """Each hint as (row, column) in fractions of the picture's height and width, and its
    normalised ab: what :func:`colorize.anchoring.anchor` needs, at any grid size."""
    width, height = image_size
    return [(hint.y / height, hint.x / width, (hint_ab(hint.color) / AB_SCALE).astype(np.float32)) for hint in hints]
