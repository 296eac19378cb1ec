"""The lighter, friendlier pages (issue 11): web-sized previews, progress while waiting, "My
photos", the gallery's social cards, and the smaller points (the model list, the error
summary). Batch upload is in test_batches."""

import io
import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from colorsite.testing.helpers import own, post_batch, use_random_weights
from gallery import mine
from gallery.models import ColorizationJob
from gallery.services import web
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import scans

# The typical run time is cached for half a minute; each test starts without it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_estimates")]


# --- Light pages ---------------------------------------------------------------------------------


def test_the_result_page_shows_previews_with_a_srcset_and_downloads_the_full_files(client):
    job = ColorizationJobFactory(succeeded=True)
    html = client.get(job.get_absolute_url()).content.decode()
    after = re.search(r'<img class="compare-after"[^>]*>', html).group(0)
    assert f'src="{job.result_preview_url}"' in after
    assert f'srcset="{job.result_preview_url} 48w"' in after  # the thumbnail would be the same size
    before = re.search(r'<img class="compare-before"[^>]*>', html).group(0)
    assert f'src="{job.original_preview_url}"' in before
    assert f'href="{job.png_download_url}"' in html
    assert f'href="{job.jpeg_download_url}"' in html
    assert f'src="{job.original_url}"' not in html
    assert f'src="{job.result_url}"' not in html


def test_a_large_results_srcset_offers_the_thumbnail_and_the_preview(settings):
    job = ColorizationJobFactory(succeeded=True, original_width=4000, original_height=3000)
    assert job.result_picture == {
        "src": job.result_preview_url,
        "srcset": f"{job.thumbnail_url} 480w, {job.result_preview_url} 1600w",
    }
    assert job.original_picture == {"src": job.original_preview_url, "srcset": f"{job.original_preview_url} 1600w"}


def test_the_waiting_page_shows_the_originals_preview(client, engine_model):
    job = web.job_create(image=Image.new("L", (64, 48), 128), display_name="scan", model_name=engine_model)
    html = client.get(job.get_absolute_url()).content.decode()
    assert job.original_preview_url
    assert f'src="{job.original_preview_url}"' in html


def test_a_job_from_before_previews_shows_its_original(client):
    job = ColorizationJobFactory()  # no preview
    html = client.get(job.get_absolute_url()).content.decode()
    assert f'src="{job.original_url}"' in html


def test_the_gallery_page_shows_previews_from_gallery_urls(client):
    job = ColorizationJobFactory(public=True)
    html = client.get(job.get_gallery_url()).content.decode()
    assert f'src="{job.gallery_file_url("result-preview")}"' in html
    assert str(job.public_id) not in html


# --- Progress ------------------------------------------------------------------------------------


def status(client, job):
    return client.get(reverse("gallery:job_status", args=[job.public_id])).json()


def ran(seconds):
    """A job that succeeded a moment ago after running ``seconds``."""
    now = timezone.now()
    return ColorizationJobFactory(succeeded=True, started_at=now - timedelta(seconds=seconds), finished_at=now)


def test_a_queued_job_knows_its_place_in_the_queue(client):
    first, second, third = (ColorizationJobFactory(queued_at=timezone.now() + timedelta(seconds=i)) for i in range(3))
    assert [status(client, job)["queue_position"] for job in (first, second, third)] == [1, 2, 3]


def test_the_estimated_wait_comes_from_recent_run_times(client):
    for seconds in (4, 6, 50):
        ran(seconds)
    ColorizationJobFactory(status="running", started_at=timezone.now())
    job = ColorizationJobFactory()
    # One worker busy, nothing else ahead: the running job's typical time, then this one's.
    assert status(client, job)["estimated_wait"] == 12
    assert status(client, job)["estimate_text"] == "about 15 seconds"


def test_without_recent_runs_there_is_no_estimate(client):
    job = ColorizationJobFactory()
    payload = status(client, job)
    assert payload["queue_position"] == 1
    assert payload["estimated_wait"] is None
    assert "Number 1 in the queue" in payload["progress_html"]
    assert "ready in" not in payload["progress_html"]


def test_a_running_job_reports_its_stage_and_time(client):
    job = ColorizationJobFactory(status="running", stage="colorizing", started_at=timezone.now() - timedelta(seconds=7))
    payload = status(client, job)
    assert (payload["stage"], payload["stage_label"], payload["queue_position"]) == ("colorizing", "Colorizing", None)
    assert payload["running_for"] >= 7
    assert "Now: <span data-stage>Colorizing</span> · running for 7 s" in payload["progress_html"]


def test_the_waiting_page_shows_the_place_in_the_queue(client):
    ColorizationJobFactory(queued_at=timezone.now() - timedelta(seconds=5))
    job = ColorizationJobFactory()
    html = client.get(job.get_absolute_url()).content.decode()
    assert "Number 2 in the queue" in html


# --- My photos -----------------------------------------------------------------------------------


def test_my_photos_lists_the_jobs_this_browser_created(client, engine_model, recaptcha_passes):
    post_batch(client, scans(2), model=engine_model)
    html = client.get(reverse("gallery:my_photos")).content.decode()
    for job in ColorizationJob.objects.all():
        assert job.get_absolute_url() in html
        assert job.display_name in html
    assert html.index("scan 2") < html.index("scan 1")  # newest first


def test_my_photos_is_empty_for_another_browser(client, engine_model, recaptcha_passes):
    post_batch(client, scans(1), model=engine_model)
    html = Client().get(reverse("gallery:my_photos")).content.decode()
    assert "No photos from this browser yet" in html
    assert "scan 1" not in html


