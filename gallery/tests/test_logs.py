"""The log lines an operator reads (issue #27): one JSON access line per request with its id,
and a job's queued, started and finished (or failed) lines with one job id, in production's
JSON format; nothing personal in any of them."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from colorize import pipeline
from colorize.errors import ModelFailed
from gallery.models import ColorizationJob
from gallery.tests.images import grey_photo

pytestmark = pytest.mark.django_db(transaction=True)
CLIENT_ADDRESS = "203.0.113.77"
FILE_NAME = "Grandma Rosa 1921"


def test_one_request_writes_one_access_line_with_the_id_it_answers(client, json_lines):
    response = client.get("/", REMOTE_ADDR=CLIENT_ADDRESS, QUERY_STRING="token=secret")
    access = [line for line in json_lines() if line["event"] == "request"]
    assert len(access) == 1
    (line,) = access
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) >= 16
    assert (line["method"], line["path"], line["status"], line["logger"], line["level"]) == (
        "GET",
        "/",
        200,
        "colorsite.access",
        "INFO",
    )
    assert line["bytes"] == len(response.content)
    assert line["duration_ms"] >= 0
    assert line["timestamp"]
    assert CLIENT_ADDRESS not in json.dumps(json_lines())
    assert "secret" not in json.dumps(json_lines())


def test_the_load_balancers_trace_id_becomes_the_request_id(client, json_lines):
    response = client.get("/", HTTP_X_AMZN_TRACE_ID="Root=1-67891233-abcdef012345678912345678;Sampled=1")
    assert response["X-Request-ID"] == "1-67891233-abcdef012345678912345678"
    assert json_lines()[-1]["request_id"] == "1-67891233-abcdef012345678912345678"


def test_a_private_link_in_a_path_is_masked(client, json_lines):
    client.get("/jobs/6abfca63-1111-4222-8333-944455556666/")
    assert json_lines()[-1]["path"] == "/jobs/:id/"
    assert json_lines()[-1]["status"] == 404


def upload(client, model):
    data = {
        "model": model,
        "image": SimpleUploadedFile(f"{FILE_NAME}.png", grey_photo(64, 48)),
        "g-recaptcha-response": "token",
    }
    response = client.post(reverse("gallery:upload"), data, REMOTE_ADDR=CLIENT_ADDRESS)
    assert response.status_code == 302, response.content[:500]
    return ColorizationJob.objects.get()


def test_a_jobs_lines_carry_its_id_from_the_upload_to_the_worker(
    client, engine_model, recaptcha_passes, run_worker, json_lines
):
    job = upload(client, engine_model)
    run_worker()
    lines = json_lines()
    events = {line["event"]: line for line in lines if line["event"].startswith("job.")}
    assert {"job.queued", "job.started", "job.finished"} <= set(events)
    assert {events[name]["job_id"] for name in ("job.queued", "job.started", "job.finished")} == {str(job.pk)}
    assert events["job.queued"]["request_id"]  # the upload's request
    finished = events["job.finished"]
    assert (finished["model"], finished["width"], finished["height"], finished["megapixels"]) == (
        engine_model,
        64,
        48,
        0.0,
    )
    assert finished["seconds"] > 0
    assert finished["network_seconds"] > 0
    assert finished["hints"] == 0
    assert finished["precision"] == "float32"  # no int8 graph passed a self-check here
    everything = json.dumps(lines)
    assert CLIENT_ADDRESS not in everything
    assert FILE_NAME not in everything
    assert str(job.public_id) not in everything  # the private link never goes into a line


@pytest.fixture
def failed_job(client, engine_model, recaptcha_passes, run_worker, monkeypatch):
    """An upload whose model raises ModelFailed, run by the real worker."""

    def fails(*args, **kwargs):
        raise ModelFailed("the network returned NaN")

    monkeypatch.setattr(pipeline, "colorize_detailed", fails)
    job = upload(client, engine_model)
    run_worker()
    return job


def test_a_failing_model_writes_one_failed_line_with_a_stable_code(json_lines, failed_job):
    job = failed_job
    failed = [line for line in json_lines() if line["event"] == "job.failed"]
    assert len(failed) == 1
    assert (failed[0]["code"], failed[0]["job_id"], failed[0]["level"]) == ("model_failed", str(job.pk), "ERROR")
    assert failed[0]["user_message"] == ModelFailed.user_message


def test_a_failing_model_reaches_sentry_tagged_with_the_job(sentry_endpoint, failed_job):
    import sentry_sdk

    job = failed_job
    sentry_sdk.flush(timeout=5)
    events = [envelope for envelope in sentry_endpoint if '"type":"event"' in envelope.replace(" ", "")]
    assert len(events) == 1
    assert f'"job_id":"{job.pk}"' in events[0].replace(" ", "")
    assert "model_failed" in events[0]
    assert CLIENT_ADDRESS not in events[0]
    assert FILE_NAME not in events[0]
