"""The site's 500 handler (``handler500`` in the URLconf). A database that does not answer
(restarting, failing over, out of connections) is not a bug: the visitor gets a 503 page that
says so, with Retry-After, and the log a one-line warning instead of a traceback. Nor is a full
disk (the upload spool filling while a request's body is read): a 503 that says so, and an
error line for the operator."""

import contextlib
import errno
import logging
import sys

from django.db import DatabaseError, InterfaceError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.defaults import server_error

from colorsite import logs

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def server_error_or_unavailable(request: HttpRequest) -> HttpResponse | HttpResponseServerError:
    """Called by Django inside its handling of an uncaught exception, which ``sys.exc_info()``
    still holds. Neither page touches the database."""
    error = sys.exc_info()[1]
    path = logs.loggable_path(request.path)
    out_of_space = isinstance(error, OSError) and error.errno == errno.ENOSPC
    if out_of_space:
        _discard_spooled_upload(request)
        logger.error("Out of disk space: %s %s answered 503", request.method, path, extra={"event": "disk.full"})
    elif isinstance(error, (DatabaseError, InterfaceError)):
        logger.warning("Database unavailable: %s %s answered 503 (%s)", request.method, path, type(error).__name__)
    else:
        return server_error(request)
    response = HttpResponse(loader.get_template("503.html").render({"out_of_space": out_of_space}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _discard_spooled_upload(request: HttpRequest) -> None:
    """Close (so delete) the temporary file an upload handler was writing when the disk filled:
    Django's parser gives up on it without closing it, and nothing else holds it."""
    for handler in getattr(request, "_upload_handlers", None) or []:
        spooled = getattr(handler, "file", None)
        if spooled is not None:
            with contextlib.suppress(OSError):
                spooled.close()
