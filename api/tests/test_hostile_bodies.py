"""Hostile bodies on the API (issue #34): nested too deep, or a pick past the queue cap."""

import pytest
from django.urls import reverse

from api.models import ApiJob, ApiKey
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_api_job(api):
    key = ApiKey.objects.get()
    job = ColorizationJobFactory(succeeded=True, client=key.queue_client)
    ApiJob.objects.create(key=key, job=job)
    return job


def test_json_nested_100000_deep_is_a_400_not_a_500(api, finished_api_job):
    body = "[" * 100_000 + "]" * 100_000
    response = api.patch(
        reverse("api:job_detail", args=[finished_api_job.public_id]), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_pick_past_the_keys_queue_cap_is_refused(api, finished_api_job, settings):
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1
    ColorizationJobFactory(client=finished_api_job.client)  # one of the key's jobs is waiting
    response = api.patch(
        reverse("api:job_detail", args=[finished_api_job.public_id]), {"variant": "vivid"}, format="json"
    )
    assert response.status_code == 429
    finished_api_job.refresh_from_db()
    assert (finished_api_job.status, finished_api_job.variant) == (ColorizationJob.Status.SUCCEEDED, "balanced")
