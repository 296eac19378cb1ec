"""The S3 storage settings, against moto's real standalone server: a job's files are stored
and read back through django-storages exactly as in production."""

import io
import runpy
from pathlib import Path

import boto3
import pytest
from django.conf import settings as django_settings
from PIL import Image

from colorsite.tests.servers import moto_s3
from gallery.services import web, worker
from gallery.tests.images import grey_photo

pytestmark = pytest.mark.django_db
BUCKET = "colorsite-test-media"


@pytest.fixture
def s3_storage(settings, monkeypatch):
    with moto_s3(monkeypatch) as endpoint:
        for name, value in {
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
        # The project's own settings module, evaluated with these variables set.
        configured = runpy.run_path(str(Path(django_settings.BASE_DIR) / "colorsite" / "settings" / "base.py"))
        settings.STORAGES = {**settings.STORAGES, "default": configured["STORAGES"]["default"]}
        yield boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def test_settings_select_s3_when_a_bucket_is_set(s3_storage):
    assert django_settings.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert django_settings.STORAGES["default"]["OPTIONS"]["bucket_name"] == BUCKET


def test_job_files_are_stored_in_and_read_back_from_s3(s3_storage, engine_model):
    image = Image.open(io.BytesIO(grey_photo(40, 30))).convert("RGB")
    job = web.job_create(image=image, display_name="s3.png", model_name=engine_model)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error_message
    keys = {obj["Key"] for obj in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert {job.original.name, job.result.name, job.result_jpeg.name, job.thumbnail.name} <= keys
    with job.result.open("rb") as handle:
        assert Image.open(handle).size == (40, 30)


def test_result_view_streams_from_s3(s3_storage, engine_model, client):
    image = Image.open(io.BytesIO(grey_photo(40, 30))).convert("RGB")
    job = web.job_create(image=image, display_name="s3.png", model_name=engine_model)
    worker.job_run(job_id=job.pk)
    job.refresh_from_db()
    response = client.get(job.result_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
