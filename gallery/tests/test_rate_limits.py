"""The rate limits and queue caps (issue #9: 200 uploads in 16.7 s, all accepted), on each real
shared cache: the database cache and Redis (``shared_cache``)."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.urls import reverse

from colorsite.testing.helpers import REDIS_URL, own, post_hints, post_upload
from colorsite.tests.servers import free_port
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo

pytestmark = pytest.mark.django_db
Status = ColorizationJob.Status


# --- Rate limits and queue caps (issue #9: 200 uploads in 16.7 s, all accepted) ---------------


def rate_limit_entries(prefix):
    """The rate-limit counters (keys starting with ``prefix``) stored in the shared cache."""
    cache = caches["default"]
    if "redis" in type(cache).__module__:
        import redis

        return list(redis.Redis.from_url(REDIS_URL).scan_iter(f"{cache.key_prefix}:*{prefix}*"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM colorsite_cache WHERE cache_key LIKE %s", [f"%{prefix}%"])
        return cursor.fetchall()


def test_forty_rapid_uploads_from_one_client_get_429s(client, settings, engine_model, recaptcha_passes, shared_cache):
    """The defaults: at most 20 jobs on the way per client (one full batch), then 429."""
    statuses = [post_upload(client, grey_photo(), model=engine_model).status_code for _ in range(40)]
    assert statuses[:20] == [302] * 20
    assert set(statuses[20:]) == {429}
    assert ColorizationJob.objects.count() == 20
    assert rate_limit_entries(settings.RATE_LIMIT_CACHE_PREFIX)  # counted in the shared cache


def test_the_rate_limit_answers_429_with_when_to_come_back(
    client, settings, engine_model, recaptcha_passes, shared_cache
):
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    statuses = [post_upload(client, grey_photo(), model=engine_model).status_code for _ in range(40)]
    assert statuses[:20] == [302] * 20
    assert set(statuses[20:]) == {429}
    limited = post_upload(client, grey_photo(), model=engine_model)
    html = limited.content.decode()
    assert limited.status_code == 429
    assert 60 <= int(limited["Retry-After"]) <= 600 + 60
    assert "Please slow down" in html
    assert "You can start another in about" in html
    assert "UTC" in html
    assert ColorizationJob.objects.count() == 20
    assert rate_limit_entries(settings.RATE_LIMIT_CACHE_PREFIX)


HINTS = '[{"x": 1, "y": 1, "color": "#336699"}]'


def test_hint_reruns_and_uploads_share_one_limit(client, settings, hint_model, recaptcha_passes, shared_cache):
    """A re-run stores a new version of the photo, as an upload stores one."""
    settings.GALLERY_RATE_LIMIT = "6/10m"
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    job = own(client, ColorizationJobFactory(succeeded=True, model_name=hint_model))
    uploads = [post_upload(client, grey_photo(), model=hint_model).status_code for _ in range(3)]
    hints = [post_hints(client, job, HINTS, model=hint_model).status_code for _ in range(4)]
    assert uploads == [302] * 3
    assert hints == [302, 302, 302, 429]
    assert rate_limit_entries(settings.RATE_LIMIT_CACHE_PREFIX)  # counted in the shared cache


def test_vividness_reruns_count_against_the_same_limit(client, settings, hint_model, shared_cache):
    settings.GALLERY_RATE_LIMIT = "3/10m"
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    job = own(client, ColorizationJobFactory(succeeded=True, model_name=hint_model))
    url = reverse("gallery:job_vividness", args=[job.public_id])
    statuses = [client.post(url, {"vividness": "0.75"}).status_code for _ in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert ColorizationJob.objects.count() == 4


def test_picks_count_against_the_edit_limit(client, settings, shared_cache):
    settings.GALLERY_EDIT_RATE_LIMIT = "2/10m"
    jobs = own(client, *[ColorizationJobFactory(succeeded=True) for _ in range(3)])
    urls = [reverse("gallery:job_variant", args=[job.public_id]) for job in jobs]
    assert [client.post(url, {"variant": "vivid"}).status_code for url in urls] == [302, 302, 429]
    assert ColorizationJob.objects.filter(variant="vivid").count() == 2


def test_picks_leave_the_upload_limit_alone(client, settings, engine_model, recaptcha_passes, shared_cache):
    settings.GALLERY_RATE_LIMIT = "1/10m"
    jobs = own(client, *[ColorizationJobFactory(succeeded=True) for _ in range(3)])
    for job in jobs:
        assert (
            client.post(reverse("gallery:job_variant", args=[job.public_id]), {"variant": "vivid"}).status_code == 302
        )
    assert post_upload(client, grey_photo(), model=engine_model).status_code == 302


def test_vividness_reruns_count_against_the_clients_queue_cap(client, settings, hint_model):
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 2
    job = own(client, ColorizationJobFactory(succeeded=True, model_name=hint_model))
    url = reverse("gallery:job_vividness", args=[job.public_id])
    statuses = [client.post(url, {"vividness": "0.75"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert ColorizationJob.objects.count() == 3


def test_spoofed_forwarded_for_does_not_escape_the_limit_when_not_behind_a_proxy(
    client, settings, engine_model, recaptcha_passes
):
    settings.GALLERY_RATE_LIMIT = "3/10m"
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    settings.PROXY_HOPS = 0
    statuses = [
        post_upload(
            client, grey_photo(), model=engine_model, headers={"HTTP_X_FORWARDED_FOR": f"10.0.0.{n}"}
        ).status_code
        for n in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]


def test_behind_the_proxies_each_client_has_its_own_limit(
    client, settings, engine_model, recaptcha_passes, shared_cache
):
    """Elastic Beanstalk: the load balancer appends the client, nginx appends the balancer."""
    settings.GALLERY_RATE_LIMIT = "2/10m"
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    settings.PROXY_HOPS = 2

    def upload_from(client_address, spoofed="6.6.6.6"):
        forwarded = f"{spoofed}, {client_address}, 172.31.0.9"
        return post_upload(
            client, grey_photo(), model=engine_model, headers={"HTTP_X_FORWARDED_FOR": forwarded}
        ).status_code

    assert [upload_from("203.0.113.7", spoofed=f"6.6.6.{n}") for n in range(3)] == [302, 302, 429]
    assert [upload_from("198.51.100.20") for _ in range(3)] == [302, 302, 429]


def test_per_client_queue_cap_is_a_429_and_counts_only_that_clients_jobs(
    client, settings, engine_model, recaptcha_passes
):
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 2
    ColorizationJobFactory.create_batch(3, client="someone-else")
    statuses = [post_upload(client, grey_photo(), model=engine_model).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    html = post_upload(client, grey_photo(), model=engine_model).content.decode()
    assert "You already have 2 photos waiting or being colorized" in html


def test_a_full_queue_is_a_503_busy_try_again_in_a_few_minutes(client, settings, engine_model, recaptcha_passes):
    settings.GALLERY_MAX_ACTIVE_JOBS = 3
    ColorizationJobFactory.create_batch(3, client="others")
    response = post_upload(client, grey_photo(), model=engine_model)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "try again in a few minutes" in response.content.decode()
    assert ColorizationJob.objects.count() == 3


def test_a_full_queue_refuses_hint_reruns_and_retries_too(client, settings, hint_model):
    settings.GALLERY_MAX_ACTIVE_JOBS = 2
    done, failed = own(
        client,
        ColorizationJobFactory(succeeded=True, model_name=hint_model),
        ColorizationJobFactory(failed=True, model_name=hint_model),
    )
    ColorizationJobFactory.create_batch(2, client="others")
    assert post_hints(client, done, HINTS, model=hint_model).status_code == 503
    retry = client.post(reverse("gallery:job_retry", args=[failed.public_id]), {"model": hint_model})
    assert retry.status_code == 503
    failed.refresh_from_db()
    assert failed.status == Status.FAILED


def test_finished_jobs_free_the_clients_queue(client, settings, engine_model, recaptcha_passes):
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1
    assert post_upload(client, grey_photo(), model=engine_model).status_code == 302
    assert post_upload(client, grey_photo(), model=engine_model).status_code == 429
    ColorizationJob.objects.update(status=Status.SUCCEEDED)
    assert post_upload(client, grey_photo(), model=engine_model).status_code == 302


def test_an_unreachable_rate_limit_cache_lets_uploads_through(client, settings, engine_model, recaptcha_passes):
    """Redis down: the limit is not checked (and that is logged); the queue caps still hold."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 2
    statuses = [post_upload(client, grey_photo(), model=engine_model).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
