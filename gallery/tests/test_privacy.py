"""Privacy: private pictures stay out of shared caches, pages carry a Content-Security-Policy
whose only inline script carries its nonce, the gallery never shows a file name, a re-run is a
new private job, and the owner can delete a photo at once."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from colorsite.testing.helpers import own
from gallery.models import FILE_FIELDS, ColorizationJob
from gallery.services import moderation, web
from gallery.tests.factories import ColorizationJobFactory

pytestmark = pytest.mark.django_db


# --- Cache-Control -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "result_url",
        "original_url",
        "thumbnail_url",
        "png_download_url",
        "jpeg_download_url",
        "result_preview_url",
        "original_preview_url",
    ],
)
def test_a_jobs_own_pictures_are_private(client, url):
    job = ColorizationJobFactory(succeeded=True)
    response = client.get(getattr(job, url))
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert cache_control.startswith("private")
    assert "public" not in cache_control


def test_gallery_pictures_stay_public_and_immutable(client):
    job = ColorizationJobFactory(public=True)
    for kind in ("result", "original", "thumbnail"):
        response = client.get(job.gallery_file_url(kind))
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"


# --- Content-Security-Policy -------------------------------------------------------------------


def csp(response):
    return {
        part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split(";") if part.strip()
    }


def scripts(html):
    return re.findall(r"<script\b([^>]*)>", html)


@pytest.mark.parametrize("page", ["upload", "gallery", "job", "failed-job", "gallery-detail", "delete", "404"])
def test_pages_carry_a_csp_whose_inline_scripts_all_have_the_nonce(client, engine_model, page):
    job = ColorizationJobFactory(public=True, model_name=engine_model)
    failed = ColorizationJobFactory(failed=True, model_name=engine_model)
    url = {
        "upload": reverse("gallery:upload"),
        "gallery": reverse("gallery:gallery"),
        "job": job.get_absolute_url(),
        "failed-job": failed.get_absolute_url(),
        "gallery-detail": job.get_gallery_url(),
        "delete": reverse("gallery:job_delete", args=[job.public_id]),
        "404": "/nothing-here/",
    }[page]
    response = client.get(url)
    policy = csp(response)
    script_src = policy["script-src"]
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    nonces = [source for source in script_src if source.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    tags = scripts(response.content.decode())
    assert tags, "every page has at least the no-js switch and site.js"
    for attributes in tags:
        assert "src=" in attributes or f'nonce="{nonce}"' in attributes, attributes


def test_the_policy_allows_recaptcha_and_nothing_else_from_outside(client):
    policy = csp(client.get(reverse("gallery:upload")))
    assert "https://www.google.com/recaptcha/" in policy["script-src"]
    assert "https://www.gstatic.com/recaptcha/" in policy["script-src"]
    assert "https://www.google.com/recaptcha/" in policy["frame-src"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_each_response_gets_a_fresh_nonce(client):
    first, second = (csp(client.get(reverse("gallery:upload")))["script-src"] for _ in range(2))
    assert first != second


def test_the_upload_pages_external_scripts_are_only_ours_and_recaptchas(client):
    html = client.get(reverse("gallery:upload")).content.decode()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    assert sources
    assert all(src.startswith("/static/") or src.startswith("https://www.google.com/recaptcha/") for src in sources)


def test_the_admin_pages_carry_the_policy_too(admin_client):
    ColorizationJobFactory(succeeded=True)
    response = admin_client.get("/admin/gallery/colorizationjob/")
    assert response.status_code == 200
    assert "'unsafe-inline'" not in csp(response)["script-src"]


# --- The gallery never shows a file name ----------------------------------------------------------


def test_gallery_captions_and_alt_texts_never_use_the_file_name(client):
    job = ColorizationJobFactory(public=True, display_name="Smith family, 12 Elm Street")
    pages = [
        client.get(reverse("gallery:gallery")).content.decode(),
        client.get(job.get_gallery_url()).content.decode(),
        client.get(reverse("gallery:upload")).content.decode(),  # "Recently in the gallery"
    ]
    for html in pages:
        assert "Smith" not in html
        assert "Elm Street" not in html
        assert "A colorized photo" in html
        assert f"#{job.pk}" not in html
    # A gallery card's picture is named by the card's caption (its alt would only repeat it).
    assert (
        'alt="" loading="lazy">\n          <span class="card-body py-2 px-3 small text-truncate text-body">A colorized photo</span>'
        in pages[0]
    )


def test_a_gallery_title_is_the_owners_caption_or_the_year_they_gave(client):
    captioned = ColorizationJobFactory(public=True, caption="Grandma's wedding, Lisbon", taken_year=1931)
    dated = ColorizationJobFactory(public=True, taken_year=1908)
    assert "Grandma&#x27;s wedding, Lisbon" in client.get(captioned.get_gallery_url()).content.decode()
    assert "Photo from 1908" in client.get(dated.get_gallery_url()).content.decode()


def test_the_owners_own_page_still_shows_the_name(client):
    job = ColorizationJobFactory(succeeded=True, display_name="Smith family")
    assert "Smith family" in client.get(job.get_absolute_url()).content.decode()


# --- A re-run is a new private job ---------------------------------------------------------------


def test_a_rerun_of_a_public_photo_is_private_until_its_owner_asks(client, hint_model):
    parent = ColorizationJobFactory(public=True, model_name=hint_model)
    child = web.job_recolorize(job=parent, hints=[{"x": 1, "y": 2, "color": "#ff0000"}])
    assert child.gallery_requested is False
    assert child.gallery_review == ColorizationJob.Review.PENDING
    child_done = ColorizationJobFactory(succeeded=True, parent=parent, gallery_requested=False)
    moderation.jobs_approve(jobs=ColorizationJob.objects.all())  # a bulk approval of everything
    gallery = client.get(reverse("gallery:gallery")).content.decode()
    assert child_done.gallery_thumbnail_url not in gallery
    assert parent.gallery_thumbnail_url in gallery


# --- Delete this photo -------------------------------------------------------------------------------


def test_the_result_page_offers_delete_this_photo(client):
    job = own(client, ColorizationJobFactory(succeeded=True))
    html = client.get(job.get_absolute_url()).content.decode()
    assert reverse("gallery:job_delete", args=[job.public_id]) in html
    assert "Delete this photo" in html


def test_delete_asks_first_on_a_page_that_needs_no_javascript(client):
    job = own(client, ColorizationJobFactory(succeeded=True))
    response = client.get(reverse("gallery:job_delete", args=[job.public_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"].startswith("noindex")
    assert '<form method="post"' in html
    assert "Delete this photo" in html
    assert "Keep it" in html
    assert ColorizationJob.objects.filter(pk=job.pk).exists()


def test_delete_removes_the_job_and_its_files_at_once(client, django_capture_on_commit_callbacks):
    job = own(client, ColorizationJobFactory(public=True))
    paths = [Path(getattr(job, name).path) for name in FILE_FIELDS]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("gallery:job_delete", args=[job.public_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("gallery:upload")
    assert "was deleted, with its colorized results." in client.get(reverse("gallery:upload")).content.decode()
    assert not ColorizationJob.objects.exists()
    assert not any(path.exists() for path in paths)
    assert client.get(job.get_gallery_url()).status_code == 404
