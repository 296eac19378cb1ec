"""The web tier offers the models the live workers have (issue #23: on Elastic Beanstalk the web
instance's own disk holds only the bundled model, so production offered compact alone)."""

import io

import pytest
from django.urls import reverse

from colorize import registry, site
from colorsite.testing.helpers import WorkerProcess, use_random_weights, wait_for
from gallery.models import WorkerModel
from gallery.services import workers
from gallery.tests.images import grey_photo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def photo():
    upload = io.BytesIO(grey_photo(64, 48))
    upload.name = "photo.png"
    return upload


@pytest.fixture
def worker_with_eccv16(settings, tmp_path, gallery_weights_dir):
    """A real ``gallery_worker`` process whose weights folder holds ECCV16 (seeded weights), and
    then a web side whose own weights folder is empty."""
    use_random_weights(settings, gallery_weights_dir, "eccv16")
    worker = WorkerProcess(tmp_path, "eccv16")
    try:
        wait_for(
            lambda: WorkerModel.objects.filter(model_name="eccv16").exists() and "Starting worker" in worker.output(),
            timeout=120,
            what="the worker to report its models and start its loop",
            worker=worker,
        )
        settings.COLORIZE_WEIGHTS_DIR = tmp_path / "web-weights"  # nothing fetched here
        assert registry.get_spec("eccv16") not in site.installed_models()
        yield worker
    finally:
        worker.stop()


def upload_form_models(client):
    html = client.get(reverse("gallery:upload")).content.decode()
    return {name for name in registry.MODELS if f'value="{name}"' in html}


def test_a_live_workers_model_is_offered_by_the_form_and_the_api(client, worker_with_eccv16, api, photo):
    assert "eccv16" in upload_form_models(client)
    models = {entry["name"] for entry in api.get(reverse("api:models")).json()}
    assert "eccv16" in models
    created = api.post(reverse("api:jobs"), {"image": photo, "model": "eccv16"}, format="multipart")
    assert created.status_code == 201
    assert created.json()["model"] == "eccv16"


def test_a_stopped_workers_model_is_no_longer_offered(client, worker_with_eccv16, api, photo):
    worker_with_eccv16.stop()
    assert "eccv16" not in upload_form_models(client)
    refused = api.post(reverse("api:jobs"), {"image": photo, "model": "eccv16"}, format="multipart")
    assert refused.status_code == 400
    assert "'eccv16' is not a model any worker has installed now" in refused.json()["message"]


def test_a_worker_silent_for_too_long_no_longer_counts(client, settings):
    settings.COLORIZE_WEIGHTS_DIR = "/nonexistent"
    workers.worker_models_report(worker="elsewhere:1")
    WorkerModel.objects.update(model_name="eccv16")
    assert "eccv16" in upload_form_models(client)
    settings.GALLERY_WORKER_LIVE_SECONDS = 0
    assert "eccv16" not in upload_form_models(client)


def test_the_report_records_the_installed_graphs_version(settings, gallery_weights_dir):
    use_random_weights(settings, gallery_weights_dir, "eccv16")
    assert "eccv16" in workers.worker_models_report(worker="here:1")
    row = WorkerModel.objects.get(worker="here:1", model_name="eccv16")
    assert row.sha256 == (site.weights_store().installed_sha256(registry.get_spec("eccv16")) or "")
