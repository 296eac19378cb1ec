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
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
job_id: contextvars.ContextVar[str] = contextvars.ContextVar("job_id", default="")

_TRACE_ROOT = re.compile(r"Root=([0-9A-Za-z-]{1,64})")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


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
        "filters": {"context": {"()": "colorsite.logs.ContextFilter"}},
        "formatters": formatters,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": "json" if json_lines else "text",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # Our access line replaces django.request's 4xx warnings (the same request, twice).
        "loggers": {"django.request": {"level": "ERROR"}},
    }
