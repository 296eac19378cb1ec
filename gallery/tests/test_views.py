import io
import json

import numpy as np
import pytest
from django.urls import reverse
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult
from PIL import Image

from colorsite.testing.helpers import post_upload
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo, png_bomb, truncated_png

pytestmark = pytest.mark.django_db
Status = ColorizationJob.Status


def test_upload_page_offers_file_model_gallery_and_captcha(client, engine_model):
    response = client.get(reverse("gallery:upload"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="file"' in html and "data-dropzone" in html
    assert f'name="model" value="{engine_model}"' in html  # the one installed model (else a list)
    assert 'name="show_in_gallery"' in html
    assert "g-recaptcha" in html
    assert "bootstrap/css/bootstrap.min.css" in html


def test_upload_creates_a_job_and_redirects_to_its_private_page(client, engine_model, recaptcha_passes):
    response = post_upload(client, grey_photo(), model=engine_model, show_in_gallery="on")
    job = ColorizationJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert job.gallery_requested and job.model_name == engine_model
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
    assert "data-status-url" in html and "data-elapsed" in html
    assert '<noscript><meta http-equiv="refresh"' in html
    assert response["X-Robots-Tag"].startswith("noindex")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_status_endpoint_reports_progress(client):
    job = ColorizationJobFactory(status=Status.RUNNING)
    from django.utils import timezone

    ColorizationJob.objects.filter(pk=job.pk).update(started_at=timezone.now())
    data = client.get(reverse("gallery:job_status", args=[job.public_id])).json()
    assert data["status"] == "running" and data["finished"] is False
    assert data["waited"] >= 0 and "html" not in data


def test_status_endpoint_carries_the_finished_panel(client):
    job = ColorizationJobFactory(succeeded=True)
    data = client.get(reverse("gallery:job_status", args=[job.public_id])).json()
    assert data["finished"] is True
    assert "data-compare" in data["html"]


def test_result_page_has_slider_downloads_and_model(client, engine_model):
    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)
    html = client.get(job.get_absolute_url()).content.decode()
    assert "data-compare-range" in html
    assert job.png_download_url in html and job.jpeg_download_url in html
    assert job.result_url in html
    assert job.model_title in html


def test_result_file_is_served_with_immutable_cache_headers(client):
    job = ColorizationJobFactory(succeeded=True)
    response = client.get(job.result_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "immutable" in response["Cache-Control"] and "max-age=31536000" in response["Cache-Control"]
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
    assert (
        png["Content-Disposition"].startswith("attachment")
        and "Grandma 1952-colorized.png" in png["Content-Disposition"]
    )
    assert jpeg["Content-Type"] == "image/jpeg"


def test_failed_job_page_shows_the_reason_and_a_retry(client, engine_model):
    job = ColorizationJobFactory(failed=True, error_message="This model is not installed.")
    html = client.get(job.get_absolute_url()).content.decode()
    assert "This model is not installed." in html
    assert reverse("gallery:job_retry", args=[job.public_id]) in html


def test_retry_post_queues_the_job_again(client, engine_model):
    job = ColorizationJobFactory(failed=True, model_name=engine_model)
    response = client.post(reverse("gallery:job_retry", args=[job.public_id]), {"model": engine_model})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Status.QUEUED


def test_hints_post_creates_a_new_job(client, hint_model):
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    hints = json.dumps([{"x": 5, "y": 6, "color": "#336699"}])
    response = client.post(
        reverse("gallery:job_recolorize", args=[job.public_id]), {"hints": hints, "model": hint_model}
    )
    child = ColorizationJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response["Location"] == child.get_absolute_url()
    assert child.hints == [{"x": 5, "y": 6, "color": "#336699"}]


def test_result_page_of_a_hint_model_offers_colour_points(client, hint_model):
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    assert "data-hint-layer" in client.get(job.get_absolute_url()).content.decode()


def test_bad_hints_are_a_400_with_the_reason(client, hint_model):
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    response = client.post(
        reverse("gallery:job_recolorize", args=[job.public_id]), {"hints": "[]", "model": hint_model}
    )
    assert response.status_code == 400
    assert "at least one colour point" in response.content.decode()


def test_owner_can_ask_for_the_gallery_later(client):
    job = ColorizationJobFactory(succeeded=True)
    client.post(reverse("gallery:job_gallery", args=[job.public_id]), {"show_in_gallery": "on"})
    job.refresh_from_db()
    assert job.gallery_requested


def test_asking_for_the_gallery_is_one_button_with_an_optional_caption(client):
    job = ColorizationJobFactory(succeeded=True)
    html = client.get(job.get_absolute_url()).content.decode()
    assert (
        'name="show_in_gallery" value="on" class="btn btn-sm btn-primary align-self-start">Show it in the public gallery'
        in html
    )
    assert 'type="checkbox" name="show_in_gallery"' not in html
    url = reverse("gallery:job_gallery", args=[job.public_id])
    client.post(url, {"show_in_gallery": "on", "caption": "  Grandma's   wedding ", "taken_year": "1931"})
    job.refresh_from_db()
    assert (job.gallery_requested, job.caption, job.taken_year) == (True, "Grandma's wedding", 1931)
    assert "it will show as “Grandma&#x27;s wedding”" in client.get(job.get_absolute_url()).content.decode()


def test_an_approved_owner_gets_a_link_to_the_published_photo(client):
    job = ColorizationJobFactory(public=True)
    html = client.get(job.get_absolute_url()).content.decode()
    assert f'It is in the gallery now: <a href="{job.get_gallery_url()}">see it there</a>' in html


def test_taking_a_photo_out_of_the_gallery(client):
    job = ColorizationJobFactory(public=True)
    client.post(reverse("gallery:job_gallery", args=[job.public_id]), {"caption": "", "taken_year": ""})
    job.refresh_from_db()
    assert not job.gallery_requested and not job.is_public


def test_a_year_out_of_range_is_refused_with_the_reason(client):
    job = ColorizationJobFactory(succeeded=True)
    url = reverse("gallery:job_gallery", args=[job.public_id])
    response = client.post(url, {"show_in_gallery": "on", "taken_year": "3000"})
    assert response.status_code == 400 and "less than or equal to 2100" in response.content.decode()
    job.refresh_from_db()
    assert not job.gallery_requested


def test_a_gallery_photo_downloads_under_its_public_title(client):
    job = ColorizationJobFactory(public=True, caption="Harbour, 1920", display_name="private name")
    response = client.get(reverse("gallery:gallery_download", args=[job.pk, "result", job.result_file_name]))
    assert response.status_code == 200
    assert 'filename="Harbour, 1920-colorized.png"' in response["Content-Disposition"]


def test_gallery_shows_only_requested_and_approved_jobs(client):
    # Told apart by their thumbnails: the gallery never shows a file name (issue #9).
    public = ColorizationJobFactory(public=True, display_name="Shown", caption="Shown")
    waiting = ColorizationJobFactory(succeeded=True, gallery_requested=True, caption="Waiting")
    not_asked = ColorizationJobFactory(succeeded=True, gallery_review="approved", caption="NotAsked")
    html = client.get(reverse("gallery:gallery")).content.decode()
    assert public.gallery_title in html and waiting.gallery_title not in html and not_asked.gallery_title not in html
    assert public.gallery_thumbnail_url in html
    assert (
        waiting.thumbnail.name.rsplit("/", 1)[-1] not in html
        and not_asked.thumbnail.name.rsplit("/", 1)[-1] not in html
    )


def test_gallery_never_reveals_the_private_link(client):
    public = ColorizationJobFactory(public=True)
    listing = client.get(reverse("gallery:gallery")).content.decode()
    detail = client.get(public.get_gallery_url()).content.decode()
    assert str(public.public_id) not in listing and str(public.public_id) not in detail


def test_gallery_is_paginated(client, settings):
    settings.GALLERY_PAGE_SIZE = 2
    ColorizationJobFactory.create_batch(3, public=True)
    first = client.get(reverse("gallery:gallery")).content.decode()
    second = client.get(reverse("gallery:gallery") + "?page=2").content.decode()
    assert "Page 1 of 2" in first and "Page 2 of 2" in second


def test_gallery_detail_has_the_slider(client):
    job = ColorizationJobFactory(public=True)
    html = client.get(job.get_gallery_url()).content.decode()
    assert "data-compare-range" in html and job.gallery_result_url in html


def test_private_job_is_not_reachable_through_the_gallery(client):
    job = ColorizationJobFactory(succeeded=True)
    assert client.get(job.get_gallery_url()).status_code == 404
    assert client.get(job.gallery_file_url("result")).status_code == 404


def test_upload_page_says_so_when_no_model_is_installed(client, monkeypatch):
    monkeypatch.setattr("colorize.site.installed_models", lambda: [])
    html = client.get(reverse("gallery:upload")).content.decode()
    assert "No colorization model is installed" in html
    assert "disabled" in html


def test_result_file_answers_head_requests(client):
    job = ColorizationJobFactory(succeeded=True)
    response = client.head(job.result_url)
    assert response.status_code == 200 and "immutable" in response["Cache-Control"]


def test_robots_txt_keeps_private_pages_out_of_search_engines(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and "Disallow: /jobs/" in response.content.decode()


def test_not_found_page_is_friendly(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "This page does not exist" in response.content.decode()


def test_server_error_page_renders_without_a_request():
    from django.template.loader import render_to_string

    assert "Something went wrong on our side" in render_to_string("500.html")


# --- Vividness -----------------------------------------------------------------------------------


def test_upload_page_offers_a_vividness_slider_at_the_default(client, engine_model, settings):
    settings.COLORIZE_DEFAULT_VIVIDNESS = 0.5
    html = client.get(reverse("gallery:upload")).content.decode()
    assert 'type="range" name="vividness"' in html and 'min="0" max="1" step="0.05" value="0.5"' in html


def test_upload_stores_the_chosen_vividness_on_the_job(client, engine_model, recaptcha_passes):
    post_upload(client, grey_photo(), model=engine_model, vividness="0.8")
    assert ColorizationJob.objects.get().vividness == 0.8


def test_result_page_shows_the_vividness_on_a_slider_that_colorizes_again(client):
    job = ColorizationJobFactory(succeeded=True, model_name="compact", vividness=0.5)
    html = client.get(job.get_absolute_url()).content.decode()
    assert "data-vividness-fact>0.50<" in html
    assert reverse("gallery:job_vividness", args=[job.public_id]) in html
    assert 'type="range" name="vividness" id="job-vividness"' in html and 'value="0.5"' in html


def test_a_model_without_a_distribution_says_vividness_has_no_effect(client):
    job = ColorizationJobFactory(succeeded=True, model_name="siggraph17")
    html = client.get(job.get_absolute_url()).content.decode()
    assert "no effect with this model" in html
    assert reverse("gallery:job_vividness", args=[job.public_id]) not in html


def test_vividness_post_colorizes_again_as_a_new_job(client):
    job = ColorizationJobFactory(
        succeeded=True, model_name="compact", vividness=0.5, hints=[{"x": 5, "y": 6, "color": "#336699"}]
    )
    response = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.75"})
    child = ColorizationJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response["Location"] == child.get_absolute_url()
    assert (child.vividness, child.parent, child.model_name, child.hints) == (0.75, job, "compact", job.hints)
    assert child.status == Status.QUEUED


@pytest.mark.parametrize("value", ["2", "-1", "", "x", "nan", "inf", "1e400", "0.5.5"])
def test_a_bad_vividness_post_is_a_400_that_changes_nothing(client, value):
    job = ColorizationJobFactory(succeeded=True, model_name="compact")
    response = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": value})
    assert response.status_code == 400
    assert "Please choose a vividness from 0 to 1" in response.content.decode()
    assert ColorizationJob.objects.count() == 1


def test_a_vividness_post_for_an_unfinished_job_says_so_and_changes_nothing(client):
    job = ColorizationJobFactory(model_name="compact")
    response = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.75"}, follow=True)
    assert "not colorized yet" in response.content.decode()
    assert ColorizationJob.objects.count() == 1


def test_a_vividness_rerun_is_listed_in_my_photos(client):
    job = ColorizationJobFactory(succeeded=True, model_name="compact", vividness=0.5)
    client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.75"})
    child = ColorizationJob.objects.exclude(pk=job.pk).get()
    assert child.get_absolute_url() in client.get(reverse("gallery:my_photos")).content.decode()


def test_a_vividness_rerun_at_the_same_value_does_not_claim_a_change(client):
    job = ColorizationJobFactory(succeeded=True, model_name="compact", vividness=0.5)
    response = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.5"}, follow=True)
    assert "Colorizing again at the same vividness." in response.content.decode()


# --- The hint tool and its suggested colours --------------------------------------------------


def test_the_hint_tool_works_on_the_one_picture_with_a_toggle_zoom_undo_and_clear(client, hint_model):
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    html = client.get(job.get_absolute_url()).content.decode()
    assert html.count(f' src="{job.result_preview_url}"') == 1
    assert '<div class="hint-layer" data-hint-layer></div>\n</figure>' in html
    for control in ("data-hint-edit", "data-hint-toggle", 'data-hint-zoom="in"', "data-hint-exact", "data-hint-undo"):
        assert control in html
    assert reverse("gallery:job_suggestions", args=[job.public_id]) in html


def suggestions_of(client, job, **query):
    return client.get(reverse("gallery:job_suggestions", args=[job.public_id]), query)


def test_suggestions_come_from_what_the_worker_kept_without_running_a_model(client, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("the web process must not run a model")

    monkeypatch.setattr("colorize.runtime.load", no_model)
    monkeypatch.setattr("colorize.runtime.run", no_model)
    job = ColorizationJobFactory(
        succeeded=True,
        suggestions={
            "rows": 1,
            "columns": 2,
            "cells": [[["#aa3322", 0.6], ["#224488", 0.3]], [["#55aa55", 0.9]]],
        },
    )
    response = suggestions_of(client, job, x=10, y=5)
    assert response.status_code == 200 and response["X-Robots-Tag"].startswith("noindex")
    assert response.json() == {
        "colours": [{"color": "#aa3322", "probability": 0.6}, {"color": "#224488", "probability": 0.3}]
    }
    assert suggestions_of(client, job, x=40, y=31).json() == {"colours": [{"color": "#55aa55", "probability": 0.9}]}


def test_a_job_without_kept_suggestions_suggests_nothing(client):
    job = ColorizationJobFactory(succeeded=True)
    assert suggestions_of(client, job, x=1, y=1).json() == {"colours": []}


@pytest.mark.parametrize("query", [{}, {"x": "a", "y": "1"}, {"x": 48, "y": 1}, {"x": 1, "y": -1}])
def test_suggestions_need_a_point_inside_the_photo(client, query):
    job = ColorizationJobFactory(succeeded=True)
    assert suggestions_of(client, job, **query).status_code == 400


def test_suggestions_of_an_unknown_job_are_a_404(client):
    import uuid

    response = client.get(reverse("gallery:job_suggestions", args=[uuid.uuid4()]), {"x": 1, "y": 1})
    assert response.status_code == 404 and response.json() == {"error": "there is no such photo"}


def test_a_hinted_jobs_page_starts_the_hint_tool_with_its_points(client, hint_model):
    points = [{"x": 5, "y": 6, "color": "#336699"}]
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model, hints=points)
    html = client.get(job.get_absolute_url()).content.decode()
    assert f'name="hints" value="{escape(json.dumps(points))}"' in html


def test_a_vividness_rerun_of_a_job_whose_original_cannot_be_read_is_a_400(client):
    job = ColorizationJobFactory(succeeded=True, model_name="compact")
    with job.original.open("wb") as handle:
        handle.write(b"this is not a picture any more")
    response = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.75"})
    assert response.status_code == 400
    assert ColorizationJob.objects.count() == 1


def test_a_colour_photo_is_colorized_from_its_grey_version_and_its_page_says_so(client, engine_model, recaptcha_passes):
    pixels = np.zeros((48, 64, 3), np.uint8)
    pixels[:, :32], pixels[:, 32:] = (200, 40, 40), (40, 90, 200)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    response = post_upload(client, buffer.getvalue(), model=engine_model)
    job = ColorizationJob.objects.get()
    assert job.had_colour
    assert "This photo already had colour" in client.get(response["Location"]).content.decode()
    grey = post_upload(client, grey_photo(), model=engine_model)
    assert not ColorizationJob.objects.latest("pk").had_colour
    assert "This photo already had colour" not in client.get(grey["Location"]).content.decode()


# --- Variants ------------------------------------------------------------------------------


def test_the_result_page_offers_the_four_variants_with_the_shown_one_pressed(client):
    job = ColorizationJobFactory(succeeded=True, variant="vivid")
    html = client.get(job.get_absolute_url()).content.decode()
    assert reverse("gallery:job_variant", args=[job.public_id]) in html
    assert html.count(f'src="{job.variants_url}"') == 4
    for name, label in ColorizationJob.Variant.choices:
        pressed = "true" if name == "vivid" else "false"
        assert f'name="variant" value="{name}" class="variant-choice" aria-pressed="{pressed}"' in html
        assert f"{label}" in html


def test_picking_a_variant_queues_the_job_to_render_it_first(client, django_capture_on_commit_callbacks):
    job = ColorizationJobFactory(succeeded=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("gallery:job_variant", args=[job.public_id]), {"variant": "cautious"})
    job.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.variant, job.status, job.attempts) == ("cautious", Status.QUEUED, 0)
    assert DBTaskResult.objects.get(id=job.task_id).priority > 0
    assert "Preparing the “Cautious” colouring" in client.get(job.get_absolute_url()).content.decode()


@pytest.mark.parametrize("value", ["", "loud", "balanced\x00"])
def test_an_unknown_variant_changes_nothing(client, value):
    job = ColorizationJobFactory(succeeded=True)
    response = client.post(reverse("gallery:job_variant", args=[job.public_id]), {"variant": value}, follow=True)
    job.refresh_from_db()
    assert "Please choose one of the colourings shown." in response.content.decode()
    assert (job.variant, job.status) == ("balanced", Status.SUCCEEDED)


def test_a_job_without_variants_offers_none_and_refuses_a_pick(client):
    job = ColorizationJobFactory(succeeded=True, model_name="siggraph17", variants="", variant_maps="")
    assert "data-variants" not in client.get(job.get_absolute_url()).content.decode()
    response = client.post(reverse("gallery:job_variant", args=[job.public_id]), {"variant": "vivid"}, follow=True)
    assert "no other colourings" in response.content.decode()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
