"""Reads: what the views and the admin look up. A selector returns data, or None where there
is nothing to find; what that means for an HTTP answer is the view's decision."""

import logging
import math
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from zipstream import ZIP_STORED, ZipStream

from gallery.models import FILE_KINDS, ColorizationJob, RefusedUpload, WorkerModel
from gallery.status import active_job_limit as active_job_limit  # the site's cap: it counts the workers

logger = logging.getLogger(__name__)

Status = ColorizationJob.Status


def worker_model_names() -> set[str]:
    """The models installed by workers seen within GALLERY_WORKER_LIVE_SECONDS
    (settings.COLORIZE_WORKER_MODELS: what the site offers besides its own disk's)."""
    since = timezone.now() - timedelta(seconds=settings.GALLERY_WORKER_LIVE_SECONDS)
    return set(WorkerModel.objects.filter(seen_at__gte=since).values_list("model_name", flat=True))


def job_get(*, public_id: UUID | str) -> ColorizationJob | None:
    """The job behind a private link, or None. Knowing the link is the only permission."""
    try:
        return ColorizationJob.objects.get(public_id=public_id)
    except ColorizationJob.DoesNotExist:
        return None


def job_versions(*, job: ColorizationJob) -> list[ColorizationJob]:
    """Every version of ``job``'s photo, oldest first: the upload it comes from (following
    ``parent`` up) and every re-run of it or of its re-runs (hinted, more or less vivid, on
    another model), ``job`` included."""
    root = job.upload()
    family, frontier = {root.pk: root}, [root.pk]
    while frontier:
        children = list(ColorizationJob.objects.filter(parent_id__in=frontier).exclude(pk__in=list(family)))
        family.update((child.pk, child) for child in children)
        frontier = [child.pk for child in children]
    return sorted(family.values(), key=lambda version: (version.queued_at, version.pk))


@dataclass(frozen=True)
class Photo:
    """One uploaded photo as My photos shows it: its versions, newest first."""

    versions: list[ColorizationJob]

    @property
    def newest(self) -> ColorizationJob:
        return self.versions[0]


def photos_by_public_ids(*, public_ids: list[str]) -> list[Photo]:
    """The jobs behind these private links, grouped into photos (a re-run belongs with the
    upload it comes from), newest photo first."""
    jobs = jobs_by_public_ids(public_ids=public_ids)
    groups: dict[int, list[ColorizationJob]] = {}
    for job in jobs:
        groups.setdefault(job.upload().pk, []).append(job)
    photos = [Photo(sorted(versions, key=lambda v: (v.queued_at, v.pk), reverse=True)) for versions in groups.values()]
    return sorted(photos, key=lambda photo: (photo.newest.queued_at, photo.newest.pk), reverse=True)


def batch_refusals(*, batch_id: UUID | str) -> list[RefusedUpload]:
    """The files of a batch upload that were not taken, with why, in upload order."""
    return list(RefusedUpload.objects.filter(batch=batch_id))


def batch_jobs(*, batch_id: UUID | str) -> list[ColorizationJob]:
    """The jobs of one batch upload, in upload order (empty when there is no such batch)."""
    return list(ColorizationJob.objects.filter(batch=batch_id).order_by("pk"))


def jobs_by_public_ids(*, public_ids: list[str]) -> list[ColorizationJob]:
    """The jobs behind these private links that still exist, in the order given."""
    valid = []
    for value in public_ids:
        try:
            valid.append(UUID(str(value)))
        except ValueError:
            continue
    found = {job.public_id: job for job in ColorizationJob.objects.filter(public_id__in=valid)}
    return [found[value] for value in valid if value in found]


MISSING_NOTE_NAME = "NOT INCLUDED.txt"


def existing_public_ids(*, public_ids: list[str]) -> list[str]:
    """Those of ``public_ids`` whose jobs still exist, in the order given."""
    return [str(job.public_id) for job in jobs_by_public_ids(public_ids=public_ids)]


