"""One worker at a time does the site-wide sweep (issue #35), the queue's cap grows with the
workers, and the task rows of jobs that ended long ago are deleted."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from colorsite.testing.helpers import wait_for
from gallery import status
from gallery.models import SweepLease, WorkerModel
from gallery.services import lease, sweep, web
from gallery.services.web import QueueFull
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_image

pytestmark = pytest.mark.django_db


def test_the_lease_goes_to_one_worker_per_interval():
    now = timezone.now()
    assert lease.lease_take("site sweep", every=60, holder="a:1", now=now)
    assert not lease.lease_take("site sweep", every=60, holder="b:2", now=now + timedelta(seconds=1))
    assert not lease.lease_take("site sweep", every=60, holder="a:1", now=now + timedelta(seconds=30))
    assert lease.lease_take("site sweep", every=60, holder="b:2", now=now + timedelta(seconds=60))
    row = SweepLease.objects.get(name="site sweep")
    assert (row.holder, row.runs) == ("b:2", 2)


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_database_run_the_site_sweep_once_an_interval_in_all(workers):
    first, second = workers("--sweep-interval", "1"), workers("--sweep-interval", "1")
    wait_for(lambda: len(status.workers_alive()) == 2, timeout=120, what="both workers to report", worker=second)
    start, runs = time.monotonic(), SweepLease.objects.get(name=lease.SITE_SWEEP).runs
    wait_for(lambda: time.monotonic() - start > 8, timeout=30, what="eight seconds")
    ran = SweepLease.objects.get(name=lease.SITE_SWEEP).runs - runs
    # One a second in all (a little more: a worker may take it after 0.9 s); two workers each
    # sweeping on their own would be 16.
    assert 6 <= ran <= 10, ran
    assert first.process.poll() is None
    assert second.process.poll() is None


def live_workers(count, *, seen=timedelta(seconds=20)):
    for index in range(count):
        WorkerModel.objects.create(worker=f"ip-10-0-0-{index}:1", model_name="compact", seen_at=timezone.now() - seen)


def test_the_active_job_cap_grows_with_the_live_workers(settings):
    settings.GALLERY_MAX_ACTIVE_JOBS = 100
    assert status.active_job_limit() == 100  # none alive: one counted, uploads still taken
    live_workers(3)
    assert status.active_job_limit() == 300


def test_workers_gone_quiet_do_not_raise_the_cap(settings):
    settings.GALLERY_MAX_ACTIVE_JOBS = 100
    live_workers(3, seen=timedelta(seconds=settings.GALLERY_WORKER_LIVE_SECONDS + 60))
    assert status.active_job_limit() == 100


def test_the_queue_takes_a_job_more_per_live_worker(settings):
    settings.GALLERY_MAX_ACTIVE_JOBS = 1
    ColorizationJobFactory(client="others")
    with pytest.raises(QueueFull):
        web.queue_room_check(client="me")
    live_workers(2)
    web.queue_room_check(client="me")


def task_row(model, status_name, *, finished_days_ago=None):
    """A task row made by the real enqueue, then set as django-tasks-db leaves one."""
    job = web.job_create(image=grey_image(), model_name=model, display_name="a.jpg")
    job.refresh_from_db()
    row = DBTaskResult.objects.get(pk=job.task_id)
    finished = timezone.now() - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    DBTaskResult.objects.filter(pk=row.pk).update(status=status_name, finished_at=finished)
    return row.pk


@pytest.mark.django_db(transaction=True)
def test_task_rows_of_jobs_that_ended_long_ago_are_deleted_and_the_others_kept(settings, engine_model):
    settings.GALLERY_TASK_RETENTION_DAYS = 7
    old_done = task_row(engine_model, "SUCCESSFUL", finished_days_ago=8)
    old_failed = task_row(engine_model, "FAILED", finished_days_ago=8)
    recent = task_row(engine_model, "SUCCESSFUL", finished_days_ago=1)
    waiting = task_row(engine_model, "READY")
    assert sweep.task_rows_prune(batch=1) == 2
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) >= {recent, waiting}
    assert not DBTaskResult.objects.filter(pk__in=[old_done, old_failed]).exists()
