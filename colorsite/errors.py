"""The site's 500 handler (``handler500`` in the URLconf). A database that does not answer
(restarting, failing over, out of connections) is not a bug: the visitor gets a 503 page that
says so, with Retry-After, and the log a one-line warning instead of a traceback."""

import logging
import sys

from django.db import DatabaseError, InterfaceError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.defaults import server_error

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def server_error_or_unavailable(request: HttpRequest) -> HttpResponse | HttpResponseServerError:
    """Called by Django inside its handling of an uncaught exception, which ``sys.exc_info()``
    still holds. Neither page touches the database."""
    error = sys.exc_info()[1]
    if not isinstance(error, (DatabaseError, InterfaceError)):
        return server_error(request)
    logger.warning("Database unavailable: %s %s answered 503 (%s)", request.method, request.path, type(error).__name__)
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
