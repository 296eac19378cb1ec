"""The worker's sweep: heartbeats tell a live run from a dead one, a dead run's task row ends,
expired jobs are deleted with their files, stale upload temporary files are removed."""

import logging
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gallery.models import ColorizationJob
from gallery.services import colorizing, files, sweep, web, worker
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_image

Status = ColorizationJob.Status
Review = ColorizationJob.Review


# --- Heartbeats --------------------------------------------------------------------------------


def minutes_ago(minutes):
    return timezone.now() - timedelta(minutes=minutes)


def job_whose_task_was_left_running(engine_model, capture_on_commit, **job_fields):
    """A job enqueued for real whose task row a worker claimed five minutes ago and then died."""
    with capture_on_commit(execute=True):
        job = web.job_create(image=grey_image(), display_name="x.png", model_name=engine_model)
    job.refresh_from_db()
    DBTaskResult.objects.filter(id=job.task_id).update(status="RUNNING", started_at=minutes_ago(5))
    ColorizationJob.objects.filter(pk=job.pk).update(**job_fields)
    return job


@pytest.mark.django_db(transaction=True)
def test_a_long_live_run_keeps_beating_and_is_never_requeued(settings, engine_model, monkeypatch):
    settings.GALLERY_HEARTBEAT_SECONDS = 0.1
    settings.GALLERY_JOB_TIMEOUT_SECONDS = 1
    job = web.job_create(image=grey_image(), display_name="long.png", model_name=engine_model)
    release = threading.Event()
    real_colorize = colorizing.pipeline.colorize_detailed

    def slow_colorize(*args, **kwargs):  # the real network, after a long wait
        assert release.wait(60)
        return real_colorize(*args, **kwargs)

    monkeypatch.setattr(colorizing.pipeline, "colorize_detailed", slow_colorize)

    def run():
        try:
            worker.job_run(job_id=job.pk)
        finally:
            connections.close_all()

    runner = threading.Thread(target=run)
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while ColorizationJob.objects.get(pk=job.pk).status != Status.RUNNING:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        for _ in range(6):  # three timeouts long
            time.sleep(0.5)
            assert sweep.jobs_requeue_stale() == (0, 0)
        running = ColorizationJob.objects.get(pk=job.pk)
        assert running.status == Status.RUNNING
        assert running.heartbeat_at - running.started_at > timedelta(seconds=2)
    finally:
        release.set()
        runner.join(60)
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert job.attempts == 1


