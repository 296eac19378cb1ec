"""The worker command's sweep (``gallery_worker``): give lost jobs back to the queue."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gallery.models import ColorizationJob
from gallery.services.queue import enqueue_on_commit, task_is_pending

Status = ColorizationJob.Status

WORKER_LOST = "The worker stopped while colorizing this photo (it may have run out of memory). Please try again."


def jobs_requeue_stale(*, now: datetime | None = None) -> tuple[int, int]:
    """Give lost jobs back to the queue: a job "running" longer than the timeout lost its
    worker; a job "queued" that long whose task is gone (or never got one) was never picked up.
    A job that keeps losing its worker fails after GALLERY_JOB_MAX_ATTEMPTS runs.
    Returns (requeued, failed) counts."""
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
