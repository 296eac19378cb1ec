"""Writes: everything that creates or changes a colorization job goes through here."""

import io
import logging
import re
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from colorize import imaging, pipeline
from colorize.errors import ColorizeError
from gallery.models import ColorizationJob

logger = logging.getLogger(__name__)

Status = ColorizationJob.Status
Review = ColorizationJob.Review

STORE_FAILED = "The photo was colorized but the result could not be saved. Please try again."
UNEXPECTED_FAILURE = "Something went wrong on our side while colorizing this photo. Please try again."
WORKER_LOST = "The worker stopped while colorizing this photo (it may have run out of memory). Please try again."
NO_HINTS = "The model {model} does not take colour points. Please choose one that does."
MAX_HINTS = 64


def sanitize_display_name(filename, *, default="photo", max_length=80):
    """A harmless display name from a user's file name: no path, no extension, no control or
    markup characters, a bounded length. Only ever shown, never used to store anything."""
    name = re.split(r"[\\/]", str(filename or ""))[-1]
    name = unicodedata.normalize("NFKC", name)
    if "." in name.strip("."):
        name = name.rsplit(".", 1)[0]
    name = "".join(ch if (ch.isalnum() or ch in " -_.,()'&+") else " " for ch in name)
    name = re.sub(r"\s+", " ", name).strip(" .-_")
    return name[:max_length].strip() or default


def _png(image):
    return ContentFile(imaging.encode_image(image, "png"), name="image.png")


def _enqueue_on_commit(job):
    """Hand the job to the task queue once the transaction that created or reset it commits,
    so the worker never looks for a row it cannot see yet."""
    from gallery.tasks import colorize_job  # the task module imports this one

    def enqueue():
        try:
            result = colorize_job.enqueue(job_id=job.pk)
        except Exception:
            # The job stays queued; jobs_requeue_stale() hands it to the queue again later.
            logger.exception("Could not enqueue colorization job %s", job.public_id)
            return
        ColorizationJob.objects.filter(pk=job.pk).update(task_id=str(result.id))

    transaction.on_commit(enqueue)


@transaction.atomic
def job_create(*, image, display_name, model_name, uploaded_bytes=0, hints=(), gallery_requested=False, parent=None):
    """Store the (already validated) original under a generated name, create the job and
    queue it. ``image`` is the decoded PIL image; it is kept as PNG, stripped of metadata."""
    job = ColorizationJob(
        model_name=model_name,
        hints=[{"x": int(h["x"]), "y": int(h["y"]), "color": str(h["color"])} for h in hints][:MAX_HINTS],
        parent=parent,
        display_name=sanitize_display_name(display_name),
        original_width=image.width,
        original_height=image.height,
        original_bytes=uploaded_bytes,
        gallery_requested=bool(gallery_requested),
    )
    job.original.save("original.png", _png(image), save=False)
    try:
        job.save()
    except Exception:
        _delete_names([job.original.name], job.original.storage)  # it would belong to nobody
        raise
    _enqueue_on_commit(job)
    return job


def job_recolorize(*, job, hints, model_name=None):
    """A new job on a copy of ``job``'s original, steered by colour ``hints``."""
    with job.original.open("rb") as handle:
        image = imaging.load_image(io.BytesIO(handle.read()), keep_gray=True)
    return job_create(
        image=image,
        display_name=job.display_name,
        model_name=model_name or job.model_name,
        uploaded_bytes=job.original_bytes,
        hints=hints,
        gallery_requested=job.gallery_requested,
        parent=job,
    )


def _claim(job_id):
    """Mark a queued job running, atomically: of two workers handed the same job only one wins."""
    now = timezone.now()
    claimed = ColorizationJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, finished_at=None, attempts=F("attempts") + 1, error_message=""
    )
    return ColorizationJob.objects.get(pk=job_id) if claimed else None


def _finish(job, **fields):
    """Record the outcome of the run that ``job`` (as claimed) describes; a run that was given
    up on meanwhile (requeued or retried) leaves no trace."""
    fields.setdefault("finished_at", timezone.now())
    updated = ColorizationJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)
    return bool(updated)


def _fail(job, message):
    _finish(job, status=Status.FAILED, error_message=message)
    return job


def _thumbnail(image):
    thumb = image.convert("RGB")
    size = settings.GALLERY_THUMBNAIL_SIZE
    thumb.thumbnail((size, size))
    return ContentFile(imaging.encode_image(thumb, "jpeg"), name="thumbnail.jpg")


