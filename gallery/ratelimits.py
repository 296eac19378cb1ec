"""Who a request comes from, and the per-client limit on job-creating requests (each file of a
batch upload counts as one).

The limit is django-ratelimit's fixed window on the shared cache (``CACHES["default"]``: Redis
with REDIS_URL, else the database cache), so every web process counts together. Uploads,
colour-point re-runs and retries share one counter per client (GALLERY_RATE_LIMIT, e.g.
"20/10m"); past it the answer is a 429 page that says when to come back.

The client is the network address the outermost trusted proxy saw (DJANGO_PROXY_HOPS: how many
proxies append to X-Forwarded-For; 0 ignores the header, which anyone can write). IPv6
addresses count per /64, the block one household or phone usually has.
"""

import hashlib
import hmac
import ipaddress
import logging
import math
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

JOB_REQUESTS = "gallery.job-requests"


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind PROXY_HOPS proxies the address the
    outermost one appended to X-Forwarded-For (entries further left came from the client)."""
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"
    hops = settings.PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote
    candidate = forwarded[max(len(forwarded) - hops, 0)]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_network(request: HttpRequest) -> str:
    """The client's address, an IPv6 one reduced to its /64."""
    address = ipaddress.ip_address(client_ip(request))
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def client_key(request: HttpRequest) -> str:
    """A stable, keyed hash of the client's network: what a job stores for the per-client
    queue cap, never the address itself."""
    digest = hmac.new(settings.SECRET_KEY.encode(), client_network(request).encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def job_request_rate(group: str, request: HttpRequest) -> str | None:
    return settings.GALLERY_RATE_LIMIT or None  # "" switches the limit off


def limit_job_requests(view):
    """Count each POST to ``view`` against the client's job-request limit; past it, answer
    429 without running the view. If the cache cannot be reached the request goes through
    (logged): the queue caps still hold."""

    @wraps(view)
    def limited_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            usage = count_job_request(request)
            if usage is not None:
                return too_many_requests(request, limit=usage["limit"], retry_after=usage["time_left"])
        return view(request, *args, **kwargs)

    return limited_view


def count_job_request(request: HttpRequest) -> dict | None:
    """Count one job-creating request (a POST, or one more file of a batch upload) against the
    client's limit. Returns django-ratelimit's usage (``limit``, ``time_left``) when the
    client is past it, else None (also when the cache did not answer: logged)."""
    try:
        usage = get_usage(request, group=JOB_REQUESTS, key="ip", rate=job_request_rate, method="POST", increment=True)
    except Exception:
        logger.exception("Rate limit not checked: the cache did not answer")
        return None
    return usage if usage is not None and usage["should_limit"] else None


def too_many_requests(request: HttpRequest, *, limit: int, retry_after: int) -> HttpResponse:
    """The friendly 429 page: how many requests the limit allows and when to come back."""
    retry_after = max(int(retry_after), 60)
    context = {
        "limit": limit,
        "minutes": math.ceil(retry_after / 60),
        "come_back_at": timezone.now() + timedelta(seconds=retry_after),
    }
    response = render(request, "gallery/too_many_requests.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response
