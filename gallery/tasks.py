"""The background task: looks the job up and runs it. All the work is in the worker's
service, ``gallery.services.worker.job_run``.

Imports ``gallery.services.worker`` only; ``gallery.services.queue`` imports this module to
enqueue, so nothing here may import ``queue``, ``web``, ``sweep`` or ``moderation``."""

from django.tasks import task

from gallery.services import worker


@task()
def colorize_job(job_id: int) -> dict[str, str] | None:
    job = worker.job_run(job_id=job_id)
    return {"job": str(job.public_id), "status": job.status} if job else None
