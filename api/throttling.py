"""The per-key request limit (API_RATE_LIMIT): django-ratelimit's fixed window on the cache
every process shares, as for the website's limits. Past it: 429 with Retry-After."""

import logging

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from api.models import ApiKey

logger = logging.getLogger(__name__)

API_REQUESTS = "api.requests"


def api_rate(group, request) -> str | None:
    return settings.API_RATE_LIMIT or None  # "" switches the limit off


class ApiKeyRateThrottle(BaseThrottle):
    """Counts every request made with a key; requests without one are not counted (they are
    refused anyway). If the cache cannot be reached the request goes through (logged)."""

    retry_after: int | None = None
    limit: int | None = None

    def allow_request(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        try:
            usage = get_usage(
                request._request,
                group=API_REQUESTS,
                key=lambda group, req: api_key.prefix,
                rate=api_rate,
                increment=True,
            )
        except Exception:
            logger.exception("API rate limit not checked: the cache did not answer")
            return True
        if usage is not None and usage["should_limit"]:
            self.retry_after, self.limit = max(int(usage["time_left"]), 1), usage["limit"]
            return False
        return True

    def wait(self) -> int | None:
        return self.retry_after
