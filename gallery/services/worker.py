"""The worker's write: run one queued job (called by the task in ``gallery.tasks``).

This module never enqueues anything and imports neither ``gallery.tasks`` nor ``queue``:
the task module imports it."""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, connections
from django.db.models import F
from django.utils import timezone

from colorize import imaging
from colorize.errors import ColorizeError
from colorize.hints import parse_hints
from colorsite import logs
from gallery import metrics
from gallery.models import RESULT_FIELDS, VARIANT_FIELDS, ColorizationJob
from gallery.services import colorizing, variants
from gallery.services.files import delete_job_files, delete_names, load_original, preview, result_files

logger = logging.getLogger(__name__)

Status = ColorizationJob.Status
Stage = ColorizationJob.Stage

STORE_FAILED = "The photo was colorized but the result could not be saved. Please try again."
UNEXPECTED_FAILURE = "Something went wrong on our side while colorizing this photo. Please try again."
NO_HINTS = "The model {model} does not take colour points. Please choose one that does."
OUT_OF_MEMORY = "The server ran out of memory while colorizing this photo. Please try again later."


def _claim(job_id: int) -> ColorizationJob | None:
    """Mark a queued job running, atomically: of two workers handed the same job only one wins."""
    now = timezone.now()
    claimed = ColorizationJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        attempts=F("attempts") + 1,
        error_message="",
        error_code="",
        stage=Stage.LOADING,
    )
    return ColorizationJob.objects.get(pk=job_id) if claimed else None


def _finish(job: ColorizationJob, **fields: object) -> bool:
    """Record the outcome of the run that ``job`` (as claimed) describes; a run that was given
    up on meanwhile (requeued or retried) leaves no trace."""
    fields.setdefault("finished_at", timezone.now())
    fields.setdefault("stage", Stage.NONE)
    updated = ColorizationJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)
    return bool(updated)


def _stage(job: ColorizationJob, stage: str) -> None:
    """Record what the run is doing now (the status page shows it); not for a run given up on."""
    ColorizationJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts).update(stage=stage)
    job.stage = stage


# Failures that the photo or its colour points caused: a warning. Any other is an error (it
# reaches Sentry where SENTRY_DSN is set).
PHOTO_FAILURES = frozenset(
    {"not_an_image", "unsupported_image", "image_too_large", "corrupt_image", "bad_hints", "no_hints"}
)


def _fail(job: ColorizationJob, message: str, code: str, *, exc_info: bool = False) -> ColorizationJob:
    """Record the failure, and write its one line: a stable ``code`` and the user's message
    (``exc_info``: with the traceback of the exception being handled). A pick that fails
    leaves the job finished with the result it had (ColorizationJob.pick_failed_changes)."""
    was_pick = job.is_pick
    if was_pick:
        _finish(job, **job.pick_failed_changes(), pending_files=[])
    else:
        _finish(job, status=Status.FAILED, error_message=message, error_code=code, pending_files=[])
    metrics.job_ended(job.model_name, failed=True)
    logger.log(
        logging.WARNING if code in PHOTO_FAILURES else logging.ERROR,
        "%s failed: %s: %s",
        "pick" if was_pick else "job",
        code,
        message,
        extra={
            "event": "job.pick_failed" if was_pick else "job.failed",
            "code": code,
            "user_message": message,
            "model": job.model_name,
        },
        exc_info=exc_info,
    )
    return job


def _pending(job: ColorizationJob, names: list[str]) -> bool:
    """Record the storage names this run is about to write, before it writes them: if the
    worker is killed while storing, the job's next run (or the sweep, or a delete) finds and
    removes them. False when the run was given up on meanwhile."""
    recorded = ColorizationJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts).update(
        pending_files=names
    )
    job.pending_files = names
    return bool(recorded)


def _leftovers_delete(job: ColorizationJob) -> None:
    """Delete what an earlier run of ``job`` was writing when its worker died."""
    if job.pending_files:
        logger.warning("Job %s: deleting %d file(s) a killed run left.", job.pk, len(job.pending_files))
        delete_names(job.pending_files, job.original.storage)
        _pending(job, [])


@contextmanager
def _heartbeat(job: ColorizationJob) -> Iterator[None]:
    """While the block runs, write ``job``'s heartbeat every GALLERY_HEARTBEAT_SECONDS from a
    thread (with its own database connection), so the sweep can tell this live run from one
    whose worker died. A failed write is logged and retried at the next beat."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.GALLERY_HEARTBEAT_SECONDS):
                try:
                    ColorizationJob.objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts).update(
                        heartbeat_at=timezone.now()
                    )
                except (DatabaseError, InterfaceError) as error:
                    logger.warning("Job %s: could not write its heartbeat (%s); trying again.", job.pk, error)
                    connections["default"].close()
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=beat, name=f"heartbeat-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)


def job_run(*, job_id: int) -> ColorizationJob | None:
    """Colorize one queued job and record its result or a friendly reason it failed.
    Never raises for a bad picture or a failing model: the job records what happened.
    None when the job is not queued (any more): another worker has it, or it is gone.
    Every line it writes carries the job's id; it writes started, then finished or failed."""
    job = _claim(job_id)
    if job is None:
        logger.info("Job %s is not queued any more; nothing to do.", job_id, extra={"event": "job.skipped"})
        return None
    with logs.job_context(job):
        logger.info(
            "job started (attempt %d)",
            job.attempts,
            extra={"event": "job.started", "attempt": job.attempts, "model": job.model_name, "variant": job.variant},
        )
        return _run(job)