def test_my_photos_shows_status_thumbnail_and_download(client):
    done = ColorizationJobFactory(succeeded=True)
    session = client.session
    session[mine.SESSION_KEY] = [str(done.public_id)]
    session.save()
    html = client.get(reverse("gallery:my_photos")).content.decode()
    assert "Succeeded" in html
    assert done.thumbnail_url in html
    assert done.jpeg_download_url in html


def test_deleting_from_my_photos_comes_back_to_it(
    client, engine_model, recaptcha_passes, django_capture_on_commit_callbacks
):
    post_batch(client, scans(1), model=engine_model)
    job = ColorizationJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("gallery:job_delete", args=[job.public_id]), {"next": "my-photos"})
    assert response.status_code == 302
    assert response["Location"] == reverse("gallery:my_photos")
    assert not ColorizationJob.objects.exists()
    assert "No photos from this browser yet" in client.get(reverse("gallery:my_photos")).content.decode()


def test_a_rerun_with_colour_points_is_remembered_too(client, hint_model):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name=hint_model))
    client.post(
        reverse("gallery:job_recolorize", args=[job.public_id]),
        {"hints": '[{"x": 1, "y": 1, "color": "#ff0000"}]', "model": hint_model},
    )
    child = ColorizationJob.objects.get(parent=job)
    assert mine.remembered_in(client.session) == [str(child.public_id), str(job.public_id)]


def test_the_result_page_offers_its_private_link_to_copy(client):
    job = ColorizationJobFactory(succeeded=True)
    html = client.get(job.get_absolute_url()).content.decode()
    assert f'value="http://testserver{job.get_absolute_url()}" readonly' in html  # shown without JavaScript too
    assert "data-copy-button" in html


# --- Sharing: social cards on the gallery only ---------------------------------------------------


def test_gallery_pages_carry_open_graph_and_twitter_cards(client):
    job = ColorizationJobFactory(public=True)
    html = client.get(job.get_gallery_url()).content.decode()
    assert f'<meta property="og:url" content="http://testserver{job.get_gallery_url()}">' in html
    assert f'<meta property="og:image" content="http://testserver{job.gallery_file_url("result-preview")}">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert str(job.public_id) not in html
    assert job.display_name not in html


def test_the_gallery_list_carries_a_card_too(client):
    ColorizationJobFactory(public=True)
    html = client.get(reverse("gallery:gallery")).content.decode()
    assert '<meta property="og:title" content="Gallery · Colorsite">' in html
    assert 'property="og:image"' in html


@pytest.mark.parametrize("page", ["job", "batch", "my-photos", "upload"])
def test_private_pages_announce_nothing(client, page):
    job = ColorizationJobFactory(succeeded=True, batch=uuid.uuid4())
    url = {
        "job": job.get_absolute_url(),
        "batch": reverse("gallery:batch_detail", args=[job.batch]),
        "my-photos": reverse("gallery:my_photos"),
        "upload": reverse("gallery:upload"),
    }[page]
    html = client.get(url).content.decode()
    assert 'property="og:' not in html
    assert 'name="twitter:' not in html


# --- The smaller points --------------------------------------------------------------------------


@pytest.fixture
def two_models(settings, engine_model, gallery_weights_dir):
    """The engine model and one more installed (seeded random weights)."""
    other = "siggraph17" if engine_model != "siggraph17" else "eccv16"
    use_random_weights(settings, gallery_weights_dir, other)
    return engine_model, other


def test_the_model_list_hides_itself_with_one_model(client, engine_model):
    html = client.get(reverse("gallery:upload")).content.decode()
    assert f'<input type="hidden" name="model" value="{engine_model}"' in html
    assert "<select" not in html


def test_the_model_list_is_offered_with_two_models(client, two_models):
    html = client.get(reverse("gallery:upload")).content.decode()
    assert '<select name="model"' in html
    assert all(f'value="{name}"' in html for name in two_models)


def test_after_an_error_the_chosen_model_is_kept_and_a_summary_says_what_to_do(client, two_models, recaptcha_passes):
    chosen = two_models[1]
    response = post_batch(
        client, [SimpleUploadedFile("holiday.jpg", b"not a picture")], model=chosen, show_in_gallery="on"
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert f'<option value="{chosen}" selected>' in html
    assert re.search(r'name="show_in_gallery" id="id_show_in_gallery" checked', html)
    summary = re.search(r'<div class="alert alert-danger"[^>]*data-error-summary>(.*?)</div>', html, re.S).group(1)
    assert "This file is not an image" in summary
    assert "choose your photo or photos again" in summary
    assert 'tabindex="-1"' in html


def test_a_failed_captcha_is_in_the_summary_too(client, engine_model, recaptcha_fails):
    html = post_batch(client, scans(1), model=engine_model).content.decode()
    summary = re.search(r"data-error-summary>(.*?)</div>", html, re.S).group(1)
    assert 'href="#captcha-label"' in summary


def test_the_favicon_is_served_at_the_root(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert Image.open(io.BytesIO(body)).format == "ICO"


def test_the_vividness_help_names_only_the_models_offered(client, settings, tmp_path):
    settings.COLORIZE_WEIGHTS_DIR = tmp_path / "none-fetched"  # the bundled compact model alone
    html = client.get(reverse("gallery:upload")).content.decode()
    assert "Applies to Compact, the models here that predict colour distributions." in html
    assert "ECCV16" not in html


def test_the_hint_form_has_no_menu_when_one_model_takes_colour_points(client, settings, tmp_path):
    settings.COLORIZE_WEIGHTS_DIR = tmp_path / "none-fetched"
    job = own(client, ColorizationJobFactory(succeeded=True, model_name="compact"))
    html = client.get(job.get_absolute_url()).content.decode()
    assert "data-hints-form" in html
    assert '<input type="hidden" name="model" value="compact">' in html
    assert 'id="id_model"' not in html.split("data-hints-form", 1)[1]
