"""The admin's job list says where a job came from, and asks for a gallery review only where
the owner asked for the gallery (issue #24)."""

import pytest
from django.urls import reverse

from api.tests.factories import ApiJobFactory
from gallery.tests.factories import ColorizationJobFactory

pytestmark = pytest.mark.django_db


def test_the_job_list_shows_the_website_or_the_api_keys_name(admin_client):
    ColorizationJobFactory(display_name="From the website")
    ApiJobFactory(key__name="Archive importer")
    html = admin_client.get(reverse("admin:gallery_colorizationjob_changelist")).content.decode()
    assert "Website" in html
    assert "API key “Archive importer”" in html


def test_a_job_whose_owner_never_asked_for_the_gallery_is_not_up_for_review(admin_client):
    job = ColorizationJobFactory(succeeded=True, gallery_requested=False)
    html = admin_client.get(reverse("admin:gallery_colorizationjob_change", args=[job.pk])).content.decode()
    assert "Not asked for" in html
    assert "Awaiting review" not in html
    asked = ColorizationJobFactory(succeeded=True, gallery_requested=True)
    html = admin_client.get(reverse("admin:gallery_colorizationjob_change", args=[asked.pk])).content.decode()
    assert "Awaiting review" in html
