"""Handing jobs to the task queue: for the web's writes (``web``) and the sweep (``sweep``).

The one services module that imports ``gallery.tasks``; the task module imports only
``worker``, so the imports form no cycle."""

import logging

from django.db import transaction
from django.tasks import TaskResultStatus

from gallery.models import ColorizationJob
from gallery.tasks import colorize_job

logger = logging.getLogger(__name__)


def enqueue_on_commit(job: ColorizationJob) -> None:
    """Hand the job to the task queue once the transaction that created or reset it commits,
    so the worker never looks for a row it cannot see yet."""

    def enqueue() -> None:
        try:
            result = colorize_job.enqueue(job_id=job.pk)
        except Exception:
            # The job stays queued; the sweep hands it to the queue again later.
            logger.exception("Could not enqueue colorization job %s", job.public_id)
            return
        ColorizationJob.objects.filter(pk=job.pk).update(task_id=str(result.id))

    transaction.on_commit(enqueue)


def task_is_pending(task_id: str) -> bool:
    """Whether the task with this id still waits its turn or runs (False when it is unknown,
    finished, or the queue cannot say)."""
    try:
        status = colorize_job.get_result(task_id).status
    except Exception:
        return False
    return status in {TaskResultStatus.READY, TaskResultStatus.RUNNING}
