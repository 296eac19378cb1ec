"""The limits through the API: the per-key request limit, the queue caps (counted per key) and
the upload limits, each answered with JSON."""

import io

import pytest
from django.urls import reverse

from api.tests.factories import ApiJobFactory, ApiKeyFactory
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo

pytestmark = pytest.mark.django_db
JOBS, MODELS = reverse("api:jobs"), reverse("api:models")


def photo(width=64, height=48):
    upload = io.BytesIO(grey_photo(width, height))
    upload.name = "photo.png"
    return upload


def test_a_key_past_its_rate_limit_gets_a_429_with_retry_after(settings, api, shared_cache):
    settings.API_RATE_LIMIT = "3/m"
    assert [api.get(MODELS).status_code for _ in range(3)] == [200, 200, 200]
    response = api.get(MODELS)
    assert response.status_code == 429
    # The sliding window: room comes back once this minute's 3 weigh less than one place of the
    # next minute's window, within two minutes.
    assert 1 <= int(response["Retry-After"]) <= 2 * 60
    assert response.json()["code"] == "throttled"
    assert response.json()["message"].startswith("Too many requests with this API key (the limit is 3/m).")


def test_the_rate_limit_counts_each_key_apart(settings, api, client_for):
    settings.API_RATE_LIMIT = "2/m"
    api.get(MODELS), api.get(MODELS)
    assert api.get(MODELS).status_code == 429
    assert client_for(ApiKeyFactory().factory_key).get(MODELS).status_code == 200


def test_an_empty_rate_limit_switches_it_off(settings, api):
    settings.API_RATE_LIMIT = ""
    assert {api.get(MODELS).status_code for _ in range(5)} == {200}


def test_a_key_with_too_many_jobs_on_the_way_gets_a_429(settings, api, engine_model):
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 2
    assert [api.post(JOBS, {"image": photo()}, format="multipart").status_code for _ in range(2)] == [201, 201]
    response = api.post(JOBS, {"image": photo()}, format="multipart")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json()["code"] == "queue_full"
    assert ColorizationJob.objects.count() == 2


def test_other_keys_and_website_jobs_do_not_fill_a_keys_queue(settings, api, engine_model):
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1
    ApiJobFactory()  # another key's job, waiting
    ColorizationJobFactory(client="0123456789abcdef0123456789abcdef")  # a website visitor's
    assert api.post(JOBS, {"image": photo()}, format="multipart").status_code == 201


def test_a_full_site_queue_is_a_503(settings, api, engine_model):
    settings.GALLERY_MAX_ACTIVE_JOBS = 1
    ColorizationJobFactory()
    response = api.post(JOBS, {"image": photo()}, format="multipart")
    assert response.status_code == 503
    assert response["Retry-After"] == "180"
    assert response.json()["message"] == "We are busy just now; please try again in a few minutes."


def test_a_photo_over_the_byte_limit_is_refused(settings, api, engine_model):
    upload = photo(400, 300)
    settings.COLORIZE_MAX_UPLOAD_BYTES = len(upload.getvalue()) - 1
    response = api.post(JOBS, {"image": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["message"].startswith("This file is ")
    assert "the largest photo we accept is" in response.json()["message"]


def test_a_request_far_over_the_limit_is_refused_unread(settings, api, engine_model):
    settings.COLORIZE_MAX_UPLOAD_BYTES = 1000
    response = api.post(JOBS, {"image": photo()}, format="multipart", headers={"content-length": str(5 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_a_photo_over_the_pixel_limit_gets_the_engines_message(settings, api, engine_model):
    settings.COLORIZE_MAX_PIXELS = 1_000_000
    response = api.post(JOBS, {"image": photo(1200, 900)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["message"] == "This photo has too many pixels: the most accepted is 1 megapixels."
    assert not ColorizationJob.objects.exists()


def test_a_cache_that_does_not_answer_lets_requests_through(settings, api, caplog):
    settings.API_RATE_LIMIT = "1/m"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    assert [api.get(MODELS).status_code for _ in range(2)] == [200, 200]
    assert "API rate limit not checked: the cache did not answer" in caplog.text
