"""What a worker says about its models: which graph each runs (float32 or int8) and why, in its
log, in its row and on the admin's model list (colorize.int8)."""

import contextlib
import dataclasses
import logging

import pytest
from django.urls import reverse

from colorize import registry, site, weights
from colorsite.testing.helpers import create_job
from gallery.models import ColorizationJob, WorkerModel
from gallery.services import worker, workers
from research.testing import int8_report

COMPACT = registry.get_spec("compact")
pytestmark = pytest.mark.django_db


@pytest.fixture
def weights_here(settings, tmp_path, monkeypatch):
    """int8 on, an empty weights folder beside the bundled compact model, and a worker that has
    said nothing yet in this process."""
    settings.COLORIZE_WEIGHTS_DIR = tmp_path
    settings.COLORIZE_INT8 = True
    monkeypatch.setattr(workers, "_said", {})
    return site.weights_store()


def precision_lines(caplog):
    return [record for record in caplog.records if getattr(record, "event", "") == "worker.model_precision"]


def test_a_worker_warns_why_a_failed_int8_graph_is_not_used(weights_here, caplog):
    int8_report(weights_here, COMPACT, mean_ab=7.0, graph=False)
    with caplog.at_level(logging.INFO, logger="gallery.services.workers"):
        workers.worker_models_report(worker="w1")
    (line,) = precision_lines(caplog)
    assert line.levelno == logging.WARNING
    assert line.getMessage() == (
        "model compact runs float32: its int8 graph failed the self-check: chelsea: mean 7.00 ab (limit 2)"
    )
    row = WorkerModel.objects.get(worker="w1", model_name="compact")
    assert (row.precision, row.int8_check) == ("float32", line.getMessage().split(": ", 1)[1])


def test_a_worker_runs_a_passing_int8_graph_and_says_so_once(weights_here, caplog):
    int8_report(weights_here, COMPACT)
    with caplog.at_level(logging.INFO, logger="gallery.services.workers"):
        workers.worker_models_report(worker="w1")
        workers.worker_models_report(worker="w1")
    (line,) = precision_lines(caplog)
    assert line.levelno == logging.INFO
    assert line.getMessage().startswith("model compact runs int8: its int8 graph passed the self-check: worst check")
    assert WorkerModel.objects.get(worker="w1", model_name="compact").precision == "int8"
    assert site.model("compact").path == weights_here.int8_path(COMPACT)


def test_with_int8_switched_off_a_worker_runs_float32_without_a_warning(weights_here, settings, caplog):
    int8_report(weights_here, COMPACT)
    settings.COLORIZE_INT8 = False
    with caplog.at_level(logging.INFO, logger="gallery.services.workers"):
        workers.worker_models_report(worker="w1")
    (line,) = precision_lines(caplog)
    assert line.levelno == logging.INFO
    assert line.getMessage() == "model compact runs float32: int8 is switched off (COLORIZE_INT8)"
    assert site.model("compact").precision == "float32"


def test_the_admins_model_list_shows_the_precision_and_the_self_check(admin_client):
    WorkerModel.objects.create(
        worker="w1", model_name="eccv16", precision="int8", int8_check="its int8 graph passed the self-check: 41.9 dB"
    )
    html = admin_client.get(reverse("admin:gallery_workermodel_changelist")).content.decode()
    assert '<td class="field-precision">int8</td>' in html
    assert "its int8 graph passed the self-check: 41.9 dB" in html


def test_a_job_runs_the_int8_graph_that_passed(weights_here, private_media):
    int8_report(weights_here, COMPACT)
    job = create_job("compact")
    with patch_finished_line() as lines:
        worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ColorizationJob.Status.SUCCEEDED, job.error_message
    assert lines == ["int8"]


def test_a_job_whose_int8_graph_fails_runs_float32_instead(weights_here, private_media, caplog):
    """The graph replaced since the worker chose it (by an install), say: not a failed job."""
    weights_here.directory.mkdir(parents=True, exist_ok=True)
    weights_here.int8_path(COMPACT).write_bytes(b"not a graph any more")
    report = int8_report(weights_here, COMPACT, graph=False)
    weights_here.int8_report_path(COMPACT).write_text(
        dataclasses.replace(report, int8_sha256=weights.sha256_of(weights_here.int8_path(COMPACT))).to_json()
    )
    assert site.model("compact").precision == "int8"
    job = create_job("compact")
    with patch_finished_line() as lines, caplog.at_level(logging.WARNING):
        worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ColorizationJob.Status.SUCCEEDED, job.error_message
    assert lines == ["float32"]
    assert any(getattr(record, "event", "") == "job.int8_fallback" for record in caplog.records)


@contextlib.contextmanager
def patch_finished_line():
    """The precision each finished job's line names."""
    precisions = []
    real = worker._finished_line

    def spy(job, stages, *, ran_network, precision):
        precisions.append(precision)
        real(job, stages, ran_network=ran_network, precision=precision)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(worker, "_finished_line", spy)
        yield precisions
