"""The lighter, friendlier pages (issue 11): web-sized previews, batch upload, "My photos",
progress while waiting, and the smaller points (the model list, the error summary)."""

import io
import re
import uuid
import zipfile
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from colorsite.testing.helpers import use_random_weights
from gallery import mine, selectors
from gallery.models import ColorizationJob
from gallery.services import web
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_estimates():
    """The typical run time is cached for half a minute; each test starts without it."""
    cache.delete(selectors.TYPICAL_RUN_CACHE_KEY)


# --- Light pages ---------------------------------------------------------------------------------


def test_the_result_page_shows_previews_with_a_srcset_and_downloads_the_full_files(client):
    job = ColorizationJobFactory(succeeded=True)
    html = client.get(job.get_absolute_url()).content.decode()
    after = re.search(r'<img class="compare-after"[^>]*>', html).group(0)
    assert f'src="{job.result_preview_url}"' in after
    assert f'srcset="{job.result_preview_url} 48w"' in after  # the thumbnail would be the same size
    before = re.search(r'<img class="compare-before"[^>]*>', html).group(0)
    assert f'src="{job.original_preview_url}"' in before
    assert f'href="{job.png_download_url}"' in html and f'href="{job.jpeg_download_url}"' in html
    assert f'src="{job.original_url}"' not in html and f'src="{job.result_url}"' not in html


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
    assert job.original_preview_url and f'src="{job.original_preview_url}"' in html


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
    assert payload["queue_position"] == 1 and payload["estimated_wait"] is None
    assert "Number 1 in the queue" in payload["progress_html"] and "ready in" not in payload["progress_html"]


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


# --- Batch upload --------------------------------------------------------------------------------


def post_batch(client, files, *, model, **extra):
    data = {"image": files, "model": model, "g-recaptcha-response": "token", **extra}
    return client.post(reverse("gallery:upload"), data)


def photos(count, **kwargs):
    return [SimpleUploadedFile(f"scan {i}.png", grey_photo(40 + i, 30), **kwargs) for i in range(1, count + 1)]


def test_three_files_make_three_jobs_of_one_batch_and_its_page(client, engine_model, recaptcha_passes):
    response = post_batch(client, photos(3), model=engine_model, show_in_gallery="on")
    jobs = list(ColorizationJob.objects.order_by("pk"))
    assert [job.display_name for job in jobs] == ["scan 1", "scan 2", "scan 3"]
    assert len({job.batch for job in jobs}) == 1 and jobs[0].batch is not None
    assert all(job.gallery_requested and job.model_name == engine_model for job in jobs)
    assert response.status_code == 302 and response["Location"] == reverse("gallery:batch_detail", args=[jobs[0].batch])
    assert len(recaptcha_passes) == 1  # one check for the whole batch


def test_the_batch_page_lists_every_job_with_its_status(client, engine_model, recaptcha_passes):
    post_batch(client, photos(3), model=engine_model)
    batch = ColorizationJob.objects.first().batch
    response = client.get(reverse("gallery:batch_detail", args=[batch]))
    html = response.content.decode()
    assert response.status_code == 200 and response["X-Robots-Tag"].startswith("noindex")
    assert all(f"scan {i}" in html for i in (1, 2, 3))
    assert html.count('data-job-status="queued"') == 3 and "0 of 3 ready so far" in html


def test_a_bad_file_in_a_batch_is_refused_alone_and_named(client, engine_model, recaptcha_passes):
    files = [*photos(2), SimpleUploadedFile("notes.jpg", b"not a picture")]
    response = post_batch(client, files, model=engine_model)
    assert ColorizationJob.objects.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "“notes.jpg”: This file is not an image" in page


def test_a_batch_of_bad_files_stays_on_the_form_with_each_reason(client, engine_model, recaptcha_passes):
    files = [SimpleUploadedFile("a.jpg", b"nope"), SimpleUploadedFile("b.png", b"")]
    response = post_batch(client, files, model=engine_model)
    html = response.content.decode()
    assert response.status_code == 400 and not ColorizationJob.objects.exists()
    assert "“a.jpg”: This file is not an image" in html and "“b.png”" in html


