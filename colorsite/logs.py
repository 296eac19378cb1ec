"""One log format for the site and the worker: every line says what happened, and to which
request and which job.

Production writes one JSON object per line (python-json-logger: ``timestamp``, ``level``,
``logger``, ``message``, ``event``, ``request_id``, ``job_id`` and the line's own fields); a
local run writes the same lines as readable text (``LOG_FORMAT``). The request id is the load
balancer's trace id when there is one (``X-Amzn-Trace-Id: Root=...``), else a new one; the
request middleware (:class:`colorsite.middleware.RequestLogMiddleware`) sets it for the
request's lines and answers it as ``X-Request-ID``. The worker sets the job id for a run's
lines (:func:`job_context`). Job ids are the jobs' database ids, never their private links;
client addresses, file names, keys and tokens never go into a line.

Whoever writes a line (the site, Django's own loggers, gunicorn's), :class:`ScrubFilter` on
the one handler takes out what would still give a person away: a private link's UUID becomes
``:id``, a query string ``?…``, a client's address ``<address>`` (:func:`scrub`; Sentry's
events go through the same function, colorsite.sentry).
"""

import contextvars
import copy
import ipaddress
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
job_id: contextvars.ContextVar[str] = contextvars.ContextVar("job_id", default="")

_TRACE_ROOT = re.compile(r"Root=([0-9A-Za-z-]{1,64})")
# The form Django's <uuid:...> paths take (a private link); a sha256 or a 32-digit id is left.
_UUID = re.compile(
    r"(?<![0-9A-Fa-f-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Fa-f-])"
)
_QUERY = re.compile(r"(?<=[\w/])\?[^\s\"'<>]+")  # after a path, not a regex's (?P<
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\w)")
_IPV6 = re.compile(r"(?<![\w:.])(?=[0-9A-Fa-f:.]*::|(?:[0-9A-Fa-f]{1,4}:){7})[0-9A-Fa-f:.]{2,45}(?![\w:])")
# A record's own attributes that hold no text from a request.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_CONTEXT_FIELDS = frozenset({"request_id", "job_id"})  # ours: a database id, a random id


def _address(match: re.Match[str]) -> str:
    text = match.group(0)
    end = "." if text.endswith(".") else ""  # a sentence's full stop
    try:
        address = ipaddress.ip_address(text.removesuffix("."))
    except ValueError:
        return text  # a time of day
    return text if address.is_unspecified or address.is_loopback else "<address>" + end


def scrub(text: str) -> str:
    """``text`` without private links (UUIDs), query strings or network addresses. 0.0.0.0, ::
    and loopback addresses stay: they name this machine (its nginx, its database), not a person;
    gunicorn listens on 127.0.0.1 only, so every client it sees is its own nginx."""
    text = _UUID.sub(":id", text)
    text = _QUERY.sub("?…", text)
    text = _IPV6.sub(_address, text)
    return _IPV4.sub(_address, text)


class ScrubFilter(logging.Filter):
    """Hands its handler a scrubbed copy (:func:`scrub`) of every line: its message, its
    traceback and its text fields. The record itself stays as it was for the other handlers
    and for Sentry's logging integration, which reads it after them (and scrubs its own copy,
    colorsite.sentry)."""

    def filter(self, record: logging.LogRecord) -> logging.LogRecord:
        record = copy.copy(record)
        record.msg, record.args = scrub(record.getMessage()), None
        if record.exc_info:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        for name, value in list(vars(record).items()):
            if name in _RECORD_FIELDS or name in _CONTEXT_FIELDS or isinstance(value, (int, float, list, dict)):
                continue
            if value is not None:  # text, or an object a formatter would write as text (Django's request)
                setattr(record, name, scrub(str(value)))
        return record


class ContextFilter(logging.Filter):
    """Adds the current request id and job id to every record (a line's own ``extra`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id.get()
        if not getattr(record, "job_id", ""):
            record.job_id = job_id.get()
        if not hasattr(record, "event"):
            record.event = ""
        return True


def new_request_id(trace_header: str | None) -> str:
    """The load balancer's trace root (``Root=1-5f84c7a1-...``) when the header has one, else a
    new random id."""
    match = _TRACE_ROOT.search(trace_header or "")
    return match.group(1) if match else uuid.uuid4().hex


def loggable_path(path: str) -> str:
    """``path`` with every UUID (a job's or a batch's private link) replaced by ``:id``."""
    return _UUID.sub(":id", path)[:300]


@contextmanager
def job_context(job: object) -> Iterator[None]:
    """Tag the lines written inside the block with ``job``'s id (its database id)."""
    token = job_id.set(str(getattr(job, "pk", job)))
    try:
        yield
    finally:
        job_id.reset(token)


def logging_config(*, json_lines: bool, level: str) -> dict:
    """Django's LOGGING: every line through the context filter, as JSON or as text."""
    fields = "%(timestamp)s %(levelname)s %(name)s %(message)s %(event)s %(request_id)s %(job_id)s"
    formatters = {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": fields,
            "timestamp": True,
            "rename_fields": {"levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [req %(request_id)s job %(job_id)s] %(message)s"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "colorsite.logs.ContextFilter"}, "scrub": {"()": "colorsite.logs.ScrubFilter"}},
        "formatters": formatters,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context", "scrub"],
                "formatter": "json" if json_lines else "text",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # Our access line replaces django.request's 4xx warnings (the same request, twice).
        "loggers": {"django.request": {"level": "ERROR"}},
    }
