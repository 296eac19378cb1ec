"""The worker command's sweep (``gallery_worker``), run at start-up and every minute:

- give lost jobs back to the queue (a running job whose heartbeat stopped; a queued job whose
  task is gone) and end their dead task rows;
- delete the files a killed run was writing, of jobs no run will pick up again;
- delete expired jobs with their files (the retention periods);
- delete the upload spool's stale temporary files;
- delete expired sessions (which remember "My photos");
- delete the task rows of finished jobs (django-tasks-db keeps them for ever) after
  GALLERY_TASK_RETENTION_DAYS.

All but the upload spool's (each machine's own disk) are site-wide: one worker at a time runs
them (gallery.services.lease).
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gallery.models import ColorizationJob, RefusedUpload
from gallery.services.files import delete_names, upload_spool_clean
from gallery.services.queue import enqueue_on_commit, task_is_pending, tasks_fail_lost
from gallery.services.web import job_delete

logger = logging.getLogger(__name__)

Status = ColorizationJob.Status
Review = ColorizationJob.Review

WORKER_LOST = (
    "The worker stopped {attempts} times while colorizing this photo (its process ended before the "
    "photo was done), so we stopped trying. Please try again."
)


def _silent_since(cutoff: datetime) -> Q:
    """Running jobs with no sign of life since ``cutoff``: no heartbeat since then (or, with
    none yet, not started since then)."""
    return Q(status=Status.RUNNING) & (Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))


def jobs_requeue_stale(*, now: datetime | None = None) -> tuple[int, int]:
    """Give lost jobs back to the queue. A running job whose heartbeat stopped
    GALLERY_JOB_TIMEOUT_SECONDS ago lost its worker (a live run, however long, keeps beating);
    a job queued that long whose task is gone (or never got one) was never picked up. A job
    that keeps losing its worker fails after GALLERY_JOB_MAX_ATTEMPTS runs. The task rows of
    lost runs end in FAILED. Returns (requeued, failed) counts."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.GALLERY_JOB_TIMEOUT_SECONDS)
    live_tasks = ColorizationJob.objects.filter(status=Status.RUNNING).exclude(_silent_since(cutoff))
    ended = tasks_fail_lost(started_before=cutoff, keep=live_tasks.values_list("task_id", flat=True), now=now)
    if ended:
        logger.warning("Ended %d task(s) whose worker stopped.", ended)

    requeued = failed = 0
    for job in ColorizationJob.objects.filter(_silent_since(cutoff)):
        # Conditional on the job being as read: a heartbeat written meanwhile keeps it running.
        still_lost = ColorizationJob.objects.filter(_silent_since(cutoff), pk=job.pk, attempts=job.attempts)
        with transaction.atomic():
            if job.attempts >= settings.GALLERY_JOB_MAX_ATTEMPTS:
                outcome: dict[str, object] = {
                    "status": Status.FAILED,
                    "error_message": WORKER_LOST.format(attempts=job.attempts),
                }
                if job.is_pick:  # it keeps the result it had
                    outcome = job.pick_failed_changes()
                failed += still_lost.update(**outcome, finished_at=now)
                continue
            if still_lost.update(status=Status.QUEUED, started_at=None, heartbeat_at=None, queued_at=now):
                requeued += 1
                enqueue_on_commit(job)

    for job in ColorizationJob.objects.filter(status=Status.QUEUED, queued_at__lt=cutoff):
        if job.task_id and task_is_pending(job.task_id):
            continue  # still waiting its turn in a busy queue
        with transaction.atomic():
            if ColorizationJob.objects.filter(pk=job.pk, status=Status.QUEUED, task_id=job.task_id).update(
                queued_at=now
            ):
                requeued += 1
                enqueue_on_commit(job)
    return requeued, failed