@pytest.mark.django_db
def test_a_running_job_whose_heartbeat_stopped_is_requeued_and_its_task_row_ends_failed(
    settings, engine_model, django_capture_on_commit_callbacks
):
    settings.GALLERY_JOB_TIMEOUT_SECONDS = 60
    job = job_whose_task_was_left_running(
        engine_model,
        django_capture_on_commit_callbacks,
        status=Status.RUNNING,
        attempts=1,
        started_at=minutes_ago(5),
        heartbeat_at=minutes_ago(5),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep.jobs_requeue_stale() == (1, 0)
    old_task = DBTaskResult.objects.get(id=job.task_id)
    assert old_task.status == "FAILED"
    assert old_task.finished_at
    assert "WorkerLost" in old_task.exception_class_path
    job.refresh_from_db()
    assert job.status == Status.QUEUED
    assert job.task_id != str(old_task.id)
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"


@pytest.mark.django_db
def test_a_job_started_long_ago_but_beating_now_is_left_alone(settings):
    settings.GALLERY_JOB_TIMEOUT_SECONDS = 60
    job = ColorizationJobFactory(
        status=Status.RUNNING, attempts=1, started_at=timezone.now() - timedelta(hours=2), heartbeat_at=timezone.now()
    )
    assert sweep.jobs_requeue_stale() == (0, 0)
    job.refresh_from_db()
    assert job.status == Status.RUNNING


@pytest.mark.django_db
def test_a_queued_job_whose_task_row_was_left_running_is_enqueued_again(
    settings, engine_model, django_capture_on_commit_callbacks
):
    """The worker died between claiming the task and claiming the job."""
    settings.GALLERY_JOB_TIMEOUT_SECONDS = 60
    job = job_whose_task_was_left_running(engine_model, django_capture_on_commit_callbacks, queued_at=minutes_ago(5))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep.jobs_requeue_stale() == (1, 0)
    assert DBTaskResult.objects.get(id=job.task_id).status == "FAILED"
    assert DBTaskResult.objects.get(id=ColorizationJob.objects.get(pk=job.pk).task_id).status == "READY"


@pytest.mark.django_db
def test_the_message_of_a_job_that_keeps_losing_its_worker_says_what_happened(settings):
    settings.GALLERY_JOB_TIMEOUT_SECONDS = 60
    job = ColorizationJobFactory(status=Status.RUNNING, attempts=3, started_at=timezone.now() - timedelta(minutes=5))
    sweep.jobs_requeue_stale()
    job.refresh_from_db()
    assert job.error_message.startswith("The worker stopped 3 times while colorizing this photo")
    assert "memory" not in job.error_message


# --- Retention ---------------------------------------------------------------------------------


def days_ago(days):
    return timezone.now() - timedelta(days=days)


@pytest.mark.django_db
def test_expired_jobs_are_deleted_with_their_files_and_public_ones_kept(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.GALLERY_RETENTION_DAYS, settings.GALLERY_FAILED_RETENTION_DAYS = 30, 7
    expired = ColorizationJobFactory(succeeded=True, finished_at=days_ago(31))
    waiting_review = ColorizationJobFactory(succeeded=True, gallery_requested=True, finished_at=days_ago(31))
    public = ColorizationJobFactory(public=True, finished_at=days_ago(400))
    recent = ColorizationJobFactory(succeeded=True, finished_at=days_ago(29))
    failed_old = ColorizationJobFactory(failed=True, finished_at=days_ago(8))
    failed_recent = ColorizationJobFactory(failed=True, finished_at=days_ago(6))
    queued = ColorizationJobFactory(queued_at=days_ago(60))
    doomed_files = [
        Path(getattr(job, name).path)
        for job in (expired, failed_old)
        for name in ("original", "result", "thumbnail")
        if getattr(job, name)
    ]
    assert all(path.exists() for path in doomed_files)

    with (
        caplog.at_level(logging.INFO, logger="gallery.services.sweep"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        outcome = sweep.jobs_delete_expired()

    assert (outcome.finished, outcome.failed) == (2, 1)
    remaining = set(ColorizationJob.objects.values_list("pk", flat=True))
    assert remaining == {public.pk, recent.pk, failed_recent.pk, queued.pk}
    assert waiting_review.pk not in remaining
    assert not any(path.exists() for path in doomed_files)
    assert Path(public.result.path).exists()
    assert f"job {expired.pk} (finished" in caplog.text
    assert "Retention: deleted" in caplog.text
    assert str(expired.public_id) not in caplog.text  # a private link never goes into a line


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_applies_retention(settings, run_worker):
    settings.GALLERY_RETENTION_DAYS = 30
    expired = ColorizationJobFactory(succeeded=True, finished_at=days_ago(31))
    kept = ColorizationJobFactory(succeeded=True, finished_at=days_ago(1))
    run_worker()
    assert list(ColorizationJob.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not Path(expired.result.path).exists()


# --- Upload temporary files --------------------------------------------------------------------


def spool_file(directory, name, *, age):
    path = Path(directory) / name
    path.write_bytes(b"half an upload")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_stale_upload_temporary_files_are_deleted_and_live_ones_kept(tmp_path):
    stale = spool_file(tmp_path, "tmpa1b2c3.upload.jpg", age=2 * 3600)
    live = spool_file(tmp_path, "tmpd4e5f6.upload.png", age=60)
    other = spool_file(tmp_path, "not-ours.txt", age=10 * 3600)
    assert files.upload_spool_clean(tmp_path) == 1
    assert not stale.exists()
    assert live.exists()
    assert other.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_cleans_the_upload_spool(settings, tmp_path, run_worker):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    stale = spool_file(tmp_path, "tmpzz.upload.jpg", age=2 * 3600)
    run_worker()
    assert not stale.exists()


@pytest.mark.django_db
def test_a_spooled_upload_goes_through_and_leaves_nothing_behind(
    client, settings, tmp_path, engine_model, recaptcha_passes
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from gallery.tests.images import noise_photo

    spool = tmp_path / "spool"
    spool.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000  # spool even this small photo to a file
    data = {
        "image": SimpleUploadedFile("big.png", noise_photo(200, 120)),
        "model": engine_model,
        "g-recaptcha-response": "t",
    }
    assert client.post(reverse("gallery:upload"), data).status_code == 302
    assert list(spool.iterdir()) == []


@pytest.mark.django_db
def test_the_sweep_deletes_expired_sessions():
    from django.contrib.sessions.models import Session

    Session.objects.create(session_key="old", session_data="", expire_date=timezone.now() - timedelta(days=1))
    Session.objects.create(session_key="live", session_data="", expire_date=timezone.now() + timedelta(days=1))
    sweep.sessions_clear_expired()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
