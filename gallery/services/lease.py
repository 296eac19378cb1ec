"""One worker at a time does the site-wide sweep steps (issue #35): each worker's sweeper asks
for the lease every minute, and only the one whose conditional update wins runs them. A lease
row (``SweepLease``) rather than PostgreSQL's advisory locks: it works the same on SQLite, it
counts "once a minute in all" (a lock held only while sweeping would let two workers sweep
in the same minute at different seconds), and the admin can read who ran it last."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gallery.models import SweepLease

SITE_SWEEP = "site sweep"
# A worker may take the lease again a little before its own interval is up (its sweeps drift
# by the time they take), never twice in the same 90% of one.
EARLY = 0.9


def lease_take(name: str, *, every: float, holder: str, now: datetime | None = None) -> bool:
    """Whether ``holder`` runs ``name`` now: True for one caller per ``every`` seconds, whichever
    asks first (one UPDATE ... WHERE ran_at <= now - every, atomic on every database)."""
    now = now or timezone.now()
    if not SweepLease.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                SweepLease.objects.create(name=name, holder=holder, ran_at=now, runs=1)
            return True
        except IntegrityError:
            pass  # another worker made it first: the update below decides
    taken = SweepLease.objects.filter(name=name, ran_at__lte=now - timedelta(seconds=every * EARLY)).update(
        holder=holder, ran_at=now, runs=F("runs") + 1
    )
    return bool(taken)
