"""What the site is doing now, for operators (issue #27): the admin's status page, ``manage.py
site_status`` and the worker's metrics read it from here. Reads only."""

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from gallery.models import ColorizationJob, WorkerModel

Status = ColorizationJob.Status

# A worker reports itself with every sweep (once a minute by default): one that has not for
# this long is not counted alive.
WORKER_ALIVE_WITHIN = timedelta(minutes=3)
# Photo sizes the job times are grouped by (megapixels: up to each bound).
SIZE_BUCKETS = ((1.0, "up to 1 MP"), (4.0, "1-4 MP"), (12.0, "4-12 MP"), (float("inf"), "over 12 MP"))


@dataclass
class Timing:
    model: str
    size: str
    jobs: int
    median: float
    p95: float


@dataclass
class Worker:
    name: str
    models: list[str]
    seen_at: datetime


@dataclass
class SiteStatus:
    now: datetime
    queued: int
    running: int
    oldest_queued_seconds: float | None
    workers: list[Worker]
    hourly: list[tuple[datetime, int, int]]  # (hour, finished, failed), oldest first, 7 days
    failure_rate_24h: float | None
    last_failures: list[ColorizationJob]
    timings: list[Timing] = field(default_factory=list)

    @property
    def hourly_24h(self) -> list[tuple[datetime, int, int]]:
        return self.hourly[-24:]


def size_bucket(width: int, height: int) -> str:
    megapixels = width * height / 1e6
    return next(label for bound, label in SIZE_BUCKETS if megapixels <= bound)


def _hourly(now: datetime, hours: int) -> list[tuple[datetime, int, int]]:
    start = (now - timedelta(hours=hours - 1)).replace(minute=0, second=0, microsecond=0)
    rows = (
        ColorizationJob.objects.filter(finished_at__gte=start, status__in=[Status.SUCCEEDED, Status.FAILED])
        .annotate(hour=TruncHour("finished_at"))
        .values("hour")
        .annotate(
            finished=Count("pk", filter=Q(status=Status.SUCCEEDED)), failed=Count("pk", filter=Q(status=Status.FAILED))
        )
    )
    counts = {row["hour"]: (row["finished"], row["failed"]) for row in rows}
    return [(hour, *counts.get(hour, (0, 0))) for hour in (start + timedelta(hours=index) for index in range(hours))]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _timings(since: datetime) -> list[Timing]:
    groups: dict[tuple[str, str], list[float]] = {}
    jobs = ColorizationJob.objects.filter(status=Status.SUCCEEDED, finished_at__gte=since, started_at__isnull=False)
    for job in jobs.only("model_name", "original_width", "original_height", "started_at", "finished_at"):
        key = (job.model_name, size_bucket(job.original_width, job.original_height))
        if job.finished_at and job.started_at:
            groups.setdefault(key, []).append((job.finished_at - job.started_at).total_seconds())
    order = {label: index for index, (_, label) in enumerate(SIZE_BUCKETS)}
    return [
        Timing(model, size, len(seconds), statistics.median(seconds), _percentile(seconds, 0.95))
        for (model, size), seconds in sorted(groups.items(), key=lambda item: (item[0][0], order[item[0][1]]))
    ]


def workers_alive(now: datetime | None = None) -> list[Worker]:
    now = now or timezone.now()
    found: dict[str, Worker] = {}
    for row in WorkerModel.objects.filter(seen_at__gte=now - WORKER_ALIVE_WITHIN).order_by("worker", "model_name"):
        worker = found.setdefault(row.worker, Worker(row.worker, [], row.seen_at))
        worker.models.append(row.model_name)
        worker.seen_at = max(worker.seen_at, row.seen_at)
    return list(found.values())


def live_worker_count(now: datetime | None = None) -> int:
    """Worker processes that reported themselves within GALLERY_WORKER_LIVE_SECONDS."""
    since = (now or timezone.now()) - timedelta(seconds=settings.GALLERY_WORKER_LIVE_SECONDS)
    return WorkerModel.objects.filter(seen_at__gte=since).values("worker").distinct().count()


def active_job_limit(now: datetime | None = None) -> int:
    """How many jobs may wait or run at once in all: GALLERY_MAX_ACTIVE_JOBS per live worker
    (one at least, so a site whose workers are all restarting still takes uploads), which
    grows with the worker tier (issue #35: a fixed 100 held the tier at about ten workers)."""
    return settings.GALLERY_MAX_ACTIVE_JOBS * max(1, live_worker_count(now))


def queue_now(now: datetime | None = None) -> tuple[int, int, float | None]:
    """(jobs waiting, jobs running, seconds the oldest waiting job has waited)."""
    now = now or timezone.now()
    counts = ColorizationJob.objects.aggregate(
        queued=Count("pk", filter=Q(status=Status.QUEUED)),
        running=Count("pk", filter=Q(status=Status.RUNNING)),
        oldest=Min("queued_at", filter=Q(status=Status.QUEUED)),
    )
    oldest = counts["oldest"]
    return counts["queued"], counts["running"], (now - oldest).total_seconds() if oldest else None


def site_status(*, now: datetime | None = None, failures: int = 10) -> SiteStatus:
    now = now or timezone.now()
    queued, running, oldest = queue_now(now)
    hourly = _hourly(now, 24 * 7)
    finished = sum(ok for _, ok, _ in hourly[-24:])
    failed = sum(bad for _, _, bad in hourly[-24:])
    return SiteStatus(
        now=now,
        queued=queued,
        running=running,
        oldest_queued_seconds=oldest,
        workers=workers_alive(now),
        hourly=hourly,
        failure_rate_24h=failed / (finished + failed) if finished + failed else None,
        last_failures=list(
            ColorizationJob.objects.filter(status=Status.FAILED)
            .order_by("-finished_at")
            .only(
                "pk", "model_name", "finished_at", "error_code", "error_message", "original_width", "original_height"
            )[:failures]
        ),
        timings=_timings(now - timedelta(days=7)),
    )
