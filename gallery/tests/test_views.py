"""The website's views through the test client: upload, a job's page, its status and files,
retry and colour points, and the error pages. The gallery choice and the public gallery are in
test_views_gallery; colouring a finished photo again in test_views_rerun."""

import json

import pytest
from django.urls import reverse

from colorsite.testing.helpers import own, post_upload
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo, png_bomb, truncated_png

pytestmark = pytest.mark.django_db
Status = ColorizationJob.Status


def test_upload_page_offers_file_model_gallery_and_captcha(client, engine_model):
    response = client.get(reverse("gallery:upload"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="file"' in html
    assert "data-dropzone" in html
    assert f'name="model" value="{engine_model}"' in html  # the one installed model (else a list)
    assert 'name="show_in_gallery"' in html
    assert "g-recaptcha" in html
    assert "bootstrap/css/bootstrap.min.css" in html


def test_upload_creates_a_job_and_redirects_to_its_private_page(client, engine_model, recaptcha_passes):
    response = post_upload(client, grey_photo(), model=engine_model, show_in_gallery="on")
    job = ColorizationJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert job.gallery_requested
    assert job.model_name == engine_model
    assert recaptcha_passes == ["token"]


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4 not an image", b"", png_bomb(), truncated_png()],
    ids=["not-an-image", "empty", "bomb", "truncated"],
)
def test_bad_upload_is_a_friendly_form_error_not_a_500(client, engine_model, recaptcha_passes, content):
    response = post_upload(client, content, model=engine_model)
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert not ColorizationJob.objects.exists()


def test_file_over_the_limit_is_a_friendly_form_error(client, settings, engine_model, recaptcha_passes):
    settings.COLORIZE_MAX_UPLOAD_BYTES = 2000
    response = post_upload(client, grey_photo(300, 300) + b"\0" * 5000, model=engine_model)
    assert response.status_code == 400
    assert "largest photo we accept" in response.content.decode()
    assert not ColorizationJob.objects.exists()


def test_huge_request_is_refused_before_reading_it(client, settings, engine_model, recaptcha_passes):
    settings.COLORIZE_MAX_UPLOAD_BYTES = 1000
    response = post_upload(client, b"x" * (1024 * 1024 + 5000), model=engine_model)
    assert response.status_code == 400
    assert "largest photo we accept" in response.content.decode()
    assert not ColorizationJob.objects.exists()


def test_failed_captcha_keeps_the_user_on_the_form(client, engine_model, recaptcha_fails):
    response = post_upload(client, grey_photo(), model=engine_model)
    assert response.status_code == 400
    assert "reCAPTCHA" in response.content.decode()
    assert not ColorizationJob.objects.exists()


def test_unknown_job_is_404(client):
    response = client.get(reverse("gallery:job_detail", args=["00000000-0000-0000-0000-000000000000"]))
    assert response.status_code == 404


def test_queued_job_page_shows_live_status_and_works_without_javascript(client):
    job = ColorizationJobFactory()
    response = client.get(job.get_absolute_url())
    html = response.content.decode()
    assert "data-status-url" in html
    assert "data-elapsed" in html
    assert '<noscript><meta http-equiv="refresh"' in html
    assert response["X-Robots-Tag"].startswith("noindex")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_status_endpoint_reports_progress(client):
    job = ColorizationJobFactory(status=Status.RUNNING)
    from django.utils import timezone

    ColorizationJob.objects.filter(pk=job.pk).update(started_at=timezone.now())
    data = client.get(reverse("gallery:job_status", args=[job.public_id])).json()
    assert data["status"] == "running"
    assert data["finished"] is False
    assert data["waited"] >= 0
    assert "html" not in data


def test_status_endpoint_carries_the_finished_panel(client):
    job = ColorizationJobFactory(succeeded=True)
    data = client.get(reverse("gallery:job_status", args=[job.public_id])).json()
    assert data["finished"] is True
    assert "data-compare" in data["html"]


def test_result_page_has_slider_downloads_and_model(client, engine_model):
    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)
    html = client.get(job.get_absolute_url()).content.decode()
    assert "data-compare-range" in html
    assert job.png_download_url in html
    assert job.jpeg_download_url in html
    assert job.result_url in html
    assert job.model_title in html


def test_result_file_is_served_with_immutable_cache_headers(client):
    job = ColorizationJobFactory(succeeded=True)
    response = client.get(job.result_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=31536000" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_each_result_has_its_own_url_and_an_old_url_stops_working(client):
    first, second = ColorizationJobFactory.create_batch(2, succeeded=True)
    assert first.result_url != second.result_url
    stale_name_url = first.result_url.replace(
        first.result.name.rsplit("/", 1)[-1], second.result.name.rsplit("/", 1)[-1]
    )
    assert client.get(stale_name_url).status_code == 404


def test_download_is_an_attachment_named_after_the_display_name(client):
    job = ColorizationJobFactory(succeeded=True, display_name="Grandma 1952")
    png = client.get(job.png_download_url)
    jpeg = client.get(job.jpeg_download_url)
    assert png["Content-Disposition"].startswith("attachment")
    assert "Grandma 1952-colorized.png" in png["Content-Disposition"]
    assert jpeg["Content-Type"] == "image/jpeg"


def test_failed_job_page_shows_the_reason_and_a_retry(client, engine_model):
    job = own(client, ColorizationJobFactory(failed=True, error_message="This model is not installed."))
    html = client.get(job.get_absolute_url()).content.decode()
    assert "This model is not installed." in html
    assert reverse("gallery:job_retry", args=[job.public_id]) in html


def test_retry_post_queues_the_job_again(client, engine_model):
    job = own(client, ColorizationJobFactory(failed=True, model_name=engine_model))
    response = client.post(reverse("gallery:job_retry", args=[job.public_id]), {"model": engine_model})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Status.QUEUED


def test_hints_post_creates_a_new_job(client, hint_model):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name=hint_model))
    hints = json.dumps([{"x": 5, "y": 6, "color": "#336699"}])
    response = client.post(
        reverse("gallery:job_recolorize", args=[job.public_id]), {"hints": hints, "model": hint_model}
    )
    child = ColorizationJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302
    assert response["Location"] == child.get_absolute_url()
    assert child.hints == [{"x": 5, "y": 6, "color": "#336699"}]


def test_result_page_of_a_hint_model_offers_colour_points(client, hint_model):
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    assert "data-hint-layer" in client.get(job.get_absolute_url()).content.decode()


def test_bad_hints_are_a_400_with_the_reason(client, hint_model):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name=hint_model))
    response = client.post(
        reverse("gallery:job_recolorize", args=[job.public_id]), {"hints": "[]", "model": hint_model}
    )
    assert response.status_code == 400
    assert "at least one colour point" in response.content.decode()


def test_upload_page_says_so_when_no_model_is_installed(client, monkeypatch):
    monkeypatch.setattr("colorize.site.installed_models", lambda: [])
    html = client.get(reverse("gallery:upload")).content.decode()
    assert "No colorization model is installed" in html
    assert "disabled" in html


def test_result_file_answers_head_requests(client):
    job = ColorizationJobFactory(succeeded=True)
    response = client.head(job.result_url)
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]


def test_robots_txt_keeps_private_pages_out_of_search_engines(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert "Disallow: /jobs/" in response.content.decode()


def test_not_found_page_is_friendly(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


def test_server_error_page_renders_without_a_request():
    from django.template.loader import render_to_string

    assert "Something went wrong on our side" in render_to_string("500.html")
