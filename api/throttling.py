"""The per-key request limit (API_RATE_LIMIT): the website's sliding window
(gallery.ratelimits) on the cache every process shares. Past it: 429 with Retry-After."""

import logging

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from api.models import ApiKey
from gallery.ratelimits import parse_rate, sliding_window_hit

logger = logging.getLogger(__name__)

API_REQUESTS = "api.requests"


class ApiKeyRateThrottle(BaseThrottle):
    """Counts every request made with a key; requests without one are not counted (they are
    refused anyway). If the cache cannot be reached the request goes through (logged)."""

    retry_after: int | None = None
    limit: int | None = None

    def allow_request(self, request, view) -> bool:
        api_key = request.auth
        rate = parse_rate(settings.API_RATE_LIMIT)
        if not isinstance(api_key, ApiKey) or rate is None:
            return True
        try:
            usage = sliding_window_hit(API_REQUESTS, api_key.prefix, rate)
        except Exception:
            logger.exception("API rate limit not checked: the cache did not answer")
            return True
        if not usage.allowed:
            self.retry_after, self.limit = max(usage.retry_after, 1), usage.limit
        return usage.allowed

    def wait(self) -> int | None:
        return self.retry_after
