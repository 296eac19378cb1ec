"""The web's writes (``gallery.views``): create a job from an upload, re-colorize it with hints
or at another vividness, retry it, record the owner's gallery choice, delete it; and the queue
caps that guard them. The admin's actions reuse ``job_retry`` and ``job_delete`` through
``moderation``.

Who may call which is the caller's to check (a view link only shows a photo; its owner
controls it): these functions trust that their caller did."""

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from colorize import decoding, imaging, site
from colorize.hints import Hint, parse_hints
from gallery import selectors
from gallery.models import ColorizationJob, RefusedUpload, default_vividness
from gallery.services.files import delete_names, job_files_deleter, load_original, preview
from gallery.services.queue import RENDER_PRIORITY, enqueue_on_commit

logger = logging.getLogger(__name__)

Status = ColorizationJob.Status


class NotStored(Exception):
    """The upload could not be written to storage (a full disk, the bucket refusing): nothing
    of it was kept. The site's fault, not the photo's: the visitor may try again later."""

    user_message = (
        "We could not store your photo just now (our storage is full or unreachable). Please try again later."
    )


class QueueFull(Exception):
    """No room for another job: this client already has ``limit`` jobs waiting or running
    (``scope == "client"``), or the whole queue has (``scope == "site"``)."""

    def __init__(self, *, scope: str, active: int, limit: int):
        self.scope, self.active, self.limit = scope, active, limit
        super().__init__(f"{scope} queue full: {active} active jobs, limit {limit}")


def queue_room_check(*, client: str) -> None:
    """Raise QueueFull unless ``client`` (a key from gallery.ratelimits.client_key) may start
    another job: fewer than GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT of its own and fewer than
    GALLERY_MAX_ACTIVE_JOBS in all waiting or running. A soft cap: two requests at the same
    instant may both pass it."""
    own, limit = selectors.active_job_count(client=client), settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT
    if own >= limit:
        raise QueueFull(scope="client", active=own, limit=limit)
    everyone, limit = selectors.active_job_count(), selectors.active_job_limit()
    if everyone >= limit:
        raise QueueFull(scope="site", active=everyone, limit=limit)


def sanitize_display_name(filename: str | None, *, default: str = "photo", max_length: int = 80) -> str:
    """A harmless display name from a user's file name: no path, no extension, no control or
    markup characters, a bounded length. Only ever shown, never used to store anything."""
    name = re.split(r"[\\/]", str(filename or ""))[-1]
    name = unicodedata.normalize("NFKC", name)
    if "." in name.strip("."):
        name = name.rsplit(".", 1)[0]
    name = "".join(ch if (ch.isalnum() or ch in " -_.,()'&+") else " " for ch in name)
    name = re.sub(r"\s+", " ", name).strip(" .-_")
    return name[:max_length].strip() or default


def _png(image: Image.Image) -> ContentFile:
    return ContentFile(imaging.encode_image(image, "png"), name="image.png")


@transaction.atomic
def job_create(
    *,
    image: Image.Image,
    display_name: str,
    model_name: str,
    uploaded_bytes: int = 0,
    hints: Sequence[Hint] = (),
    gallery_requested: bool = False,
    parent: ColorizationJob | None = None,
    client: str = "",
    batch: UUID | None = None,
    vividness: float | None = None,
    variant: str = ColorizationJob.Variant.BALANCED,
) -> ColorizationJob:
    """Store the (already validated) original under a generated name, with its web-sized
    preview for the waiting page, create the job and queue it. ``image`` is the decoded PIL
    image; it is kept as PNG, stripped of metadata. ``batch``: the id of the batch upload it
    belongs to. ``vividness`` (0..1) defaults to settings.COLORIZE_DEFAULT_VIVIDNESS; ``variant``
    is the automatic colouring its result shows."""
    job = ColorizationJob(
        model_name=model_name,
        vividness=default_vividness() if vividness is None else decoding.check_vividness(vividness),
        variant=variant,
        hints=[hint.as_dict() for hint in parse_hints(list(hints), image_size=image.size, max_hints=site.max_hints())],
        parent=parent,
        display_name=sanitize_display_name(display_name),
        original_width=image.width,
        original_height=image.height,
        original_bytes=uploaded_bytes,
        gallery_requested=bool(gallery_requested),
        client=client,
        batch=batch,
        had_colour=imaging.has_colour(image) if parent is None else parent.had_colour,
    )
    # Named before they are written: a write that fails half-way (a full disk) leaves a partial
    # file under that name, which no row would know of.
    names = [job.original.field.generate_filename(job, "original.png")]
    names.append(job.original_preview.field.generate_filename(job, "preview.webp"))
    try:
        for field, name, content in zip(
            (job.original, job.original_preview), names, (_png(image), preview(image)), strict=True
        ):
            field.name = field.storage.save(name, content, max_length=field.field.max_length)
        job.save()
    except OSError as error:  # the storage's error (a full disk, an unreachable bucket)
        delete_names(names, job.original.storage)
        logger.error("Upload not stored: %s", type(error).__name__, extra={"event": "upload.not_stored"})
        raise NotStored(str(error)) from error
    except Exception:
        delete_names(names, job.original.storage)  # they would belong to nobody
        raise
    enqueue_on_commit(job)
    return job


