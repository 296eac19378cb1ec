"""The lighter, friendlier pages (issue 11): web-sized previews, batch upload, "My photos",
progress while waiting, and the smaller points (the model list, the error summary)."""

import re

import pytest
from django.urls import reverse
from PIL import Image

from gallery.services import web
from gallery.tests.factories import ColorizationJobFactory

pytestmark = pytest.mark.django_db


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