def results_zip(*, jobs: list[ColorizationJob]) -> Iterator[bytes]:
    """A ZIP of ``jobs``' full-resolution PNG results, named after each photo (numbered where
    two share a name), written while it is read: each file is read from storage in chunks as
    the ZIP is streamed, so neither the files nor the archive are ever held in memory. Stored,
    not deflated: PNG is compressed already.

    A result that cannot be read when its turn comes (its job was deleted while the ZIP
    streams) is left out, and the archive ends with "NOT INCLUDED.txt" naming it. Its length is
    therefore not known beforehand. A file that fails in the middle of its read ends the stream
    unfinished, which the client sees as a failed download."""
    archive = ZipStream(compress_type=ZIP_STORED)
    missing = []
    for name, job in zip(_archive_names(jobs), jobs, strict=True):
        chunks = _opened_chunks(job.result)
        if chunks is None:
            logger.warning("Download all: job %s's result is gone; left out of the ZIP.", job.pk)
            missing.append(name)
            continue
        archive.add(chunks, name)
        yield from archive.all_files()
    if missing:
        note = "These photos were deleted while the archive was made, so they are not in it:\n\n"
        archive.add(note + "".join(f"  {name}\n" for name in missing), MISSING_NOTE_NAME)
        yield from archive.all_files()
    yield from archive.footer()


def _archive_names(jobs: list[ColorizationJob]) -> list[str]:
    used: set[str] = set()
    names = []
    for job in jobs:
        stem, number = job.display_name or "photo", 1
        name = f"{stem}-colorized.png"
        while name.lower() in used:
            number += 1
            name = f"{stem} ({number})-colorized.png"
        used.add(name.lower())
        names.append(name)
    return names


def _opened_chunks(field: FieldFile, size: int = 256 * 1024) -> Iterator[bytes] | None:
    """The file's chunks, its first already read (so a file that is gone is known before its
    entry starts), or None when it cannot be read."""
    try:
        handle = field.storage.open(str(field.name), "rb")
        first = handle.read(size)
    except Exception:  # noqa: BLE001  (any storage backend's error: the picture is then unknown, never a 500)
        return None

    def chunks() -> Iterator[bytes]:
        with handle:
            chunk = first
            while chunk:
                yield chunk
                chunk = handle.read(size)

    return chunks()


def active_job_count(*, client: str | None = None) -> int:
    """How many jobs wait or run: all of them, or those of one client (its key)."""
    jobs = ColorizationJob.objects.active()
    if client is not None:
        jobs = jobs.filter(client=client)
    return jobs.count()


def pick_may_go_first(*, client: str) -> bool:
    """Whether ``client``'s pick of a colouring may go ahead of the photos waiting for the
    network: only while it has no other pick on the way and no other client's job waits. So a
    client picking as fast as it can holds anyone else's photo back by one render at most."""
    if ColorizationJob.objects.picks().filter(client=client).exists():
        return False
    return not ColorizationJob.objects.filter(status=Status.QUEUED).exclude(client=client).exists()


def gallery_jobs() -> QuerySet[ColorizationJob]:
    """Jobs in the public gallery (ColorizationJob.objects.public), with a thumbnail to show."""
    return ColorizationJob.objects.public().exclude(thumbnail="").order_by("-gallery_reviewed_at", "-pk")


def gallery_page(*, page_number: int | str = 1, per_page: int | None = None) -> Page:
    paginator = Paginator(gallery_jobs(), per_page or settings.GALLERY_PAGE_SIZE)
    return paginator.get_page(page_number)


def gallery_job_get(*, pk: int) -> ColorizationJob | None:
    """A public gallery entry, or None. The gallery never shows a job's private link (its
    public_id)."""
    try:
        return gallery_jobs().get(pk=pk)
    except ColorizationJob.DoesNotExist:
        return None


