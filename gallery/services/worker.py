"""The worker's write: run one queued job (called by the task in ``gallery.tasks``).

This module never enqueues anything and imports neither ``gallery.tasks`` nor ``queue``:
the task module imports it."""

import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone
from PIL import Image

from colorize import imaging, pipeline
from colorize.hints import parse_hints
from colorize.errors import ColorizeError
from gallery.models import RESULT_FIELDS, ColorizationJob
from gallery.services.files import delete_job_files, delete_names

logger = logging.getLogger(__name__)

Status = ColorizationJob.Status

STORE_FAILED = "The photo was colorized but the result could not be saved. Please try again."
UNEXPECTED_FAILURE = "Something went wrong on our side while colorizing this photo. Please try again."
NO_HINTS = "The model {model} does not take colour points. Please choose one that does."


def _claim(job_id: int) -> ColorizationJob | None:
    """Mark a queued job running, atomically: of two workers handed the same job only one wins."""
    now = timezone.now()
    claimed = ColorizationJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, finished_at=None, attempts=F("attempts") + 1, error_message=""
    )
    return ColorizationJob.objects.get(pk=job_id) if claimed else None


def _finish(job: ColorizationJob, **fields: object) -> bool:
    """Record the outcome of the run that ``job`` (as claimed) describes; a run that was given
    up on meanwhile (requeued or retried) leaves no trace."""
    fields.setdefault("finished_at", timezone.now())
    updated = ColorizationJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)
    return bool(updated)


def _fail(job: ColorizationJob, message: str) -> ColorizationJob:
    _finish(job, status=Status.FAILED, error_message=message)
    return job


def _thumbnail(image: Image.Image) -> ContentFile:
    thumb = image.convert("RGB")
    size = settings.GALLERY_THUMBNAIL_SIZE
    thumb.thumbnail((size, size))
    return ContentFile(imaging.encode_image(thumb, "jpeg"), name="thumbnail.jpg")


def job_run(*, job_id: int) -> ColorizationJob | None:
    """Colorize one queued job and record its result or a friendly reason it failed.
    Never raises for a bad picture or a failing model: the job records what happened.
    None when the job is not queued (any more): another worker has it, or it is gone."""
    job = _claim(job_id)
    if job is None:
        logger.info("Job %s is not queued any more; nothing to do.", job_id)
        return None
    try:
        with job.original.open("rb") as handle:
            image = imaging.load_image(
                io.BytesIO(handle.read()), max_pixels=settings.COLORIZE_MAX_PIXELS, keep_gray=True
            )
        hints = parse_hints(job.hints)
        if hints and not job.takes_hints:
            return _fail(job, NO_HINTS.format(model=job.model_title))
        colorized = pipeline.colorize_detailed(image, model=job.model_name, hints=hints, vividness=job.vividness)
        result = colorized.image
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
        delete_names(storage_fields.values(), job.original.storage)
        return _fail(job, STORE_FAILED)
    old = ColorizationJob.objects.only(*RESULT_FIELDS).filter(pk=job.pk).first()
    if _finish(
        job, status=Status.SUCCEEDED, result_bytes=len(png), suggestions=colorized.suggestions, **storage_fields
    ):
        delete_job_files(old, RESULT_FIELDS)  # the previous run's, if any
    else:
        # The job was deleted, requeued or retried meanwhile: this run's files belong to nobody.
        delete_names(storage_fields.values(), job.original.storage)
    return job