def job_run(*, job_id):
    """Colorize one queued job and record its result or a friendly reason it failed.
    Never raises for a bad picture or a failing model: the job records what happened."""
    job = _claim(job_id)
    if job is None:
        logger.info("Job %s is not queued any more; nothing to do.", job_id)
        return None
    try:
        with job.original.open("rb") as handle:
            image = imaging.load_image(io.BytesIO(handle.read()), max_pixels=settings.COLORIZE_MAX_PIXELS, keep_gray=True)
        hints = [pipeline.Hint(h["x"], h["y"], h["color"]) for h in job.hints]
        if hints and not job.takes_hints:
            return _fail(job, NO_HINTS.format(model=job.model_title))
        result = pipeline.colorize(image, model=job.model_name, hints=hints)
        png = imaging.encode_image(result, "png")
        jpeg = imaging.encode_image(result.convert("RGB"), "jpeg")
        thumbnail = _thumbnail(result)
    except ColorizeError as error:
        logger.warning("Job %s failed: %s", job.public_id, error)
        return _fail(job, error.user_message)
    except Exception:
        logger.exception("Job %s failed unexpectedly", job.public_id)
        return _fail(job, UNEXPECTED_FAILURE)

    storage_fields = {}
    try:
        for field_name, content in (
            ("result", ContentFile(png, name="result.png")),
            ("result_jpeg", ContentFile(jpeg, name="result.jpg")),
            ("thumbnail", thumbnail),
        ):
            field = getattr(job, field_name)
            field.save(content.name, content, save=False)
            storage_fields[field_name] = field.name
    except Exception:
        logger.exception("Job %s: could not store the result", job.public_id)
        _delete_names(storage_fields.values(), job.original.storage)
        return _fail(job, STORE_FAILED)
    old = ColorizationJob.objects.only("result", "result_jpeg", "thumbnail").filter(pk=job.pk).first()
    if _finish(job, status=Status.SUCCEEDED, result_bytes=len(png), **storage_fields):
        _delete_files(old, ("result", "result_jpeg", "thumbnail"))
    else:
        # The job was deleted, requeued or retried meanwhile: this run's files belong to nobody.
        _delete_names(storage_fields.values(), job.original.storage)
    return job


def _delete_names(names, storage):
    for name in names:
        if name:
            try:
                storage.delete(name)
            except Exception:
                logger.exception("Could not delete %s", name)


def _delete_files(job, field_names=("original", "result", "result_jpeg", "thumbnail")):
    for name in field_names:
        field = getattr(job, name)
        if field:
            _delete_names([field.name], field.storage)


@transaction.atomic
def job_retry(*, job, model_name=None):
    """Queue a failed job again, optionally on another model. Its original was kept."""
    job = ColorizationJob.objects.select_for_update().get(pk=job.pk)
    if job.status != Status.FAILED:
        return job
    job.status = Status.QUEUED
    job.model_name = model_name or job.model_name
    job.error_message = ""
    job.attempts = 0
    job.queued_at = timezone.now()
    job.started_at = job.finished_at = None
    job.save(update_fields=["status", "model_name", "error_message", "attempts", "queued_at", "started_at", "finished_at"])
    _enqueue_on_commit(job)
    return job


def jobs_requeue_stale(*, now=None):
    """Give lost jobs back to the queue: a job "running" longer than the timeout lost its
    worker; a job "queued" that long whose task is gone (or never got one) was never picked up.
    A job that keeps losing its worker fails after GALLERY_JOB_MAX_ATTEMPTS runs.
    Returns (requeued, failed) counts."""
    from gallery.tasks import colorize_job

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.GALLERY_JOB_TIMEOUT_SECONDS)
    requeued = failed = 0
    stale_running = ColorizationJob.objects.filter(status=Status.RUNNING, started_at__lt=cutoff)
    for job in stale_running:
        with transaction.atomic():
            if job.attempts >= settings.GALLERY_JOB_MAX_ATTEMPTS:
                failed += ColorizationJob.objects.filter(
                    pk=job.pk, status=Status.RUNNING, attempts=job.attempts
                ).update(status=Status.FAILED, error_message=WORKER_LOST, finished_at=now)
                continue
            if ColorizationJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts).update(
                status=Status.QUEUED, started_at=None, queued_at=now
            ):
                requeued += 1
                _enqueue_on_commit(job)

    for job in ColorizationJob.objects.filter(status=Status.QUEUED, queued_at__lt=cutoff):
        if job.task_id:
            try:
                state = colorize_job.get_result(job.task_id).status
            except Exception:
                state = None
            if state in {"READY", "RUNNING"}:
                continue  # still waiting its turn in a busy queue
        with transaction.atomic():
            if ColorizationJob.objects.filter(pk=job.pk, status=Status.QUEUED, task_id=job.task_id).update(queued_at=now):
                requeued += 1
                _enqueue_on_commit(job)
    return requeued, failed


def job_request_gallery(*, job, requested=True):
    """The owner's choice: show this job in the public gallery (after review) or not."""
    job.gallery_requested = bool(requested)
    job.save(update_fields=["gallery_requested"])
    return job


def jobs_approve(*, jobs):
    """An admin's approval: requested jobs become visible in the gallery."""
    return ColorizationJob.objects.filter(pk__in=[j.pk for j in jobs]).update(
        gallery_review=Review.APPROVED, gallery_reviewed_at=timezone.now()
    )


def jobs_hide(*, jobs):
    return ColorizationJob.objects.filter(pk__in=[j.pk for j in jobs]).update(
        gallery_review=Review.HIDDEN, gallery_reviewed_at=timezone.now()
    )


def jobs_retry_failed(*, jobs):
    count = 0
    for job in jobs:
        if job.status == Status.FAILED:
            job_retry(job=job)
            count += 1
    return count


def job_delete(*, job):
    """Delete a job and, once the deletion commits, its files."""
    names = [(getattr(job, f).name, getattr(job, f).storage) for f in ("original", "result", "result_jpeg", "thumbnail") if getattr(job, f)]
    job.delete()
    transaction.on_commit(lambda: [_delete_names([name], storage) for name, storage in names])


def jobs_delete(*, jobs):
    for job in list(jobs):
        job_delete(job=job)
