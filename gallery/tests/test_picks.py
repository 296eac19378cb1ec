"""Picking another colouring (issue #34): it waits its turn fairly, keeps its priority when a
worker dies, and a pick that fails leaves the photo as it was, result and gallery place kept."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from PIL import Image

from gallery import selectors
from gallery.models import ColorizationJob
from gallery.services import colorizing, sweep, web, worker
from gallery.services.queue import RENDER_PRIORITY
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo

Status = ColorizationJob.Status


def queued_job(engine_model, *, client=""):
    image = Image.open(io.BytesIO(grey_photo(40, 28))).convert("RGB")
    return web.job_create(image=image, model_name=engine_model, display_name="x.png", client=client)


# --- A fair queue (the real worker) --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_client_picking_as_fast_as_it_can_holds_anothers_photo_back_one_render_at_most(engine_model, run_worker):
    picker = [queued_job(engine_model, client="picker") for _ in range(12)]
    run_worker()
    first, *rest = picker
    web.job_variant_choose(job=first, variant="vivid", client="picker")  # before anyone else waits
    other = queued_job(engine_model, client="other")
    for job in rest:
        web.job_variant_choose(job=job, variant="vivid", client="picker")
    run_worker()
    other.refresh_from_db()
    picks = ColorizationJob.objects.filter(client="picker")
    assert {job.variant for job in picks} == {"vivid"}
    assert other.status == Status.SUCCEEDED
    renders_before = picks.filter(finished_at__lt=other.finished_at).count()
    assert renders_before <= 1


@pytest.mark.django_db(transaction=True)
def test_a_pick_goes_first_while_nobody_else_waits(engine_model, run_worker):
    job = queued_job(engine_model, client="picker")
    run_worker()
    job.refresh_from_db()
    web.job_variant_choose(job=job, variant="vivid", client="picker")
    job.refresh_from_db()
    assert job.queue_priority == RENDER_PRIORITY
    assert DBTaskResult.objects.get(id=job.task_id).priority == RENDER_PRIORITY


@pytest.mark.django_db
def test_a_second_pick_of_the_same_client_waits_its_turn():
    ColorizationJobFactory(succeeded=True, client="picker", status=Status.QUEUED)  # a pick on its way
    assert not selectors.pick_may_go_first(client="picker")


@pytest.mark.django_db
def test_a_pick_waits_behind_anyone_elses_waiting_photo():
    ColorizationJobFactory(client="other")
    assert not selectors.pick_may_go_first(client="picker")


@pytest.mark.django_db(transaction=True)
def test_a_pick_requeued_after_its_worker_died_keeps_its_priority(engine_model, run_worker, settings):
    job = queued_job(engine_model, client="picker")
    run_worker()
    job.refresh_from_db()
    web.job_variant_choose(job=job, variant="vivid", client="picker")
    long_ago = timezone.now() - timedelta(seconds=settings.GALLERY_JOB_TIMEOUT_SECONDS + 60)
    ColorizationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, attempts=1, heartbeat_at=long_ago)
    DBTaskResult.objects.all().delete()
    assert sweep.jobs_requeue_stale() == (1, 0)
    job.refresh_from_db()
    assert DBTaskResult.objects.get(id=job.task_id).priority == RENDER_PRIORITY


# --- A pick that fails ---------------------------------------------------------------------------


@pytest.fixture
def failing_render(monkeypatch):
    def fail(job, image):
        raise RuntimeError("the render broke")

    monkeypatch.setattr(colorizing, "job_colorized", fail)


@pytest.mark.django_db
def test_a_failed_pick_leaves_the_photo_finished_with_its_result(failing_render):
    job = ColorizationJobFactory(public=True)
    result = job.result.name
    web.job_variant_choose(job=job, variant="vivid")
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.variant, job.result.name) == (Status.SUCCEEDED, "balanced", result)
    assert job.result.storage.exists(result)


@pytest.mark.django_db
def test_a_failed_pick_says_so_to_its_owner(failing_render, client):
    from colorsite.testing.helpers import own

    job = own(client, ColorizationJobFactory(succeeded=True))
    web.job_variant_choose(job=job, variant="vivid")
    worker.job_run(job_id=job.pk)
    html = client.get(job.get_absolute_url()).content.decode()
    assert "The “Vivid” colouring could not be made just now" in html
    assert "“Balanced” one, as before" in html


@pytest.mark.django_db
def test_a_failed_pick_keeps_the_photo_in_the_gallery(failing_render):
    job = ColorizationJobFactory(public=True)
    web.job_variant_choose(job=job, variant="vivid")
    worker.job_run(job_id=job.pk)
    assert list(selectors.gallery_jobs()) == [job]


@pytest.mark.django_db
def test_a_public_photo_stays_in_the_gallery_while_its_pick_renders():
    job = ColorizationJobFactory(public=True)
    web.job_variant_choose(job=job, variant="vivid")
    job.refresh_from_db()
    assert job.status == Status.QUEUED
    assert job.is_public
    assert list(selectors.gallery_jobs()) == [job]


@pytest.mark.django_db
def test_a_failed_pick_is_not_deleted_as_a_failed_job(failing_render, settings):
    job = ColorizationJobFactory(public=True)
    web.job_variant_choose(job=job, variant="vivid")
    worker.job_run(job_id=job.pk)
    later = timezone.now() + timedelta(days=settings.GALLERY_FAILED_RETENTION_DAYS + 1)
    sweep.jobs_delete_expired(now=later)
    assert ColorizationJob.objects.filter(pk=job.pk).exists()


@pytest.mark.django_db
def test_a_pick_whose_worker_keeps_dying_goes_back_to_its_result(settings):
    job = ColorizationJobFactory(succeeded=True)
    web.job_variant_choose(job=job, variant="vivid")
    long_ago = timezone.now() - timedelta(seconds=settings.GALLERY_JOB_TIMEOUT_SECONDS + 60)
    ColorizationJob.objects.filter(pk=job.pk).update(
        status=Status.RUNNING, attempts=settings.GALLERY_JOB_MAX_ATTEMPTS, heartbeat_at=long_ago
    )
    sweep.jobs_requeue_stale()
    job.refresh_from_db()
    assert (job.status, job.variant, job.error_code) == (Status.SUCCEEDED, "balanced", "pick_failed")


@pytest.mark.django_db
def test_a_job_that_failed_a_pick_before_the_migration_is_finished_again():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("gallery.migrations.0012_job_pick_state")
    legacy = ColorizationJobFactory(succeeded=True, status=Status.FAILED, variant="vivid")
    untouched = ColorizationJobFactory(failed=True)
    migration.shown_variant_from_variant(apps, None)
    legacy.refresh_from_db()
    untouched.refresh_from_db()
    assert (legacy.status, legacy.error_code, legacy.has_result) == (Status.SUCCEEDED, "pick_failed", True)
    assert untouched.status == Status.FAILED


@pytest.mark.django_db
def test_a_first_run_whose_storage_fails_half_way_fails_and_can_be_retried(engine_model, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    job = queued_job(engine_model)
    real_save, saves = FileSystemStorage.save, []

    def second_save_fails(storage, name, content, max_length=None):
        saves.append(name)
        if len(saves) == 2:
            raise OSError(28, "No space left on device")
        return real_save(storage, name, content, max_length=max_length)

    monkeypatch.setattr(FileSystemStorage, "save", second_save_fails)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.error_code, job.result.name) == (Status.FAILED, "store_failed", "")
    assert not job.original.storage.exists(saves[0])
