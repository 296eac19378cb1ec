"""What a job's run stores: the provenance label in every result file, the web-sized previews,
each stage as it goes, the job's vividness, and the colours the hint tool suggests."""

from pathlib import Path

import pytest
from PIL import Image

from colorsite.testing.helpers import create_job
from gallery.models import ColorizationJob
from gallery.services import colorizing, web, worker
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_image

pytestmark = pytest.mark.django_db
Status = ColorizationJob.Status


def test_every_result_file_carries_the_provenance_label(engine_model):
    from colorize import imaging

    job = create_job(engine_model)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    for field in (job.result, job.result_jpeg, job.thumbnail, job.result_preview):
        with field.open("rb") as handle:
            packet = imaging.read_xmp(handle.read())
        assert imaging.DIGITAL_SOURCE_TYPE.encode() in packet
        assert f'AISystemUsed="{engine_model}"'.encode() in packet
        assert b"Grandma" not in packet  # the display name stays out of it


def test_job_create_stores_a_web_sized_preview_of_the_original(settings, engine_model):
    settings.GALLERY_PREVIEW_SIZE = 40
    job = web.job_create(image=grey_image(120, 90), display_name="scan.png", model_name=engine_model)
    with job.original_preview.open("rb") as handle:
        preview = Image.open(handle)
        assert (preview.format, preview.size) == ("WEBP", (40, 30))


def test_job_run_stores_web_sized_previews_of_the_result_and_keeps_the_full_size(settings, engine_model):
    settings.GALLERY_PREVIEW_SIZE = 60
    job = web.job_create(image=grey_image(120, 90), display_name="scan.png", model_name=engine_model)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    with job.result_preview.open("rb") as handle:
        preview = Image.open(handle)
        assert (preview.format, preview.size, preview.mode) == ("WEBP", (60, 45), "RGB")
    with job.result.open("rb") as handle:
        assert Image.open(handle).size == (120, 90)


def test_the_original_preview_carries_no_metadata(engine_model):
    from colorize import imaging

    job = create_job(engine_model)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    with job.original_preview.open("rb") as handle:
        assert imaging.read_xmp(handle.read()) == b""


def test_job_run_makes_the_original_preview_of_a_job_from_before_previews(engine_model):
    job = create_job(engine_model)
    job.original_preview.delete(save=True)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert job.original_preview.name.endswith(".webp")


def test_a_rerun_deletes_the_previous_runs_preview(engine_model, django_capture_on_commit_callbacks):
    job = create_job(engine_model)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    first = Path(job.result_preview.path)
    ColorizationJob.objects.filter(pk=job.pk).update(status=Status.FAILED)
    with django_capture_on_commit_callbacks(execute=False):
        web.job_retry(job=job)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert Path(job.result_preview.path).exists()
    assert not first.exists()


def test_the_worker_records_each_stage_of_a_run(engine_model, monkeypatch):
    job = create_job(engine_model)
    seen = []
    real_stage = worker._stage
    monkeypatch.setattr(
        worker,
        "_stage",
        lambda job, stage: (
            real_stage(job, stage),
            seen.append(ColorizationJob.objects.values_list("stage", flat=True).get(pk=job.pk)),
        ),
    )
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert seen == ["colorizing", "saving"]
    assert job.status == Status.SUCCEEDED
    assert job.stage == ""


def test_a_claimed_job_is_loading_its_photo():
    job = ColorizationJobFactory()
    assert worker._claim(job.pk).stage == "loading"


def test_a_job_gets_the_default_vividness_or_the_one_asked_for(engine_model, settings):
    settings.COLORIZE_DEFAULT_VIVIDNESS = 0.4
    assert create_job(engine_model).vividness == 0.4
    assert create_job(engine_model, vividness=0.9).vividness == 0.9
    with pytest.raises(ValueError, match="vividness"):
        create_job(engine_model, vividness=1.5)


def test_job_run_colorizes_at_the_jobs_vividness(engine_model, monkeypatch):
    seen = []
    real = colorizing.pipeline.colorize_detailed

    def spy(image, **kwargs):
        seen.append(kwargs["vividness"])
        return real(image, **kwargs)

    monkeypatch.setattr(colorizing.pipeline, "colorize_detailed", spy)
    job = create_job(engine_model, vividness=0.85)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    assert seen == [0.85]


def test_job_run_keeps_the_suggested_colours_for_the_hint_tool(engine_model):
    job = create_job(engine_model)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.suggestions["rows"], job.suggestions["columns"]) == (16, 16)
    assert len(job.suggestions["cells"]) == 256
    suggested = job.suggested_colours(10, 20)
    assert suggested
    assert all(s["color"].startswith("#") and 0 < s["probability"] <= 1 for s in suggested)


def test_suggested_colours_are_looked_up_by_the_cell_of_the_point():
    job = ColorizationJobFactory(succeeded=True)
    job.original_width, job.original_height = 200, 100
    job.suggestions = {
        "rows": 2,
        "columns": 2,
        "cells": [[["#000001", 0.5]], [["#000002", 0.5]], [["#000003", 0.9], ["#000033", 0.1]], []],
    }
    assert job.suggested_colours(150, 10) == [{"color": "#000002", "probability": 0.5}]
    assert [s["color"] for s in job.suggested_colours(0, 99)] == ["#000003", "#000033"]
    assert job.suggested_colours(199, 99) == []
    job.suggestions = None
    assert job.suggested_colours(0, 0) == []


def test_job_rerun_vividness_keeps_the_model_and_the_colour_points(hint_model):
    parent = ColorizationJobFactory(
        succeeded=True, model_name=hint_model, hints=[{"x": 1, "y": 2, "color": "#ff0000"}], vividness=0.5
    )
    child = web.job_rerun_vividness(job=parent, vividness=0.75)
    assert child.parent == parent
    assert child.model_name == hint_model
    assert child.hints == parent.hints
    assert child.vividness == 0.75
    assert child.status == Status.QUEUED


def test_job_recolorize_keeps_the_parents_vividness(hint_model):
    parent = ColorizationJobFactory(succeeded=True, model_name=hint_model, vividness=0.2)
    child = web.job_recolorize(job=parent, hints=[{"x": 1, "y": 2, "color": "#ff0000"}])
    assert child.vividness == 0.2
