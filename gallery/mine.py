""" "My photos": the jobs this browser created, remembered in its session (no accounts). The
session holds only the jobs' public ids, and gets a new key each time it gains one; it lasts as
long as a finished job is kept (GALLERY_RETENTION_DAYS), and a job deleted meanwhile simply
drops out of the list.

The session is also what makes a browser a photo's owner (``owns``): a photo's link lets anyone
look at it and download it; changing, publishing or deleting it takes the session that made it.
The session cookie never appears in a link."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from gallery.models import ColorizationJob

SESSION_KEY = "gallery.my_jobs"
MAX_REMEMBERED = 200  # the newest ones; a session is no archive


def remembered(request: HttpRequest) -> list[str]:
    """The public ids of the jobs this browser created, newest first."""
    return remembered_in(request.session)


def owns(request: HttpRequest, job: ColorizationJob) -> bool:
    """Whether this browser created ``job`` (an upload, or a version it made of its own)."""
    return str(job.public_id) in remembered(request)


def remember(request: HttpRequest, jobs: Iterable[ColorizationJob]) -> None:
    new = [str(job.public_id) for job in jobs]
    if not new:
        return
    kept = [value for value in remembered(request) if value not in new]
    # A new session key whenever the session gains a job: a key someone else planted in this
    # browser (or read before) never lists what the browser creates from now on.
    request.session.cycle_key()
    request.session[SESSION_KEY] = (list(reversed(new)) + kept)[:MAX_REMEMBERED]
    request.session.set_expiry(int(timedelta(days=settings.GALLERY_RETENTION_DAYS).total_seconds()))


def keep_only(request: HttpRequest, public_ids: Iterable[str]) -> None:
    """Forget every remembered job but ``public_ids`` (those that still exist)."""
    keep = {str(value) for value in public_ids}
    current = remembered(request)
    if any(value not in keep for value in current):
        request.session[SESSION_KEY] = [value for value in current if value in keep]


def remembered_in(session: SessionBase) -> list[str]:
    """What ``session`` remembers (newest first)."""
    ids = session.get(SESSION_KEY, [])
    return [str(value) for value in ids] if isinstance(ids, list) else []