def job_recolorize(
    *,
    job: ColorizationJob,
    hints: Sequence[Hint],
    model_name: str | None = None,
    client: str = "",
    vividness: float | None = None,
) -> ColorizationJob:
    """A new job on a copy of ``job``'s original, steered by colour ``hints`` (at ``job``'s
    vividness unless another is given). It is a new private job: it is in the gallery only if
    its owner asks for it, and a moderator approves it, again. Raises a ColorizeError if the
    stored original cannot be read."""
    return job_create(
        image=load_original(job),
        display_name=job.display_name,
        model_name=model_name or job.model_name,
        uploaded_bytes=job.original_bytes,
        hints=hints,
        gallery_requested=False,
        parent=job,
        client=client,
        vividness=job.vividness if vividness is None else vividness,
    )


def job_rerun_vividness(*, job: ColorizationJob, vividness: float, client: str = "") -> ColorizationJob:
    """A new job like ``job`` (same model, same colour points) at another vividness, counted
    against ``client``'s jobs on the way."""
    return job_recolorize(job=job, hints=parse_hints(job.hints), vividness=vividness, client=client)


@transaction.atomic
def job_retry(*, job: ColorizationJob, model_name: str | None = None) -> ColorizationJob:
    """Queue a failed job again, optionally on another model. Its original was kept.
    A job that did not fail is returned unchanged."""
    job = ColorizationJob.objects.select_for_update().get(pk=job.pk)
    if job.status != Status.FAILED:
        return job
    return _requeue(job, model_name=model_name or job.model_name, error_message="")


def _requeue(job: ColorizationJob, *, priority: int = 0, **changes: object) -> ColorizationJob:
    """Queue ``job`` (locked by the caller's transaction) again as a fresh request at
    ``priority``, with ``changes`` to its fields, and hand it to the task queue once that
    commits."""
    for name, value in changes.items():
        setattr(job, name, value)
    job.status = Status.QUEUED
    job.attempts = 0
    job.queue_priority = priority
    job.queued_at = timezone.now()
    job.started_at = job.finished_at = None
    job.error_message = job.error_code = ""
    fields = ["status", "attempts", "queue_priority", "queued_at", "started_at", "finished_at"]
    job.save(update_fields=[*changes, *fields, "error_message", "error_code"])
    enqueue_on_commit(job)
    return job


@transaction.atomic
def job_variant_choose(*, job: ColorizationJob, variant: str, client: str = "") -> ColorizationJob:
    """Make the automatic colouring ``variant`` (a ColorizationJob.Variant) the result of a
    finished job: the worker renders it from the colours the job's run kept, meanwhile the job
    keeps showing its result (and its place in the gallery). It goes ahead of the photos
    waiting for the network only when ``client`` has no other pick waiting and nobody else's
    photo waits (gallery.selectors.pick_may_go_first). A job that is not finished with
    variants, or already shows this one, is returned unchanged. ValueError for an unknown
    variant."""
    if variant not in ColorizationJob.Variant.values:
        raise ValueError(f"there is no variant {variant!r}")
    job = ColorizationJob.objects.select_for_update().get(pk=job.pk)
    if not job.offers_variants or job.variant == variant:
        return job
    priority = RENDER_PRIORITY if selectors.pick_may_go_first(client=client) else 0
    return _requeue(job, priority=priority, variant=variant)


def job_request_gallery(
    *, job: ColorizationJob, requested: bool = True, caption: str | None = None, taken_year: int | None = None
) -> ColorizationJob:
    """The owner's choice: show this job in the public gallery (after review) or not, with
    the caption and year that make its public title (None leaves them as they are). What the
    public would see anew (a request after a withdrawal, another caption or year) waits for a
    moderator again; a photo a moderator hid stays hidden."""
    before = (job.gallery_requested, job.caption, job.taken_year)
    job.gallery_requested = bool(requested)
    fields = ["gallery_requested"]
    if caption is not None:
        job.caption = " ".join(caption.split())[:120]
        fields.append("caption")
    if taken_year is not None or caption is not None:
        job.taken_year = taken_year
        fields.append("taken_year")
    changed = (job.gallery_requested, job.caption, job.taken_year) != before
    if changed and job.gallery_review == ColorizationJob.Review.APPROVED:
        job.gallery_review, job.gallery_reviewed_at = ColorizationJob.Review.PENDING, None
        fields += ["gallery_review", "gallery_reviewed_at"]
    job.save(update_fields=fields)
    return job


def job_delete(*, job: ColorizationJob) -> None:
    """Delete a job and, once the deletion commits, its files."""
    delete_files = job_files_deleter(job)
    job.delete()
    transaction.on_commit(delete_files)


def batch_refusals_record(*, batch: UUID, refused: Sequence[tuple[str, str]]) -> None:
    """Keep the files of a batch that were not taken, with why, for the batch page."""
    RefusedUpload.objects.bulk_create(
        RefusedUpload(batch=batch, file_name=str(name)[:100], reason=reason) for name, reason in refused
    )


@transaction.atomic
def photo_delete(*, job: ColorizationJob, owns: Callable[[ColorizationJob], bool]) -> int:
    """The owner's "Delete this photo": ``job`` and every other version of the same upload
    that ``owns`` says is the same owner's (each holds a copy of the original), with all their
    files; another owner's versions stay. Returns how many jobs went."""
    versions = [version for version in selectors.job_versions(job=job) if version.pk == job.pk or owns(version)]
    for version in versions:
        job_delete(job=version)
    return len(versions)
