"""GET /healthz for Elastic Beanstalk's load balancer: 200 "ok" when the database answers a
trivial query, 503 when it does not.

Answered by a middleware placed first in MIDDLEWARE, so before SecurityMiddleware and
CommonMiddleware: the health checker asks each instance by its private IP (not in
ALLOWED_HOSTS) over plain HTTP, and must get neither a 400 for the host nor a redirect to
HTTPS. The host header is never read here."""

import logging

from django.db import DatabaseError, connection
from django.http import HttpResponse

HEALTH_CHECK_PATH = "/healthz"

logger = logging.getLogger(__name__)


def database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        return False
    return True


def healthz(request):
    if database_answers():
        response = HttpResponse("ok", content_type="text/plain")
    else:
        response = HttpResponse("database unavailable", content_type="text/plain", status=503)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_CHECK_PATH:
            return healthz(request)
        return self.get_response(request)
