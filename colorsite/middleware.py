"""Middleware of the project's own, ahead of Django's in MIDDLEWARE (see the settings)."""

from django.http import HttpRequest, HttpResponse

from colorsite.health import HEALTH_CHECK_PATH
from gallery.forms import batch_bytes_limit

API_PREFIX = "/api/"


def announced_length(request: HttpRequest) -> int:
    """The body's length as the client announced it (0 when absent or unreadable)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def largest_web_request() -> int:
    """The largest request body the website ever reads: a full batch upload, with a megabyte
    for the form's fields and the multipart framing."""
    return batch_bytes_limit() + 1024 * 1024


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
            length = announced_length(request)
            if length > largest_web_request():
                from gallery.views import upload_too_big  # the page is the website's to render

                return upload_too_big(request, length=length)
        return self.get_response(request)
