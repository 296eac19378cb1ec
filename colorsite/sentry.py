"""Errors reach a person: with ``SENTRY_DSN`` set, unhandled errors of the web and the worker,
and every line logged at ERROR (a job that failed on our side, not because of its photo), go to
Sentry, tagged with the request's and the job's ids (colorsite.logs). Personal data stays off:
no client addresses, cookies, request bodies or user details are sent, and every text of an
event is scrubbed as the log lines are (colorsite.logs.scrub: no private link, query string or
address). Anyone can make Django log a "suspicious" request at ERROR (a bad Host header,
too many form fields), so each kind of event is sent a few times per window and then dropped
until the window ends: no client can spend the project's Sentry quota."""

import logging
import threading
import time
from collections import defaultdict
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.types import Event

from colorsite import logs

# Request headers that name the client.
_CLIENT_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded", "cookie", "authorization")


# Per process: at most this many events of one kind per window (seconds). A client can trigger
# django.security's at will; one of each is enough to know it happens.
EVENTS_PER_WINDOW, SECURITY_EVENTS_PER_WINDOW, WINDOW_SECONDS = 10, 1, 600
_sent: defaultdict[str, list[float]] = defaultdict(list)
_sent_lock = threading.Lock()
clock = time.monotonic  # the tests move it


MAX_KINDS = 1000  # kinds remembered at once: a client varying its text cannot grow the table


def _kind(event: Event) -> str:
    """What makes two events "the same kind": django.security's logger alone (its text holds
    whatever the client sent); else the logger and the exception type, or the message's
    template (before its arguments, as the logging integration sends it)."""
    logger = str(event.get("logger") or "")
    if logger.startswith("django.security"):
        return logger
    exception = ((event.get("exception") or {}).get("values") or [{}])[-1].get("type", "")
    logentry = event.get("logentry") or {}
    return f"{logger}|{exception or logentry.get('message', '')}"


def _within_budget(event: Event) -> bool:
    kind = _kind(event)
    budget = SECURITY_EVENTS_PER_WINDOW if kind.startswith("django.security") else EVENTS_PER_WINDOW
    now = clock()
    with _sent_lock:
        if len(_sent) >= MAX_KINDS:
            for stale in [name for name, times in _sent.items() if all(now - sent >= WINDOW_SECONDS for sent in times)]:
                del _sent[stale]
            if len(_sent) >= MAX_KINDS and kind not in _sent:
                return False
        recent = [sent for sent in _sent[kind] if now - sent < WINDOW_SECONDS]
        if len(recent) >= budget:
            _sent[kind] = recent
            return False
        _sent[kind] = [*recent, now]
    return True


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return logs.scrub(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    return value


def before_send(event: Event, hint: dict[str, Any]) -> Event | None:
    """Drop an event past its kind's budget; else tag it, take out whatever names the client,
    and scrub every text."""
    if not _within_budget(event):
        return None
    event = _tag_ids(event, hint)
    tags = event.pop("tags", {})
    event = _scrubbed(event)
    event["tags"] = tags  # our ids: a database id and a random one
    request = event.get("request") or {}
    request.pop("query_string", None)
    return event


def _tag_ids(event: Event, hint: dict[str, Any]) -> Event:
    """Tag the event with the request's and the job's ids; take out whatever names the client."""
    tags = event.setdefault("tags", {})
    for name, value in (("request_id", logs.request_id.get()), ("job_id", logs.job_id.get())):
        if value:
            tags[name] = value
    event.pop("user", None)
    request: dict[str, Any] = event.get("request") or {}
    request.pop("env", None)  # REMOTE_ADDR
    headers: dict[str, Any] = request.get("headers") or {}
    for header in [name for name in headers if name.lower() in _CLIENT_HEADERS]:
        headers.pop(header)
    return event


def sentry_init(dsn: str, *, environment: str = "production") -> None:
    """Send errors to the Sentry project at ``dsn`` ("" switches it off)."""
    sentry_sdk.init(
        dsn=dsn or None,
        environment=environment,
        integrations=[DjangoIntegration(), LoggingIntegration(event_level=logging.ERROR)],
        # Nothing about the person: no user, no cookies, no bodies, no query strings (a key or
        # a token may be there), no local variables (a photo's name may be one).
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "cookies": {"mode": "off"},
            "url_query_params": {"mode": "off"},
            "stack_frame_variables": False,
            "database_query_data": False,
        },
        traces_sample_rate=0.0,
        before_send=before_send,
    )
