"""The lighter, friendlier pages (issue 11): web-sized previews, batch upload, "My photos",
progress while waiting, and the smaller points (the model list, the error summary)."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from gallery import selectors
from gallery.services import web
from gallery.tests.factories import ColorizationJobFactory

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
    assert f'srcset="{job.thumbnail_url} 48w, {job.result_preview_url} 48w"' in after
    before = re.search(r'<img class="compare-before"[^>]*>', html).group(0)
    assert f'src="{job.original_preview_url}"' in before
    assert f'href="{job.png_download_url}"' in html and f'href="{job.jpeg_download_url}"' in html
    assert f'src="{job.original_url}"' not in html and f'src="{job.result_url}"' not in html


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