def job_file_get(*, job: ColorizationJob, kind: str, name: str) -> FieldFile | None:
    """One of ``job``'s files by the kind and immutable name in its URL: the job's current
    file only, else None."""
    field_name = FILE_KINDS.get(kind)
    if field_name is None:
        return None
    field = getattr(job, field_name)
    if not field or field.name.rsplit("/", 1)[-1] != name:
        return None
    return field


# --- Progress while a job waits or runs -----------------------------------------------------------

TYPICAL_RUN_CACHE_KEY = "gallery:typical-run-seconds"


def typical_run_seconds(*, recent: int = 20) -> float | None:
    """The median run time (start to finish) of the last ``recent`` jobs that succeeded in the
    past day, or None when there are none. Cached for 30 seconds: every waiting page asks."""

    def compute() -> float:  # -1 when there are none: the cache keeps "none" too
        runs = (
            ColorizationJob.objects.filter(status=Status.SUCCEEDED, finished_at__gte=timezone.now() - timedelta(days=1))
            .exclude(started_at=None)
            .order_by("-finished_at")
            .values_list("started_at", "finished_at")[:recent]
        )
        seconds = [max((end - start).total_seconds(), 0.0) for start, end in runs if start and end]
        return statistics.median(seconds) if seconds else -1.0

    value = _cached(TYPICAL_RUN_CACHE_KEY, compute, timeout=30)
    return value if value >= 0 else None


def _cached(key: str, compute: Callable[[], float], *, timeout: int) -> float:
    """``compute()``, kept in the shared cache for ``timeout`` seconds. With the cache (Redis)
    down, worked out every time: a page is slower, never broken (logged)."""
    try:
        value = cache.get(key)
    except Exception as error:  # noqa: BLE001  (any cache backend's error: the page works it out without the cache)
        logger.warning("Cache down (%s): %s worked out without it", type(error).__name__, key)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout)
        except Exception as error:  # noqa: BLE001  (any cache backend's error: the page works it out without the cache)
            logger.warning("Cache down (%s): %s not kept", type(error).__name__, key)
    return value


@dataclass(frozen=True)
class Progress:
    """How a job is getting on. While queued: its place in the queue (1: next) and the estimated
    seconds until its result is ready (None without recent runs to go by); while running: the
    stage and the seconds it has run."""

    status: str
    queue_position: int | None = None
    estimated_wait: float | None = None
    stage: str = ""
    stage_label: str = ""
    running_for: float | None = None

    @property
    def estimate_text(self) -> str:
        if self.estimated_wait is None:
            return ""
        seconds = self.estimated_wait
        if seconds < 60:
            return f"about {max(5, math.ceil(seconds / 5) * 5)} seconds"
        minutes = math.ceil(seconds / 60)
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def job_progress(*, job: ColorizationJob) -> Progress:
    """Where ``job`` stands. A queued job's place counts the queued jobs before it (the queue is
    first come, first served); its estimate assumes as many workers as jobs are running now
    (at least one), each taking the typical recent run time per job."""
    if job.status == Status.RUNNING:
        stage = job.stage or ColorizationJob.Stage.LOADING
        return Progress(
            status=job.status, stage=stage, stage_label=ColorizationJob.Stage(stage).label, running_for=job.duration
        )
    if job.status != Status.QUEUED:
        return Progress(status=job.status)
    queued = ColorizationJob.objects.filter(status=Status.QUEUED)
    ahead = queued.filter(Q(queued_at__lt=job.queued_at) | Q(queued_at=job.queued_at, pk__lt=job.pk)).count()
    running = ColorizationJob.objects.filter(status=Status.RUNNING).count()
    typical = typical_run_seconds()
    estimate = None
    if typical is not None:
        workers = max(running, 1)
        # The jobs running now and those ahead, shared among the workers, then this one's own run.
        estimate = (running + ahead) / workers * typical + typical
    return Progress(status=job.status, queue_position=ahead + 1, estimated_wait=estimate)
