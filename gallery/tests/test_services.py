"""The gallery's services on a real (tiny or bundled) network: a job created, run, retried,
recovered by the sweep, re-colorized with colour points, deleted with its files. What a run
stores (provenance, previews, stages, vividness, suggestions) is in test_services_runs."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from colorsite.testing.helpers import create_job
from gallery.models import FILE_FIELDS, ColorizationJob
from gallery.services import colorizing, moderation, sweep, web, worker
from gallery.tests.factories import ColorizationJobFactory

pytestmark = pytest.mark.django_db
Status = ColorizationJob.Status


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Grandma's wedding (1952).jpg", "Grandma's wedding (1952)"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\Desktop\\scan 1.png", "scan 1"),
        ("<b onmouseover=x>hi</b>.png", "b"),
        ("<img src=x onerror=alert(1)>.png", "img src x onerror alert(1)"),
        ("\x00\x1f.png", "photo"),
        ("", "photo"),
        ("a" * 300 + ".png", "a" * 80),
    ],
)
def test_display_names_are_sanitised(raw, expected):
    assert web.sanitize_display_name(raw) == expected


def test_job_create_stores_the_original_under_a_generated_name(engine_model, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = create_job(engine_model, display_name="secret-family-name.png")
    job.refresh_from_db()
    assert "secret" not in job.original.name
    assert job.original.name.startswith("originals/")
    assert job.display_name == "secret-family-name"
    assert (job.original_width, job.original_height, job.original_bytes) == (48, 32, 1234)
    assert job.status == Status.QUEUED


def test_job_create_enqueues_only_after_commit(engine_model, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = create_job(engine_model)
    assert len(callbacks) == 1
    assert ColorizationJob.objects.get(pk=job.pk).task_id == ""
    callbacks[0]()
    assert ColorizationJob.objects.get(pk=job.pk).task_id != ""


def test_storage_names_are_never_reused(engine_model):
    names = {create_job(engine_model, display_name="same.png").original.name for _ in range(3)}
    assert len(names) == 3


def test_stored_original_is_a_png_without_metadata(engine_model):
    job = create_job(engine_model)
    with job.original.open("rb") as handle:
        stored = Image.open(handle)
        assert stored.format == "PNG"
        assert "exif" not in stored.info


def test_job_run_colorizes_with_a_real_network(engine_model):
    job = create_job(engine_model)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    with job.result.open("rb") as handle:
        assert Image.open(handle).size == (48, 32)
    assert job.result_jpeg
    assert job.thumbnail
    assert job.result_bytes > 0
    assert job.started_at
    assert job.finished_at
    assert job.finished_at >= job.started_at
    assert job.attempts == 1


def test_job_run_records_a_missing_model_as_a_friendly_failure(engine_model):
    job = create_job(engine_model)
    ColorizationJob.objects.filter(pk=job.pk).update(model_name="siggraph17-not-installed")
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error_message
    assert job.original
    assert job.original.storage.exists(job.original.name)


def test_job_run_records_a_corrupt_original_as_a_failure(engine_model):
    job = create_job(engine_model)
    Path(job.original.path).write_bytes(b"garbage")
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error_message


def test_job_run_leaves_a_job_that_is_not_queued_alone(engine_model):
    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)
    result_name = job.result.name
    assert worker.job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.result.name == result_name


def test_job_retry_queues_a_failed_job_again(engine_model, django_capture_on_commit_callbacks):
    job = ColorizationJobFactory(failed=True, model_name=engine_model)
    with django_capture_on_commit_callbacks(execute=True):
        web.job_retry(job=job)
    job.refresh_from_db()
    assert job.status == Status.QUEUED
    assert job.error_message == ""
    assert job.attempts == 0
    assert job.task_id


def test_job_retry_ignores_a_job_that_did_not_fail():
    job = ColorizationJobFactory(succeeded=True)
    web.job_retry(job=job)
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED


def test_stale_running_job_is_queued_again(settings, django_capture_on_commit_callbacks):
    settings.GALLERY_JOB_TIMEOUT_SECONDS = 60
    job = ColorizationJobFactory(status=Status.RUNNING, attempts=1, started_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        requeued, failed = sweep.jobs_requeue_stale()
    job.refresh_from_db()
    assert (requeued, failed) == (1, 0)
    assert job.status == Status.QUEUED
    assert job.task_id


def test_running_job_within_the_timeout_is_left_alone(settings):
    settings.GALLERY_JOB_TIMEOUT_SECONDS = 600
    job = ColorizationJobFactory(status=Status.RUNNING, attempts=1, started_at=timezone.now() - timedelta(minutes=1))
    assert sweep.jobs_requeue_stale() == (0, 0)
    job.refresh_from_db()
    assert job.status == Status.RUNNING


def test_job_that_keeps_losing_its_worker_fails(settings):
    settings.GALLERY_JOB_TIMEOUT_SECONDS = 60
    settings.GALLERY_JOB_MAX_ATTEMPTS = 3
    job = ColorizationJobFactory(status=Status.RUNNING, attempts=3, started_at=timezone.now() - timedelta(minutes=5))
    assert sweep.jobs_requeue_stale() == (0, 1)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert "worker stopped" in job.error_message


def test_queued_job_without_a_task_is_enqueued_again(settings, django_capture_on_commit_callbacks):
    settings.GALLERY_JOB_TIMEOUT_SECONDS = 60
    job = ColorizationJobFactory(queued_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep.jobs_requeue_stale() == (1, 0)
    job.refresh_from_db()
    assert job.task_id


def test_approve_and_hide_set_the_review_state():
    jobs = ColorizationJobFactory.create_batch(2, succeeded=True, gallery_requested=True)
    moderation.jobs_approve(jobs=jobs)
    assert all(j.is_public for j in ColorizationJob.objects.all())
    moderation.jobs_hide(jobs=jobs[:1])
    assert ColorizationJob.objects.get(pk=jobs[0].pk).gallery_review == ColorizationJob.Review.HIDDEN


def test_job_delete_deletes_its_files(django_capture_on_commit_callbacks):
    job = ColorizationJobFactory(succeeded=True)
    paths = [Path(getattr(job, f).path) for f in FILE_FIELDS]
    assert len(paths) == 8  # the original, the results, the thumbnail, both previews and the variants
    assert all(p.exists() for p in paths)
    with django_capture_on_commit_callbacks(execute=True):
        web.job_delete(job=job)
    assert not any(p.exists() for p in paths)
    assert not ColorizationJob.objects.exists()


def test_job_recolorize_creates_a_new_job_with_hints_on_a_copy(hint_model):
    parent = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    child = web.job_recolorize(job=parent, hints=[{"x": 1, "y": 2, "color": "#ff0000"}])
    assert child.pk != parent.pk
    assert child.parent == parent
    assert child.hints == [{"x": 1, "y": 2, "color": "#ff0000"}]
    assert child.original.name != parent.original.name
    assert child.status == Status.QUEUED


def test_job_run_passes_hints_to_a_hint_model(hint_model):
    parent = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    child = web.job_recolorize(job=parent, hints=[{"x": 1, "y": 2, "color": "#ff0000"}])
    worker.job_run(job_id=child.pk)
    child.refresh_from_db()
    assert child.status == Status.SUCCEEDED, child.error_message


def test_job_with_hints_on_a_model_without_hints_fails_clearly():
    job = create_job("eccv16", hints=[{"x": 1, "y": 2, "color": "#ff0000"}])
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert "does not take colour points" in job.error_message


def test_a_result_that_cannot_be_stored_fails_the_job_and_keeps_the_original(engine_model, monkeypatch):
    job = create_job(engine_model)
    original = job.original.name

    def broken_save(self, name, content, max_length=None):
        raise OSError("disk full")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage.save", broken_save)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert "could not be saved" in job.error_message
    assert job.original.name == original
    assert job.original.storage.exists(original)


def test_a_job_deleted_while_running_leaves_no_files(engine_model, monkeypatch, django_capture_on_commit_callbacks):
    job = create_job(engine_model)
    real_colorize = colorizing.pipeline.colorize_detailed

    def colorize_then_delete(*args, **kwargs):
        result = real_colorize(*args, **kwargs)
        ColorizationJob.objects.filter(pk=job.pk).delete()
        return result

    monkeypatch.setattr(colorizing.pipeline, "colorize_detailed", colorize_then_delete)
    worker.job_run(job_id=job.pk)
    media = Path(job.original.storage.location)
    assert not [p for folder in ("results", "thumbnails") for p in (media / folder).rglob("*") if p.is_file()]


def test_queued_job_whose_task_still_waits_is_left_alone(settings, engine_model, django_capture_on_commit_callbacks):
    settings.GALLERY_JOB_TIMEOUT_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=True):
        job = create_job(engine_model)
    ColorizationJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(minutes=5))
    task_id = ColorizationJob.objects.get(pk=job.pk).task_id
    assert sweep.jobs_requeue_stale() == (0, 0)
    assert ColorizationJob.objects.get(pk=job.pk).task_id == task_id