def abandoned_files_delete() -> int:
    """Delete the files that killed runs were writing (``pending_files``) of jobs that are
    finished: failed after their last attempt, or done by a later run that did not see them. A
    queued job's next run deletes its own; a running one is left to its run. Returns how many
    jobs had some."""
    cleaned = 0
    for job in ColorizationJob.objects.filter(status__in=[Status.SUCCEEDED, Status.FAILED]).exclude(pending_files=[]):
        names = list(job.pending_files)
        if ColorizationJob.objects.filter(pk=job.pk, status=job.status, attempts=job.attempts).update(pending_files=[]):
            delete_names(names, job.original.storage)
            cleaned += 1
            logger.info("Deleted %d file(s) a killed run of job %s left.", len(names), job.pk)
    return cleaned


@dataclass(frozen=True)
class Expired:
    finished: int = 0
    failed: int = 0


def jobs_delete_expired(*, now: datetime | None = None) -> Expired:
    """Delete, with their files, the jobs whose time is up: finished GALLERY_RETENTION_DAYS
    ago and not public in the gallery, or failed GALLERY_FAILED_RETENTION_DAYS ago (a
    failed job keeps only its original, for "Try again"). Each one is logged."""
    now = now or timezone.now()
    public = Q(pk__in=ColorizationJob.objects.public().values("pk"))
    rules = {
        "finished": Q(status=Status.SUCCEEDED, finished_at__lt=now - timedelta(days=settings.GALLERY_RETENTION_DAYS)),
        "failed": Q(status=Status.FAILED, finished_at__lt=now - timedelta(days=settings.GALLERY_FAILED_RETENTION_DAYS)),
    }
    counts = {}
    for kind, rule in rules.items():
        counts[kind] = 0
        for job in ColorizationJob.objects.filter(rule).exclude(public):
            job_id = job.pk  # gone from the object once deleted
            with transaction.atomic():
                job_delete(job=job)
            counts[kind] += 1
            logger.info("Retention: deleted %s job %s (finished %s) and its files.", kind, job_id, job.finished_at)
    # The refused files a batch page lists go with the batch's photos.
    RefusedUpload.objects.filter(created_at__lt=now - timedelta(days=settings.GALLERY_RETENTION_DAYS)).delete()
    return Expired(**counts)


def upload_spool_sweep() -> int:
    """Delete the stale files a killed web worker left in FILE_UPLOAD_TEMP_DIR (this machine's)."""
    directory = settings.FILE_UPLOAD_TEMP_DIR
    deleted = upload_spool_clean(directory) if directory else 0
    if deleted:
        logger.info("Deleted %d stale upload temporary file(s).", deleted)
    return deleted


def upload_spool_sweeper_start() -> threading.Thread:
    """Sweep the upload spool now and then every GALLERY_SPOOL_SWEEP_SECONDS, in a daemon
    thread of this process (each web process runs one: gunicorn's post_worker_init)."""

    def sweep_forever() -> None:
        while True:
            try:
                upload_spool_sweep()
            except Exception:
                logger.exception("Sweep (upload temporary files) failed")
            time.sleep(settings.GALLERY_SPOOL_SWEEP_SECONDS)

    thread = threading.Thread(target=sweep_forever, name="upload-spool-sweeper", daemon=True)
    thread.start()
    return thread


def sessions_clear_expired() -> None:
    """Delete expired sessions (what "My photos" remembers lives in a browser's session; a
    session of a database-backed engine stays in the table until someone clears it)."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()


def task_rows_prune(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Delete the task rows that ended (SUCCESSFUL or FAILED) over GALLERY_TASK_RETENTION_DAYS
    ago, ``batch`` at a time (short transactions beside a busy queue). Returns how many."""
    now = now or timezone.now()
    ended = DBTaskResult.objects.filter(
        status__in=["SUCCESSFUL", "FAILED"],
        finished_at__lt=now - timedelta(days=settings.GALLERY_TASK_RETENTION_DAYS),
    )
    deleted = 0
    while ids := list(ended.values_list("pk", flat=True)[:batch]):
        deleted += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
    return deleted
