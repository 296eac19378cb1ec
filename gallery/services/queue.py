"""Handing jobs to the task queue: for the web's writes (``web``) and the sweep (``sweep``).

The one services module that imports ``gallery.tasks``; the task module imports only
``worker``, so the imports form no cycle."""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.tasks import TaskResultStatus, task_backends

from gallery.models import ColorizationJob
from gallery.tasks import colorize_job

logger = logging.getLogger(__name__)


# A kept variant's rendering takes a second or two and someone is watching for it: it may go
# ahead of the photos waiting for the network (gallery.selectors.pick_may_go_first says when).
RENDER_PRIORITY = 10


def enqueue_on_commit(job: ColorizationJob) -> None:
    """Hand the job to the task queue once the transaction that created or reset it commits,
    so the worker never looks for a row it cannot see yet, at the job's ``queue_priority``
    (higher runs first; a requeued job keeps it)."""
    priority = job.queue_priority

    def enqueue() -> None:
        try:
            result = colorize_job.using(priority=priority).enqueue(job_id=job.pk)
        except Exception:
            # The job stays queued; the sweep hands it to the queue again later.
            logger.exception("Could not enqueue colorization job", extra={"job_id": str(job.pk)})
            return
        ColorizationJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
        logger.info(
            "job queued: %s, %dx%d",
            job.model_name,
            job.original_width,
            job.original_height,
            extra={
                "event": "job.queued",
                "job_id": str(job.pk),
                "model": job.model_name,
                "width": job.original_width,
                "height": job.original_height,
                "hints": len(job.hints or []),
                "variant": job.variant,
                "priority": priority,
            },
        )

    transaction.on_commit(enqueue)


def task_is_pending(task_id: str) -> bool:
    """Whether the task with this id still waits its turn or runs (False when it is unknown,
    finished, or the queue cannot say)."""
    try:
        status = colorize_job.get_result(task_id).status
    except Exception:  # noqa: BLE001  (any task backend's error: the queue cannot say)
        return False
    return status in {TaskResultStatus.READY, TaskResultStatus.RUNNING}


def tasks_fail_lost(*, started_before: datetime, keep: Iterable[str], now: datetime) -> int:
    """End in FAILED every colorization task row still RUNNING that started before
    ``started_before`` and whose id is not in ``keep`` (the tasks of jobs that are running
    with a live heartbeat): its worker was killed and nobody else will ever finish the row.
    Only for django-tasks-db's database backend (other backends keep no such rows).
    Returns how many rows it ended."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends[colorize_job.backend], DatabaseBackend):
        return 0
    return (
        DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, task_path=colorize_job.module_path, started_at__lt=started_before
        )
        .exclude(id__in=[task_id for task_id in keep if task_id])
        .update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="gallery.services.sweep.WorkerLost",
            traceback="WorkerLost: the worker running this task stopped (its job's heartbeat stopped); "
            "the sweep ended the task and queued the job again if it had attempts left.\n",
        )
    )
