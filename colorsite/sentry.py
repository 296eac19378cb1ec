"""Errors reach a person: with ``SENTRY_DSN`` set, unhandled errors of the web and the worker,
and every line logged at ERROR (a job that failed on our side, not because of its photo), go to
Sentry, tagged with the request's and the job's ids (colorsite.logs). Personal data stays off:
no client addresses, cookies, request bodies or user details are sent."""

import logging
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.types import Event

from colorsite import logs

# Request headers that name the client.
_CLIENT_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded", "cookie", "authorization")


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
        before_send=_tag_ids,
    )
