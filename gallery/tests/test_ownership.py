"""A link shows, the owner controls (issue #34): a photo's page, share and download links let
anyone look and download; every change (delete, pick, re-run, retry, the gallery, the caption)
is for the browser that made it, or for the API key that made it."""

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiJob
from colorsite.testing.helpers import own
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory

pytestmark = pytest.mark.django_db
Status = ColorizationJob.Status

# Every change a job's page offers, as (view, POST data).
CHANGES = [
    ("gallery:job_delete", {}),
    ("gallery:job_variant", {"variant": "vivid"}),
    ("gallery:job_vividness", {"vividness": "0.8"}),
    ("gallery:job_recolorize", {"hints": '[{"x": 1, "y": 1, "color": "#ff0000"}]', "model": "compact"}),
    ("gallery:job_gallery", {"show_in_gallery": "on", "caption": "Mine now"}),
]


def _snapshot(job):
    job.refresh_from_db()
    return (job.status, job.variant, job.gallery_requested, job.caption, job.result.name)


@pytest.mark.parametrize(("view", "data"), CHANGES, ids=[view.split(":")[1] for view, _ in CHANGES])
def test_a_stranger_with_the_link_cannot_change_the_photo(client, engine_model, view, data):
    job = ColorizationJobFactory(succeeded=True)
    before = _snapshot(job)
    response = client.post(reverse(view, args=[job.public_id]), data)
    assert response.status_code == 403
    assert _snapshot(job) == before
    assert ColorizationJob.objects.count() == 1


def test_a_stranger_cannot_retry_a_failed_photo(client, engine_model):
    job = ColorizationJobFactory(failed=True)
    assert client.post(reverse("gallery:job_retry", args=[job.public_id]), {"model": engine_model}).status_code == 403
    job.refresh_from_db()
    assert job.status == Status.FAILED


def test_a_stranger_is_not_even_shown_the_delete_confirmation(client):
    job = ColorizationJobFactory(succeeded=True)
    response = client.get(reverse("gallery:job_delete", args=[job.public_id]))
    assert response.status_code == 403
    assert "is for the browser that uploaded it" in response.content.decode()


def test_a_stranger_sees_the_photo_and_its_downloads_but_no_controls(client):
    job = ColorizationJobFactory(succeeded=True)
    html = client.get(job.get_absolute_url()).content.decode()
    assert job.png_download_url in html
    assert "data-viewer-note" in html
    for view, _ in CHANGES:
        assert reverse(view, args=[job.public_id]) not in html


def test_a_stranger_can_download_the_result(client):
    job = ColorizationJobFactory(succeeded=True)
    assert client.get(job.png_download_url).status_code == 200


def test_the_owner_sees_the_controls(client):
    job = own(client, ColorizationJobFactory(succeeded=True))
    html = client.get(job.get_absolute_url()).content.decode()
    assert reverse("gallery:job_delete", args=[job.public_id]) in html
    assert reverse("gallery:job_gallery", args=[job.public_id]) in html
    assert "data-viewer-note" not in html


def test_the_owner_can_delete(client):
    job = own(client, ColorizationJobFactory(succeeded=True))
    assert client.post(reverse("gallery:job_delete", args=[job.public_id])).status_code == 302
    assert not ColorizationJob.objects.exists()


def test_deleting_a_photo_leaves_the_versions_another_owner_made():
    upload = ColorizationJobFactory(succeeded=True)
    mine = ColorizationJobFactory(succeeded=True, parent=upload)
    theirs = ColorizationJobFactory(succeeded=True, parent=upload)
    owner, other = Client(), Client()
    own(owner, upload, mine)
    own(other, theirs)
    assert owner.post(reverse("gallery:job_delete", args=[mine.public_id])).status_code == 302
    assert list(ColorizationJob.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_the_delete_page_lists_only_the_owners_versions(client):
    upload = ColorizationJobFactory(succeeded=True, display_name="Upload")
    ColorizationJobFactory(succeeded=True, parent=upload, hints=[{"x": 1, "y": 1, "color": "#ff0000"}])
    own(client, upload)
    html = client.get(reverse("gallery:job_delete", args=[upload.public_id])).content.decode()
    assert "colour point" not in html


# --- API jobs ------------------------------------------------------------------------------------


@pytest.fixture
def api_job(api, engine_model):
    from gallery.tests.images import grey_photo

    response = api.post(
        reverse("api:jobs"), {"image": _upload(grey_photo()), "model": engine_model}, format="multipart"
    )
    assert response.status_code == 201, response.content
    job = ColorizationJob.objects.get()
    ColorizationJob.objects.filter(pk=job.pk).update(status=Status.SUCCEEDED)
    job.refresh_from_db()
    return job


def _upload(content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.png", content)


def test_an_api_jobs_result_page_cannot_put_it_in_the_gallery(client, api_job):
    response = client.post(reverse("gallery:job_gallery", args=[api_job.public_id]), {"show_in_gallery": "on"})
    assert response.status_code == 403
    api_job.refresh_from_db()
    assert not api_job.gallery_requested


def test_an_api_jobs_result_page_cannot_pick_its_colouring(client, api_job):
    response = client.post(reverse("gallery:job_variant", args=[api_job.public_id]), {"variant": "vivid"})
    assert response.status_code == 403


def test_the_api_delete_takes_only_the_keys_own_versions(api, api_job):
    other = ColorizationJobFactory(succeeded=True, parent=api_job)
    assert api.delete(reverse("api:job_detail", args=[api_job.public_id])).status_code == 204
    assert list(ColorizationJob.objects.values_list("pk", flat=True)) == [other.pk]
    assert not ApiJob.objects.exists()


def test_the_status_panel_a_stranger_polls_has_no_controls(client):
    job = ColorizationJobFactory(succeeded=True)
    html = client.get(reverse("gallery:job_status", args=[job.public_id])).json()["html"]
    assert "data-viewer-note" in html
    for view, _ in CHANGES:
        assert reverse(view, args=[job.public_id]) not in html