def test_a_batch_counts_as_one_request_against_the_rate_limit(client, settings, engine_model, recaptcha_passes):
    """Issue #24: with each file counted, one full batch used up the limit, and "Less vivid"
    right after it was a 429."""
    settings.GALLERY_RATE_LIMIT = "3/10m"
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    statuses = [post_batch(client, photos(5), model=engine_model).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert ColorizationJob.objects.count() == 15


def test_a_rerun_of_ones_own_finished_photo_after_a_full_batch_is_not_refused(
    client, settings, engine_model, recaptcha_passes
):
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    post_batch(client, photos(20), model=engine_model)
    for _ in range(19):  # the rest of the default limit (20 requests in 10 minutes), used up
        assert post_batch(client, photos(1), model=engine_model).status_code == 302
    assert post_batch(client, photos(1), model=engine_model).status_code == 429
    job = ColorizationJob.objects.order_by("pk").first()
    ColorizationJob.objects.filter(pk=job.pk).update(status=ColorizationJob.Status.SUCCEEDED)
    rerun = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.25"})
    assert rerun.status_code == 302 and ColorizationJob.objects.filter(parent=job).exists()


def test_someone_elses_photo_is_no_exemption_from_the_rate_limit(client, settings, engine_model):
    settings.GALLERY_RATE_LIMIT = "1/10m"
    job = ColorizationJobFactory(succeeded=True, model_name=engine_model)  # not this browser's
    url = reverse("gallery:job_vividness", args=[job.public_id])
    assert [client.post(url, {"vividness": "0.25"}).status_code for _ in range(2)] == [302, 429]


def test_reloading_a_batch_page_still_lists_its_refused_files(client, settings, engine_model, recaptcha_passes):
    files = [*photos(2), SimpleUploadedFile("notes.jpg", b"not a photo")]
    response = post_batch(client, files, model=engine_model)
    for _ in range(2):
        page = client.get(response["Location"]).content.decode()
        assert "1 file of this upload was not taken" in page and "“notes.jpg”: This file is not an image" in page


def test_each_file_of_a_batch_needs_room_in_the_queue(client, settings, engine_model, recaptcha_passes):
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 2
    response = post_batch(client, photos(3), model=engine_model)
    assert ColorizationJob.objects.count() == 2
    assert "“scan 3.png”: you already have 2 photos waiting" in client.get(response["Location"]).content.decode()


def test_a_batch_status_reports_every_job(client):
    batch = uuid.uuid4()
    ColorizationJobFactory(batch=batch, succeeded=True)
    ColorizationJobFactory(batch=batch)
    payload = client.get(reverse("gallery:batch_status", args=[batch])).json()
    assert (payload["ready"], payload["total"], payload["finished"]) == (1, 2, False)
    assert 'data-job-status="succeeded"' in payload["html"] and "Number 1 in the queue" in payload["html"]


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
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip" and "attachment" in response["Content-Disposition"]
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


# --- My photos -----------------------------------------------------------------------------------


def test_my_photos_lists_the_jobs_this_browser_created(client, engine_model, recaptcha_passes):
    post_batch(client, photos(2), model=engine_model)
    html = client.get(reverse("gallery:my_photos")).content.decode()
    for job in ColorizationJob.objects.all():
        assert job.get_absolute_url() in html and job.display_name in html
    assert html.index("scan 2") < html.index("scan 1")  # newest first


def test_my_photos_is_empty_for_another_browser(client, engine_model, recaptcha_passes):
    post_batch(client, photos(1), model=engine_model)
    html = Client().get(reverse("gallery:my_photos")).content.decode()
    assert "No photos from this browser yet" in html and "scan 1" not in html


def test_my_photos_shows_status_thumbnail_and_download(client):
    done = ColorizationJobFactory(succeeded=True)
    session = client.session
    session[mine.SESSION_KEY] = [str(done.public_id)]
    session.save()
    html = client.get(reverse("gallery:my_photos")).content.decode()
    assert "Succeeded" in html and done.thumbnail_url in html and done.jpeg_download_url in html


def test_deleting_from_my_photos_comes_back_to_it(
    client, engine_model, recaptcha_passes, django_capture_on_commit_callbacks
):
    post_batch(client, photos(1), model=engine_model)
    job = ColorizationJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("gallery:job_delete", args=[job.public_id]), {"next": "my-photos"})
    assert response.status_code == 302 and response["Location"] == reverse("gallery:my_photos")
    assert not ColorizationJob.objects.exists()
    assert "No photos from this browser yet" in client.get(reverse("gallery:my_photos")).content.decode()


def test_a_rerun_with_colour_points_is_remembered_too(client, hint_model):
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    client.post(
        reverse("gallery:job_recolorize", args=[job.public_id]),
        {"hints": '[{"x": 1, "y": 1, "color": "#ff0000"}]', "model": hint_model},
    )
    child = ColorizationJob.objects.get(parent=job)
    assert mine.remembered_in(client.session) == [str(child.public_id)]


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
    assert str(job.public_id) not in html and job.display_name not in html


def test_the_gallery_list_carries_a_card_too(client):
    ColorizationJobFactory(public=True)
    html = client.get(reverse("gallery:gallery")).content.decode()
    assert '<meta property="og:title" content="Gallery · Colorsite">' in html and 'property="og:image"' in html


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
    assert 'property="og:' not in html and 'name="twitter:' not in html


# --- The smaller points --------------------------------------------------------------------------


@pytest.fixture
def two_models(settings, engine_model, gallery_weights_dir):
    """The engine model and one more installed (seeded random weights)."""
    other = "siggraph17" if engine_model != "siggraph17" else "eccv16"
    use_random_weights(settings, gallery_weights_dir, other)
    return engine_model, other


def test_the_model_list_hides_itself_with_one_model(client, engine_model):
    html = client.get(reverse("gallery:upload")).content.decode()
    assert f'<input type="hidden" name="model" value="{engine_model}"' in html and "<select" not in html


def test_the_model_list_is_offered_with_two_models(client, two_models):
    html = client.get(reverse("gallery:upload")).content.decode()
    assert '<select name="model"' in html and all(f'value="{name}"' in html for name in two_models)


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
    assert "This file is not an image" in summary and "choose your photo or photos again" in summary
    assert 'tabindex="-1"' in html


def test_a_failed_captcha_is_in_the_summary_too(client, engine_model, recaptcha_fails):
    html = post_batch(client, photos(1), model=engine_model).content.decode()
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
    job = ColorizationJobFactory(succeeded=True, model_name="compact")
    html = client.get(job.get_absolute_url()).content.decode()
    assert "data-hints-form" in html and '<input type="hidden" name="model" value="compact">' in html
    assert 'id="id_model"' not in html.split("data-hints-form", 1)[1]
