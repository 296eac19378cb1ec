"""The background task: looks the job up and runs it. All the work is in services.job_run."""

from django.tasks import task

from gallery import services


@task()
def colorize_job(job_id):
    job = services.job_run(job_id=job_id)
    return {"job": str(job.public_id), "status": job.status} if job else None
