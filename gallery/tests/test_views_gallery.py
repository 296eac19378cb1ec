"""The owner's gallery choice (caption, year, taking it out) and the public gallery's pages,
which never reveal a job's private link."""

import pytest
from django.urls import reverse

from colorsite.testing.helpers import own
from gallery.tests.factories import ColorizationJobFactory

pytestmark = pytest.mark.django_db


def test_owner_can_ask_for_the_gallery_later(client):
    job = own(client, ColorizationJobFactory(succeeded=True))
    client.post(reverse("gallery:job_gallery", args=[job.public_id]), {"show_in_gallery": "on"})
    job.refresh_from_db()
    assert job.gallery_requested


def test_asking_for_the_gallery_is_one_button_with_an_optional_caption(client):
    job = own(client, ColorizationJobFactory(succeeded=True))
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
    job = own(client, ColorizationJobFactory(public=True))
    html = client.get(job.get_absolute_url()).content.decode()
    assert f'It is in the gallery now: <a href="{job.get_gallery_url()}">see it there</a>' in html


def test_taking_a_photo_out_of_the_gallery(client):
    job = own(client, ColorizationJobFactory(public=True))
    client.post(reverse("gallery:job_gallery", args=[job.public_id]), {"caption": "", "taken_year": ""})
    job.refresh_from_db()
    assert not job.gallery_requested
    assert not job.is_public


def test_a_year_out_of_range_is_refused_with_the_reason(client):
    job = own(client, ColorizationJobFactory(succeeded=True))
    url = reverse("gallery:job_gallery", args=[job.public_id])
    response = client.post(url, {"show_in_gallery": "on", "taken_year": "3000"})
    assert response.status_code == 400
    assert "less than or equal to 2100" in response.content.decode()
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
    assert public.gallery_title in html
    assert waiting.gallery_title not in html
    assert not_asked.gallery_title not in html
    assert public.gallery_thumbnail_url in html
    assert waiting.thumbnail.name.rsplit("/", 1)[-1] not in html
    assert not_asked.thumbnail.name.rsplit("/", 1)[-1] not in html


def test_gallery_never_reveals_the_private_link(client):
    public = ColorizationJobFactory(public=True)
    listing = client.get(reverse("gallery:gallery")).content.decode()
    detail = client.get(public.get_gallery_url()).content.decode()
    assert str(public.public_id) not in listing
    assert str(public.public_id) not in detail


def test_gallery_is_paginated(client, settings):
    settings.GALLERY_PAGE_SIZE = 2
    ColorizationJobFactory.create_batch(3, public=True)
    first = client.get(reverse("gallery:gallery")).content.decode()
    second = client.get(reverse("gallery:gallery") + "?page=2").content.decode()
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second


def test_gallery_detail_has_the_slider(client):
    job = ColorizationJobFactory(public=True)
    html = client.get(job.get_gallery_url()).content.decode()
    assert "data-compare-range" in html
    assert job.gallery_result_url in html


def test_private_job_is_not_reachable_through_the_gallery(client):
    job = ColorizationJobFactory(succeeded=True)
    assert client.get(job.get_gallery_url()).status_code == 404
    assert client.get(job.gallery_file_url("result")).status_code == 404
