"""Batch upload (issue 11): one job per file under one batch, each file refused alone and named,
the rate limit and the queue caps per file, the batch's page and status, and "Download all"
(a ZIP streamed as it is written)."""

import io
import uuid
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from colorsite.testing.helpers import post_batch
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import scans

# The typical run time is cached for half a minute; each test starts without it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_estimates")]


# --- Batch upload --------------------------------------------------------------------------------


def test_three_files_make_three_jobs_of_one_batch_and_its_page(client, engine_model, recaptcha_passes):
    response = post_batch(client, scans(3), model=engine_model, show_in_gallery="on")
    jobs = list(ColorizationJob.objects.order_by("pk"))
    assert [job.display_name for job in jobs] == ["scan 1", "scan 2", "scan 3"]
    assert len({job.batch for job in jobs}) == 1
    assert jobs[0].batch is not None
    assert all(job.gallery_requested and job.model_name == engine_model for job in jobs)
    assert response.status_code == 302
    assert response["Location"] == reverse("gallery:batch_detail", args=[jobs[0].batch])
    assert len(recaptcha_passes) == 1  # one check for the whole batch


def test_the_batch_page_lists_every_job_with_its_status(client, engine_model, recaptcha_passes):
    post_batch(client, scans(3), model=engine_model)
    batch = ColorizationJob.objects.first().batch
    response = client.get(reverse("gallery:batch_detail", args=[batch]))
    html = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"].startswith("noindex")
    assert all(f"scan {i}" in html for i in (1, 2, 3))
    assert html.count('data-job-status="queued"') == 3
    assert "0 of 3 ready so far" in html


def test_a_bad_file_in_a_batch_is_refused_alone_and_named(client, engine_model, recaptcha_passes):
    files = [*scans(2), SimpleUploadedFile("notes.jpg", b"not a picture")]
    response = post_batch(client, files, model=engine_model)
    assert ColorizationJob.objects.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "“notes.jpg”: This file is not an image" in page


def test_a_batch_of_bad_files_stays_on_the_form_with_each_reason(client, engine_model, recaptcha_passes):
    files = [SimpleUploadedFile("a.jpg", b"nope"), SimpleUploadedFile("b.png", b"")]
    response = post_batch(client, files, model=engine_model)
    html = response.content.decode()
    assert response.status_code == 400
    assert not ColorizationJob.objects.exists()
    assert "“a.jpg”: This file is not an image" in html
    assert "“b.png”" in html


def test_a_batch_counts_as_one_request_against_the_rate_limit(client, settings, engine_model, recaptcha_passes):
    """Issue #24: with each file counted, one full batch used up the limit, and "Less vivid"
    right after it was a 429."""
    settings.GALLERY_RATE_LIMIT = "3/10m"
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    statuses = [post_batch(client, scans(5), model=engine_model).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert ColorizationJob.objects.count() == 15


def test_a_rerun_of_ones_own_photo_right_after_a_full_batch_is_not_refused(
    client, settings, engine_model, recaptcha_passes
):
    """Issue #24: the batch is one request, so the re-run still has room."""
    settings.GALLERY_RATE_LIMIT = "2/10m"
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    assert post_batch(client, scans(20), model=engine_model).status_code == 302
    job = ColorizationJob.objects.order_by("pk").first()
    ColorizationJob.objects.filter(pk=job.pk).update(status=ColorizationJob.Status.SUCCEEDED)
    rerun = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.25"})
    assert rerun.status_code == 302
    assert ColorizationJob.objects.filter(parent=job).exists()


def test_refused_reruns_of_someone_elses_photo_still_count_against_the_limit(client, settings, engine_model):
    settings.GALLERY_RATE_LIMIT = "1/10m"
    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)  # not this browser's
    url = reverse("gallery:job_vividness", args=[job.public_id])
    assert [client.post(url, {"vividness": "0.25"}).status_code for _ in range(2)] == [403, 429]
    assert not ColorizationJob.objects.filter(parent=job).exists()


def test_reloading_a_batch_page_still_lists_its_refused_files(client, settings, engine_model, recaptcha_passes):
    files = [*scans(2), SimpleUploadedFile("notes.jpg", b"not a photo")]
    response = post_batch(client, files, model=engine_model)
    for _ in range(2):
        page = client.get(response["Location"]).content.decode()
        assert "1 file of this upload was not taken" in page
        assert "“notes.jpg”: This file is not an image" in page


def test_each_file_of_a_batch_needs_room_in_the_queue(client, settings, engine_model, recaptcha_passes):
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 2
    response = post_batch(client, scans(3), model=engine_model)
    assert ColorizationJob.objects.count() == 2
    assert "“scan 3.png”: you already have 2 photos waiting" in client.get(response["Location"]).content.decode()


def test_a_batch_status_reports_every_job(client):
    batch = uuid.uuid4()
    ColorizationJobFactory(batch=batch, succeeded=True)
    ColorizationJobFactory(batch=batch)
    payload = client.get(reverse("gallery:batch_status", args=[batch])).json()
    assert (payload["ready"], payload["total"], payload["finished"]) == (1, 2, False)
    assert 'data-job-status="succeeded"' in payload["html"]
    assert "Number 1 in the queue" in payload["html"]


def test_an_unknown_batch_is_404(client):
    assert client.get(reverse("gallery:batch_detail", args=[uuid.uuid4()])).status_code == 404


def test_download_all_streams_a_zip_of_the_results(client):
    batch = uuid.uuid4()
    jobs = [
        ColorizationJobFactory(batch=batch, succeeded=True, display_name=name)
        for name in ("Wedding", "Harbour", "Wedding")
    ]
    ColorizationJobFactory(batch=batch)  # still waiting: not in the ZIP
    response = client.get(reverse("gallery:batch_download", args=[batch]))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.namelist() == ["Wedding-colorized.png", "Harbour-colorized.png", "Wedding (2)-colorized.png"]
        for job, name in zip(jobs, archive.namelist(), strict=False):
            with job.result.open("rb") as handle:
                assert archive.read(name) == handle.read()


def test_download_all_names_a_result_deleted_while_it_streams(client):
    batch = uuid.uuid4()
    kept, deleted = (
        ColorizationJobFactory(batch=batch, succeeded=True, display_name=name) for name in ("Kept", "Gone")
    )
    response = client.get(reverse("gallery:batch_download", args=[batch]))
    stream = iter(response.streaming_content)
    head = next(stream)  # the first entry has started
    deleted.result.storage.delete(deleted.result.name)  # its owner deleted it meanwhile
    body = head + b"".join(stream)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["Kept-colorized.png", "NOT INCLUDED.txt"]
        assert "Gone-colorized.png" in archive.read("NOT INCLUDED.txt").decode()
        with kept.result.open("rb") as handle:
            assert archive.read("Kept-colorized.png") == handle.read()


def test_download_all_holds_no_archive_in_memory(client):
    batch = uuid.uuid4()
    ColorizationJobFactory(batch=batch, succeeded=True)
    response = client.get(reverse("gallery:batch_download", args=[batch]))
    first = next(iter(response.streaming_content))
    assert len(first) < 1024  # a ZIP header, sent before the file is read
