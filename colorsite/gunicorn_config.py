"""gunicorn's settings hooks for the web tier (scripts/start-web passes this file with -c; the
command line there sets everything else)."""

import os

from colorsite.logs import logging_config

# gunicorn's own lines (start, stop, a timed-out worker) in the site's format: JSON in
# production, text locally, as the settings choose (colorsite.logs).
_production = os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".production")
logconfig_dict = logging_config(
    json_lines=os.environ.get("LOG_FORMAT", "json" if _production else "text") == "json",
    level=os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
)
logconfig_dict["loggers"].update(
    {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        # The site writes each request's one access line itself (colorsite.middleware), without
        # the client's address; gunicorn's own would be a second line, with it.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    }
)

# gunicorn drains at most this much of a body the application did not read before it reuses
# the connection (gunicorn.http.parser._DRAIN_MAX_BYTES); past it the connection is closed.
DRAINABLE_BODY_BYTES = 64 * 1024


def _announced_length(req) -> int | None:
    """The request's Content-Length, None when chunked or unreadable."""
    for name, value in req.headers:
        if name.upper() == "CONTENT-LENGTH":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def pre_request(worker, req):
    """A request whose body gunicorn might not be able to drain is answered with
    ``Connection: close``. Such a body may go unread (a refused upload: 401, 403, 413, 429),
    and gunicorn then closes the connection; without this the answer said "keep-alive" and
    the client's next request on the socket failed. Small bodies keep the connection."""
    length = _announced_length(req)
    if req.method in ("POST", "PUT", "PATCH") and (length is None or length > DRAINABLE_BODY_BYTES):
        req.must_close = True


def post_worker_init(worker):
    """Each web process sweeps this machine's upload spool (what a killed request left in
    FILE_UPLOAD_TEMP_DIR): the web tier receives the uploads, and on Elastic Beanstalk the
    worker tier runs on other machines."""
    from gallery.services.sweep import upload_spool_sweeper_start

    upload_spool_sweeper_start()