def _finished_line(job: ColorizationJob, stages: dict[str, float], *, ran_network: bool, precision: str) -> None:
    megapixels = round(job.original_width * job.original_height / 1e6, 2)
    seconds = round(sum(stages.values()), 2)
    logger.info(
        "job finished: %s, %dx%d (%.1f MP), %.2f s",
        job.model_name,
        job.original_width,
        job.original_height,
        megapixels,
        seconds,
        extra={
            "event": "job.finished",
            "model": job.model_name,
            "precision": precision,
            "width": job.original_width,
            "height": job.original_height,
            "megapixels": megapixels,
            "hints": len(job.hints or []),
            "vividness": job.vividness,
            "variant": job.variant,
            "network": ran_network,
            "seconds": seconds,
            **{f"{stage}_seconds": round(value, 3) for stage, value in stages.items()},
        },
    )


def _run(job: ColorizationJob) -> ColorizationJob:
    _leftovers_delete(job)
    stages: dict[str, float] = {}
    clock = time.monotonic()
    try:
        with _heartbeat(job):
            image = load_original(job)
            if parse_hints(job.hints) and not job.takes_hints:
                return _fail(job, NO_HINTS.format(model=job.model_title), "no_hints")
            stages["load"], clock = time.monotonic() - clock, time.monotonic()
            _stage(job, Stage.COLORIZING)
            colorized, ran_network, model = colorizing.job_colorized(job, image)
            result = colorized.image
            stages["network" if ran_network else "render"], clock = time.monotonic() - clock, time.monotonic()
            _stage(job, Stage.SAVING)
            xmp = imaging.provenance_xmp(job.model_name)
            png, jpeg, thumbnail, result_preview = result_files(result, xmp)
            # Jobs uploaded before previews existed get their original's here.
            original_preview = None if job.original_preview else preview(image)
            variant_files = {}
            if colorized.variants:
                variant_files = {
                    "variants": variants.picture_file(image, colorized.variants, model.spec, xmp=xmp),
                    "variant_maps": variants.maps_file(colorized.variants, model_name=job.model_name),
                }
    except ColorizeError as error:
        logger.info("job %s: %s", error.code, error)  # the technical detail, for the operator
        return _fail(job, error.user_message, error.code)
    except MemoryError:
        return _fail(job, OUT_OF_MEMORY, "out_of_memory", exc_info=True)
    except (DatabaseError, InterfaceError):
        raise  # the worker command reconnects; the job's stopped heartbeat gets it run again
    except Exception:  # noqa: BLE001  (a job never crashes the worker: it fails with a reason, logged with the traceback)
        return _fail(job, UNEXPECTED_FAILURE, "unexpected", exc_info=True)

    contents = {
        "result": ContentFile(png, name="result.png"),
        "result_jpeg": ContentFile(jpeg, name="result.jpg"),
        "result_preview": result_preview,
        "thumbnail": thumbnail,
        "original_preview": original_preview,
        **variant_files,
    }
    planned = {
        name: getattr(job, name).field.generate_filename(job, content.name)
        for name, content in contents.items()
        if content is not None
    }
    if not _pending(job, list(planned.values())):
        return job  # given up on meanwhile (requeued, retried, deleted): nothing written
    # The job keeps the names it was claimed with until every file is stored: a failure half-way
    # is the job's as it was (a first run fails; a pick goes back to its result).
    storage_fields: dict[str, str] = {}
    try:
        for field_name, name in planned.items():
            field = getattr(job, field_name)
            storage_fields[field_name] = field.storage.save(
                name, contents[field_name], max_length=field.field.max_length
            )
    except Exception:  # noqa: BLE001  (any storage backend's error: the job fails, nothing half-stored is kept)
        delete_names([*planned.values(), *storage_fields.values()], job.original.storage)
        return _fail(job, STORE_FAILED, "store_failed", exc_info=True)
    # A run of the network replaces what the last one kept; a kept variant's rendering keeps it.
    replaced: tuple[str, ...] = RESULT_FIELDS
    outcome: dict[str, object] = {}
    if ran_network:
        replaced = (*RESULT_FIELDS, *VARIANT_FIELDS)
        outcome = {"suggestions": colorized.suggestions, "variants": "", "variant_maps": ""}
    try:
        old = ColorizationJob.objects.only(*replaced).filter(pk=job.pk).first()
        recorded = _finish(
            job,
            status=Status.SUCCEEDED,
            shown_variant=job.variant,
            result_bytes=len(png),
            pending_files=[],
            **{**outcome, **storage_fields},
        )
    except (DatabaseError, InterfaceError):
        # The database went away: this run cannot be recorded, so its files would belong to
        # nobody. The job's heartbeat has stopped; the sweep runs it again.
        delete_names(storage_fields.values(), job.original.storage)
        raise
    stages["save"] = time.monotonic() - clock
    if recorded:
        _finished_line(job, stages, ran_network=ran_network, precision=model.precision)
        metrics.job_ended(job.model_name, seconds=sum(stages.values()))
    if recorded and old is not None:
        delete_job_files(old, replaced)  # the previous run's, if any
    else:
        # The job was deleted, requeued or retried meanwhile: this run's files belong to nobody.
        delete_names(storage_fields.values(), job.original.storage)
    return job
