"""A job's four automatic colourings: kept by the worker's one network run, picked later
without running the network again."""

import io

import numpy as np
import pytest
from PIL import Image

from colorize import pipeline, runtime, site
from gallery.models import ColorizationJob
from gallery.services import web, worker
from gallery.tests.images import grey_photo

pytestmark = pytest.mark.django_db
Status = ColorizationJob.Status


def finished_job(engine_model, width=64, height=40):
    image = Image.open(io.BytesIO(grey_photo(width, height))).convert("RGB")
    job = web.job_create(image=image, model_name=engine_model, display_name="porch.jpg")
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    return job, image


def picture(field):
    with field.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


def test_a_run_of_the_network_keeps_every_variant_side_by_side(settings, engine_model):
    settings.GALLERY_THUMBNAIL_SIZE = 32
    job, _ = finished_job(engine_model)
    assert picture(job.variants).size == (4 * 32, 20)
    with job.variant_maps.open("rb") as handle, np.load(io.BytesIO(handle.read())) as kept:
        assert str(kept["model"]) == engine_model
        assert set(ColorizationJob.Variant.values) <= set(kept.files)


def test_the_vivid_tile_has_more_colour_than_the_cautious_one(settings, engine_model):
    settings.GALLERY_THUMBNAIL_SIZE = 32
    job, _ = finished_job(engine_model)
    strip = np.asarray(picture(job.variants).convert("HSV"))[..., 1].astype(float)
    cautious, vivid = strip[:, :32].mean(), strip[:, 64:96].mean()
    assert vivid > cautious


def test_a_picked_variant_is_rendered_without_the_network(engine_model, monkeypatch):
    job, image = finished_job(engine_model)
    kept = {"variants": job.variants.name, "variant_maps": job.variant_maps.name}
    old_result, suggestions = job.result.name, job.suggestions
    web.job_variant_choose(job=job, variant="vivid")
    monkeypatch.setattr(runtime, "run", lambda *args, **kwargs: pytest.fail("the network ran"))
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    monkeypatch.undo()
    expected = pipeline.colorize_detailed(
        image, site.model(engine_model), vividness=site.default_vividness(), variant="vivid", suggestions=False
    ).image
    assert job.status == Status.SUCCEEDED
    assert job.variant == "vivid"
    difference = np.abs(np.asarray(picture(job.result), dtype=int) - np.asarray(expected, dtype=int))
    assert difference.max() <= 2  # the kept colours are float16
    assert (job.variants.name, job.variant_maps.name) == (kept["variants"], kept["variant_maps"])
    assert job.suggestions == suggestions
    assert not job.result.storage.exists(old_result)


def test_kept_colours_of_another_model_are_not_used(engine_model):
    job, _ = finished_job(engine_model)
    ColorizationJob.objects.filter(pk=job.pk).update(model_name="siggraph17")
    job.refresh_from_db()
    assert worker.variants.kept_colours(job) is None


def test_choosing_the_variant_already_shown_changes_nothing(engine_model, django_capture_on_commit_callbacks):
    job, _ = finished_job(engine_model)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        web.job_variant_choose(job=job, variant="balanced")
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert not callbacks


def test_the_jobs_variants_are_the_engines_in_its_order():
    """The page's tiles and the kept colours are named by the engine's VARIANTS."""
    assert tuple(ColorizationJob.Variant.values) == pipeline.VARIANTS
