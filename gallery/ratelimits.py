"""Who a request comes from, and the per-client limit on job-creating requests (each file of a
batch upload counts as one).

The limit is a sliding window (``sliding_window_hit``) on the shared cache
(``CACHES["default"]``: Redis with REDIS_URL, else the database cache), so every web process
counts together. Whatever makes a job or a new version with files of its own (uploads,
retries, colour-point and vividness re-runs) shares one counter per client
(GALLERY_RATE_LIMIT, e.g. "20/10m"); an owner's picks of another colouring, which store no new
photo, another (GALLERY_EDIT_RATE_LIMIT), so trying the colourings never uses up the uploads,
and neither is unlimited. Past either the answer is a 429 page that says when to come
back. The API's per-key limit (api.throttling) is the same window.

The client is the network address the outermost trusted proxy saw (DJANGO_PROXY_HOPS: how many
proxies append to X-Forwarded-For; 0 ignores the header, which anyone can write). IPv6
addresses count per /64, the block one household or phone usually has.

The size of a request is limited here too (``request_size_check``), before anything reads its
body: for the website by colorsite.middleware, for the API by api.views.
"""

import hashlib
import hmac
import ipaddress
import logging
import math
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

logger = logging.getLogger(__name__)

JOB_REQUESTS = "gallery.job-requests"
EDIT_REQUESTS = "gallery.edit-requests"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE_PATTERN = re.compile(r"(\d+)/(\d*)([smhd])")
clock = time.time  # the tests move it across a window's end


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds


def parse_rate(text: str) -> Rate | None:
    """ "20/10m": 20 requests per 10 minutes (units s, m, h, d; "120/m" is per minute); "" is
    no limit."""
    if not text:
        return None
    match = RATE_PATTERN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a rate like 20/10m: {text!r}")
    count, multiple, unit = match.groups()
    return Rate(limit=int(count), period=int(multiple or 1) * PERIODS[unit])


@dataclass(frozen=True)
class Usage:
    """One request counted against a rate: ``allowed`` or not; if not, ``retry_after`` is the
    seconds until it would be."""

    allowed: bool
    limit: int
    retry_after: int = 0


def sliding_window_hit(group: str, key: str, rate: Rate) -> Usage:
    """Count one request of ``key`` against ``rate`` in a sliding window, if there is room.

    A fixed window lets a client send ``limit`` requests just before a window ends and
    ``limit`` more just after. Here the count is the current fixed window's requests plus the
    previous window's, weighted by how much of that window still lies within one period of
    now (the sliding-window counter: two cache entries per client, no list of timestamps).
    Refused requests are not counted. Two requests at the same instant may both take the
    last place: a soft limit, like the queue caps. Raises what the cache raises."""
    now = clock()
    window = int(now // rate.period)
    prefix = f"{settings.RATE_LIMIT_CACHE_PREFIX}{group}:{key}"
    current_key, previous_key = f"{prefix}:{window}", f"{prefix}:{window - 1}"
    counts = cache.get_many([current_key, previous_key])
    current, previous = counts.get(current_key, 0), counts.get(previous_key, 0)
    elapsed = now - window * rate.period
    if current + previous * (1 - elapsed / rate.period) + 1 > rate.limit:
        return Usage(allowed=False, limit=rate.limit, retry_after=_seconds_until_room(current, previous, elapsed, rate))
    if not cache.add(current_key, 1, timeout=2 * rate.period + 60):
        cache.incr(current_key)
    return Usage(allowed=True, limit=rate.limit)


def _seconds_until_room(current: int, previous: int, elapsed: float, rate: Rate) -> int:
    """When one more request fits: the previous window's weight falls as time passes, and at
    the next window the current one becomes the previous."""
    room, period = rate.limit - 1, rate.period
    if current <= room and previous:
        return math.ceil(period * (1 - (room - current) / previous) - elapsed)
    later = period * (1 - room / current) if current else 0.0
    return math.ceil(period - elapsed + later)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind PROXY_HOPS proxies the address the
    outermost one appended to X-Forwarded-For (entries further left came from the client;
    with fewer entries than proxies, REMOTE_ADDR)."""
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104  (an address to count by, not one to bind)
    hops = settings.PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        # Fewer entries than proxies: the request did not come through them all, so the
        # leftmost entry may be the client's own writing.
        return remote
    candidate = forwarded[len(forwarded) - hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_network(request: HttpRequest) -> str:
    """The client's address, an IPv6 one reduced to its /64 (an IPv4 client of a server
    listening on IPv6 arrives as ::ffff:a.b.c.d: its IPv4 address, not one /64 for all)."""
    address = ipaddress.ip_address(client_ip(request))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def client_key(request: HttpRequest) -> str:
    """A stable, keyed hash of the client's network: what a job stores for the per-client
    queue cap, never the address itself."""
    digest = hmac.new(settings.SECRET_KEY.encode(), client_network(request).encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def login_client_description(username, ip_address, user_agent, path_info, request) -> str:
    """How django-axes names a login attempt in its log lines: by the same keyed hash as the
    queue caps, never the address or the username."""
    return f"client {client_key(request)[:12]} at {path_info}"


def _limited(group: str, rate_setting: str):
    """A view decorator counting each POST against ``rate_setting``'s limit in ``group``."""

    def decorate(view):
        @wraps(view)
        def limited_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                refused = count_request(request, group=group, rate_setting=rate_setting)
                if refused is not None:
                    return too_many_requests(request, limit=refused.limit, retry_after=refused.retry_after)
            return view(request, *args, **kwargs)

        return limited_view

    return decorate


# Count each POST to the view against the client's limit; past it, answer 429 without running
# the view. If the cache cannot be reached the request goes through (logged): the queue caps
# still hold.
limit_job_requests = _limited(JOB_REQUESTS, "GALLERY_RATE_LIMIT")  # uploads, retries, re-runs
limit_edit_requests = _limited(EDIT_REQUESTS, "GALLERY_EDIT_RATE_LIMIT")  # picks of another colouring


def count_request(request: HttpRequest, *, group: str, rate_setting: str) -> Usage | None:
    """Count one request of the client in ``group`` against the limit the setting named
    ``rate_setting`` holds. Returns the refusal when the client is past it, else None (also
    when the cache did not answer: logged)."""
    rate = parse_rate(getattr(settings, rate_setting))
    if rate is None:
        return None
    try:
        usage = sliding_window_hit(group, client_key(request), rate)
    except Exception:
        logger.exception("Rate limit not checked: the cache did not answer")
        return None
    return None if usage.allowed else usage


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


# --- Request size --------------------------------------------------------------------------------

REQUEST_OVERHEAD = 1024 * 1024  # a request's form fields and multipart framing, besides its photos


class RequestTooLarge(Exception):
    """The body the client announced (``length`` bytes) is larger than any it may send (``limit``)."""

    def __init__(self, *, length: int, limit: int):
        self.length, self.limit = length, limit
        super().__init__(f"request of {length} bytes, limit {limit}")


def announced_length(request: HttpRequest) -> int:
    """The body's length as the client announced it (0 when absent or unreadable)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def request_size_check(request: HttpRequest, *, photo_bytes: int) -> None:
    """Raise RequestTooLarge when the body ``request`` announces is larger than ``photo_bytes``
    of photos plus REQUEST_OVERHEAD: the one rule for the website (a full batch upload) and
    the API (one photo), checked before anything reads the body."""
    length, limit = announced_length(request), photo_bytes + REQUEST_OVERHEAD
    if length > limit:
        raise RequestTooLarge(length=length, limit=limit)
