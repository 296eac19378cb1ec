"""The task, run the way production runs it: the gallery_worker command (django-tasks-db's
worker plus the sweep for lost jobs), against jobs enqueued after their transaction commits."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from PIL import Image

from gallery.models import ColorizationJob
from gallery.services import web
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo

pytestmark = pytest.mark.django_db(transaction=True)
Status = ColorizationJob.Status


def new_job(model_name, **kwargs):
    image = Image.open(io.BytesIO(grey_photo(40, 28))).convert("RGB")
    return web.job_create(image=image, display_name="x.png", model_name=model_name, **kwargs)


def test_worker_runs_an_enqueued_job_to_success(engine_model, run_worker):
    job = new_job(engine_model)
    assert DBTaskResult.objects.get(id=ColorizationJob.objects.get(pk=job.pk).task_id).status == "READY"
    run_worker()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"


def test_worker_records_a_failing_model_on_the_job_and_goes_on(engine_model, run_worker):
    broken = new_job("eccv16-missing")
    good = new_job(engine_model)
    run_worker()
    broken.refresh_from_db()
    good.refresh_from_db()
    assert broken.status == Status.FAILED
    assert broken.error_message
    assert good.status == Status.SUCCEEDED


def test_worker_startup_requeues_a_job_whose_worker_died(settings, engine_model, run_worker):
    settings.GALLERY_JOB_TIMEOUT_SECONDS = 60
    job = new_job(engine_model)
    # A worker claimed it and died: the job and its task stay "running" forever.
    ColorizationJob.objects.filter(pk=job.pk).update(
        status=Status.RUNNING, attempts=1, started_at=timezone.now() - timedelta(minutes=10)
    )
    DBTaskResult.objects.filter(id=ColorizationJob.objects.get(pk=job.pk).task_id).update(status="RUNNING")
    run_worker()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert job.attempts == 2


def test_a_retried_job_runs_again(engine_model, run_worker):
    job = ColorizationJobFactory(failed=True, model_name=engine_model)
    web.job_retry(job=job)
    run_worker()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
