"""Middleware of the project's own, ahead of Django's in MIDDLEWARE (see the settings)."""

import logging
import time

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from colorsite import logs
from colorsite.health import HEALTH_CHECK_PATH
from gallery.forms import batch_bytes_limit
from gallery.ratelimits import RequestTooLarge, request_size_check

API_PREFIX = "/api/"
TOO_LARGE = "This request is larger than any form of this site sends.\n"


class RequestSizeLimitMiddleware:
    """Refuses a website request whose announced body is larger than the site ever reads, before
    anything reads it: CsrfViewMiddleware, further down, parses the whole body (spooling it to
    FILE_UPLOAD_TEMP_DIR) to find its token. The answer is the upload page with the reason,
    413. The API (under /api/) refuses its own with a JSON 413 at its smaller, per-photo limit
    (api.views); its views are exempt from CSRF, so nothing reads the body before them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and not request.path_info.startswith((API_PREFIX, HEALTH_CHECK_PATH)):
            # Only the upload page takes photos (a full batch at most); every other form (the
            # admin's login, a caption) is small.
            is_upload = _view_name(request.path_info) == "gallery:upload"
            try:
                request_size_check(request, photo_bytes=batch_bytes_limit() if is_upload else 0)
            except RequestTooLarge as error:
                if not is_upload:
                    return HttpResponse(TOO_LARGE, status=413, content_type="text/plain; charset=utf-8")
                from gallery.views.uploads import upload_too_big  # the page is the website's to render

                return upload_too_big(request, length=error.length)
        return self.get_response(request)


def _view_name(path: str) -> str:
    try:
        return resolve(path).view_name
    except Resolver404:
        return ""


access_log = logging.getLogger("colorsite.access")


class RequestLogMiddleware:
    """First of all: gives the request its id (colorsite.logs: the load balancer's trace id, else
    a new one) for every line it writes, answers it as ``X-Request-ID``, and writes the one
    access line (method, path with private ids masked, status, bytes, milliseconds). No client
    address, no query string (it may carry a key or a token)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = logs.new_request_id(request.headers.get("X-Amzn-Trace-Id"))
        token = logs.request_id.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            size = None if response.streaming else len(response.content)
            path = logs.loggable_path(request.path)
            milliseconds = round(1000 * (time.monotonic() - started), 1)
            access_log.info(
                "%s %s %s %s B %s ms",
                request.method,
                path,
                response.status_code,
                "-" if size is None else size,
                milliseconds,
                extra={
                    "event": "request",
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "bytes": size,
                    "duration_ms": milliseconds,
                },
            )
            return response
        finally:
            logs.request_id.reset(token)
