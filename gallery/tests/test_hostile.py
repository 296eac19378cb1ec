"""Hostile and odd requests, through the real views: each one gets a clear 4xx (or the 503 "try
again" where the fault is not the visitor's), never a 500. Issue #9's audit cases first, then
more of our own. reCAPTCHA's outages are real network faults (a refused port, a server that
never answers, a server that does not speak TLS) on loopback; elsewhere it is replaced only at
its single network call, as in the other tests."""

import json
import socket
import threading
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from colorsite.testing.helpers import REDIS_URL, post_upload
from colorsite.tests.servers import free_port
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo, noise_photo, png_bomb, truncated_png

pytestmark = pytest.mark.django_db
Status = ColorizationJob.Status


def post_hints(client, job, hints, *, model):
    return client.post(reverse("gallery:job_recolorize", args=[job.public_id]), {"hints": hints, "model": model})


# --- Colour hints (issue #9: OverflowError and RecursionError were 500s) -----------------------


@pytest.mark.parametrize(
    ("hints", "message"),
    [
        ('[{"x": Infinity, "y": 1, "color": "#336699"}]', "could not be read"),
        ('[{"x": 1, "y": -Infinity, "color": "#336699"}]', "could not be read"),
        ('[{"x": NaN, "y": 1, "color": "#336699"}]', "could not be read"),
        ('[{"x": 1e400, "y": 1, "color": "#336699"}]', "could not be read"),
        ('[{"x": "1e400", "y": 1, "color": "#336699"}]', "could not be read"),
        ("[" * 100_000 + "]" * 100_000, "At most"),
        ("[" * 5_000 + "]" * 5_000, "could not be read"),  # short enough to decode: too deep
        ('{"x": 1, "y": 1, "color": "#336699"}', "could not be read"),
        ('[{"x": true, "y": 1, "color": "#336699"}]', "could not be read"),
        ('[{"x": 1, "y": 1}]', "could not be read"),
        ('[{"x": 1, "y": 1, "color": "red"}]', "#rrggbb"),
        ('[{"x": 1, "y": 1, "color": "#336699"}, 7]', "could not be read"),
        ('[{"x": 4800, "y": 1, "color": "#336699"}]', "outside the picture"),
        ('[{"x": -1, "y": 1, "color": "#336699"}]', "outside the picture"),
        (json.dumps([{"x": 1, "y": 1, "color": "#336699"}] * 65), "At most 64"),
        ("not json at all", "could not be read"),
        ('"\\ud800"', "could not be read"),
        ("", "at least one colour point"),
        ("[]", "at least one colour point"),
    ],
    ids=[
        "infinity",
        "minus-infinity",
        "nan",
        "1e400",
        "1e400-string",
        "nested-100000",
        "nested-5000",
        "object-not-list",
        "boolean-x",
        "no-colour",
        "colour-name",
        "not-an-object",
        "outside",
        "negative",
        "too-many",
        "not-json",
        "lone-surrogate",
        "empty",
        "no-points",
    ],
)
def test_hostile_hints_are_a_400_with_the_reason(client, hint_model, hints, message):
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    response = post_hints(client, job, hints, model=hint_model)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ColorizationJob.objects.count() == 1


def test_hints_for_a_model_that_takes_none_are_a_400(client, hint_model):
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    response = post_hints(client, job, '[{"x": 1, "y": 1, "color": "#336699"}]', model="eccv16")
    assert response.status_code == 400
    assert ColorizationJob.objects.count() == 1


def test_hints_on_a_job_whose_stored_original_exceeds_the_upload_limit_make_a_job(
    client, settings, hint_model, run_worker
):
    """The upload limit applies to what the user sent, not to the site's own stored PNG."""
    job = ColorizationJobFactory(
        succeeded=True,
        model_name=hint_model,
        original=SimpleUploadedFile("o.png", noise_photo(96, 64)),
        original_width=96,
        original_height=64,
    )
    settings.COLORIZE_MAX_UPLOAD_BYTES = job.original.size // 2
    response = post_hints(client, job, '[{"x": 5, "y": 6, "color": "#336699"}]', model=hint_model)
    child = ColorizationJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response["Location"] == child.get_absolute_url()


def test_hints_on_a_job_whose_stored_original_is_damaged_are_a_400(client, hint_model):
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    Path(job.original.path).write_bytes(b"not a picture any more")
    response = post_hints(client, job, '[{"x": 5, "y": 6, "color": "#336699"}]', model=hint_model)
    assert response.status_code == 400
    assert "damaged" in response.content.decode() or "not an image" in response.content.decode()


# --- An accepted upload always runs (issue #9: a 10 MB JPEG became a 49 MB PNG, then failed) ---


@pytest.mark.django_db(transaction=True)
def test_an_upload_under_the_limit_whose_stored_png_is_over_it_runs_and_retries(
    client, settings, engine_model, recaptcha_passes, run_worker
):
    jpeg = noise_photo(240, 160, fmt="JPEG")
    settings.COLORIZE_MAX_UPLOAD_BYTES = len(jpeg) + 1000
    response = post_upload(client, jpeg, model=engine_model, name="scan.jpg")
    job = ColorizationJob.objects.get()
    assert response.status_code == 302
    assert job.original.size > settings.COLORIZE_MAX_UPLOAD_BYTES  # stored as a larger PNG
    run_worker()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    # "Try again" on the same stored original works too.
    ColorizationJob.objects.filter(pk=job.pk).update(status=Status.FAILED)
    assert client.post(reverse("gallery:job_retry", args=[job.public_id]), {"model": engine_model}).status_code == 302
    run_worker()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message


# --- reCAPTCHA cannot be reached (issue #9: URLError escaped as a 500) ---------------------------


@pytest.fixture
def silent_server():
    """A TCP server on loopback that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for held_connection in held:
        held_connection.close()
    server.close()


@pytest.fixture
def plain_http_server():
    """A server that answers every connection in plain HTTP, where reCAPTCHA's client speaks TLS."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def answer():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nnot json")

    threading.Thread(target=answer, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def assert_verification_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"]
    html = response.content.decode()
    assert "We could not reach the" in html and "try again" in html
    assert not ColorizationJob.objects.exists()


def test_recaptcha_refusing_connections_is_a_503_try_again(client, settings, engine_model):
    settings.RECAPTCHA_DOMAIN = f"127.0.0.1:{free_port()}"
    assert_verification_unavailable(post_upload(client, grey_photo(), model=engine_model))


def test_recaptcha_never_answering_is_a_503_try_again(client, settings, engine_model, silent_server):
    settings.RECAPTCHA_DOMAIN = f"127.0.0.1:{silent_server}"
    settings.RECAPTCHA_VERIFY_REQUEST_TIMEOUT = 0.5
    assert_verification_unavailable(post_upload(client, grey_photo(), model=engine_model))


def test_recaptcha_answering_garbage_is_a_503_try_again(client, settings, engine_model, plain_http_server):
    settings.RECAPTCHA_DOMAIN = f"127.0.0.1:{plain_http_server}"
    assert_verification_unavailable(post_upload(client, grey_photo(), model=engine_model))


def test_recaptcha_unknown_host_is_a_503_try_again(client, settings, engine_model):
    settings.RECAPTCHA_DOMAIN = "recaptcha.invalid"  # RFC 2606: never resolves
    assert_verification_unavailable(post_upload(client, grey_photo(), model=engine_model))


# --- Odd uploads and requests ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4 not an image", b"", png_bomb(), truncated_png(), b"GIF89a" + b"\0" * 10, b"\x89PNG\r\n\x1a\n"],
    ids=["pdf", "empty", "bomb", "truncated", "gif-header-only", "png-signature-only"],
)
def test_bad_files_are_a_400(client, engine_model, recaptcha_passes, content):
    response = post_upload(client, content, model=engine_model, name="../../etc/passwd\x00.png")
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert not ColorizationJob.objects.exists()


def test_upload_without_a_file_is_a_400(client, engine_model, recaptcha_passes):
    response = client.post(reverse("gallery:upload"), {"model": engine_model, "g-recaptcha-response": "t"})
    assert response.status_code == 400 and not ColorizationJob.objects.exists()


def test_upload_with_an_unknown_model_is_a_400(client, engine_model, recaptcha_passes):
    response = post_upload(client, grey_photo(), model="../../weights/evil")
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


def test_upload_without_a_captcha_answer_is_a_400(client, engine_model, recaptcha_passes):
    data = {"image": SimpleUploadedFile("a.png", grey_photo()), "model": engine_model}
    response = client.post(reverse("gallery:upload"), data)
    assert response.status_code == 400 and not ColorizationJob.objects.exists()


def test_a_lying_content_length_is_refused_before_reading(client, engine_model, recaptcha_passes):
    response = client.post(reverse("gallery:upload"), {"model": engine_model}, CONTENT_LENGTH=str(10**12))
    assert response.status_code == 413 and "largest photo we accept" in response.content.decode()


def test_a_post_without_the_csrf_token_is_a_403(engine_model, recaptcha_passes):
    response = post_upload(Client(enforce_csrf_checks=True), grey_photo(), model=engine_model)
    assert response.status_code == 403 and not ColorizationJob.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/jobs/not-a-uuid/",
        "/jobs/00000000-0000-0000-0000-000000000000/status/",
        "/jobs/00000000-0000-0000-0000-000000000000/delete/",
        "/gallery/999999/",
        "/gallery/1/files/result/..%2F..%2Fsecret-key",
    ],
)
def test_unknown_links_are_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("kind", ["result", "original", "thumbnail", "../original", "RESULT", "secret"])
def test_file_urls_with_another_name_or_kind_are_404(client, kind):
    job = ColorizationJobFactory(succeeded=True)
    for name in ("..%2F..%2Fsecret-key", "secret-key", job.original.name):
        assert client.get(f"/jobs/{job.public_id}/files/{kind}/{name}").status_code == 404


@pytest.mark.parametrize("name", ["job_recolorize", "job_retry", "job_gallery"])
def test_get_on_a_post_only_endpoint_is_a_405(client, name):
    job = ColorizationJobFactory(succeeded=True)
    assert client.get(reverse(f"gallery:{name}", args=[job.public_id])).status_code == 405


def test_retry_of_a_job_that_did_not_fail_changes_nothing(client):
    job = ColorizationJobFactory(succeeded=True)
    response = client.post(reverse("gallery:job_retry", args=[job.public_id]), {"model": "nonsense"})
    job.refresh_from_db()
    assert response.status_code == 302 and job.status == Status.SUCCEEDED


def test_a_deleted_job_is_gone_and_deleting_again_is_a_404(client, django_capture_on_commit_callbacks):
    job = ColorizationJobFactory(succeeded=True)
    url = reverse("gallery:job_delete", args=[job.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert client.post(url).status_code == 404
    assert client.get(job.get_absolute_url()).status_code == 404


def test_delete_with_another_method_is_a_405(client):
    job = ColorizationJobFactory(succeeded=True)
    assert client.put(reverse("gallery:job_delete", args=[job.public_id])).status_code == 405
    assert ColorizationJob.objects.filter(pk=job.pk).exists()


def test_gallery_page_numbers_out_of_range_or_not_numbers_still_answer(client):
    ColorizationJobFactory(public=True)
    for page in ("999", "-1", "abc", "1e400", "%00"):
        assert client.get(reverse("gallery:gallery"), {"page": page}).status_code == 200


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
    assert statuses[:20] == [302] * 20 and set(statuses[20:]) == {429}
    limited = post_upload(client, grey_photo(), model=engine_model)
    html = limited.content.decode()
    assert limited.status_code == 429 and 60 <= int(limited["Retry-After"]) <= 600 + 60
    assert "Please slow down" in html and "You can start another in about" in html and "UTC" in html
    assert ColorizationJob.objects.count() == 20
    assert rate_limit_entries(settings.RATE_LIMIT_CACHE_PREFIX)


def test_hint_reruns_and_uploads_share_one_limit(client, settings, hint_model, recaptcha_passes, shared_cache):
    settings.GALLERY_RATE_LIMIT = "6/10m"
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    uploads = [post_upload(client, grey_photo(), model=hint_model).status_code for _ in range(3)]
    hints = [
        post_hints(client, job, '[{"x": 1, "y": 1, "color": "#336699"}]', model=hint_model).status_code
        for _ in range(4)
    ]
    assert uploads == [302] * 3 and hints == [302, 302, 302, 429]


def test_vividness_reruns_count_against_the_same_limit(client, settings, hint_model, shared_cache):
    settings.GALLERY_RATE_LIMIT = "3/10m"
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    url = reverse("gallery:job_vividness", args=[job.public_id])
    statuses = [client.post(url, {"vividness": "0.75"}).status_code for _ in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert ColorizationJob.objects.count() == 4


def test_vividness_reruns_count_against_the_clients_queue_cap(client, settings, hint_model):
    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 2
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
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
    assert response.status_code == 503 and response["Retry-After"]
    assert "try again in a few minutes" in response.content.decode()
    assert ColorizationJob.objects.count() == 3


def test_a_full_queue_refuses_hint_reruns_and_retries_too(client, settings, hint_model):
    settings.GALLERY_MAX_ACTIVE_JOBS = 2
    done = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    failed = ColorizationJobFactory(failed=True, model_name=hint_model)
    ColorizationJobFactory.create_batch(2, client="others")
    assert post_hints(client, done, '[{"x": 1, "y": 1, "color": "#336699"}]', model=hint_model).status_code == 503
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


# --- Hardening, round two (issue #22) ------------------------------------------------------------


@pytest.fixture
def stoppable_redis(settings, tmp_path):
    """A Redis server of this test's own (Debian's redis-server on a free port) as the shared
    cache; ``stop()`` shuts it down for real."""
    import shutil
    import subprocess
    import time

    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    server = redis.Redis(port=port, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            server.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}
    }

    def stop():
        process.terminate()
        process.wait(timeout=10)

    yield stop
    if process.poll() is None:
        stop()


def test_a_queued_jobs_page_and_status_work_with_the_cache_stopped(client, stoppable_redis, caplog):
    ColorizationJobFactory(succeeded=True)  # a recent run to estimate from
    job = ColorizationJobFactory()
    page, status = (
        reverse("gallery:job_detail", args=[job.public_id]),
        reverse("gallery:job_status", args=[job.public_id]),
    )
    assert client.get(page).status_code == 200
    stoppable_redis()
    assert client.get(page).status_code == 200
    payload = client.get(status).json()
    assert payload["status"] == "queued" and payload["queue_position"] == 1 and payload["estimate_text"]
    assert "Cache down (ConnectionError)" in caplog.text


def test_a_planted_session_never_lists_the_victims_jobs(client, engine_model, recaptcha_passes):
    attacker = Client()
    assert post_upload(attacker, grey_photo(), model=engine_model).status_code == 302
    planted = attacker.cookies["sessionid"].value
    client.cookies["sessionid"] = planted  # the attacker's session key, set in the victim's browser
    assert post_upload(client, grey_photo(), model=engine_model, name="victim.png").status_code == 302
    assert client.cookies["sessionid"].value != planted
    victims = ColorizationJob.objects.get(display_name="victim")
    assert str(victims.public_id) in client.get(reverse("gallery:my_photos")).content.decode()
    assert str(victims.public_id) not in attacker.get(reverse("gallery:my_photos")).content.decode()


def test_a_full_share_just_before_a_window_ends_is_no_fresh_share_just_after(
    client, settings, engine_model, recaptcha_passes, monkeypatch, shared_cache
):
    """Issue #22: 20 uploads just before a fixed window ended and 20 just after were all taken."""
    from gallery import ratelimits

    settings.GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = 1000
    window_end = (int(ratelimits.clock()) // 600 + 1) * 600
    statuses = []
    for second in (window_end - 25, window_end + 18):  # 43 s apart
        monkeypatch.setattr(ratelimits, "clock", lambda second=second: float(second))
        statuses += [post_upload(client, grey_photo(), model=engine_model).status_code for _ in range(20)]
    assert statuses[:20] == [302] * 20
    assert statuses[20:] == [429] * 20
    # Room comes back as the window slides: after a full period, the whole share.
    monkeypatch.setattr(ratelimits, "clock", lambda: float(window_end + 600 - 25))
    assert post_upload(client, grey_photo(), model=engine_model).status_code == 302


def test_the_sliding_window_says_when_there_is_room_again(settings, monkeypatch):
    from gallery import ratelimits

    rate = ratelimits.parse_rate("4/10m")
    start = 6000.0  # a window's start
    monkeypatch.setattr(ratelimits, "clock", lambda: start + 500)
    assert [ratelimits.sliding_window_hit("test", "k", rate).allowed for _ in range(5)] == [True] * 4 + [False]
    monkeypatch.setattr(ratelimits, "clock", lambda: start + 700)  # 100 s into the next window
    refused = ratelimits.sliding_window_hit("test", "k", rate)
    # 4 * (1 - t/600) + 1 <= 4 from t = 150 s into this window: 50 s from now.
    assert not refused.allowed and refused.retry_after == 50
    monkeypatch.setattr(ratelimits, "clock", lambda: start + 750)
    assert ratelimits.sliding_window_hit("test", "k", rate).allowed


@pytest.mark.parametrize(
    ("hops", "forwarded", "client"),
    [
        (2, "6.6.6.6, 203.0.113.7, 172.31.0.9", "203.0.113.7"),
        (2, "203.0.113.7", "192.0.2.1"),  # fewer entries than proxies: the written one is not trusted
        (1, "", "192.0.2.1"),
    ],
)
def test_the_client_address_is_the_one_the_outermost_proxy_saw(rf, settings, hops, forwarded, client):
    from gallery.ratelimits import client_ip

    settings.PROXY_HOPS = hops
    request = rf.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == client


def test_every_page_says_no_to_the_browsers_powerful_features(client):
    policy = client.get(reverse("gallery:upload"))["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


def test_a_batch_of_pixel_bombs_stops_at_the_batchs_pixel_budget(client, settings, engine_model, recaptcha_passes):
    """Issue #22: 0.95 MB of files each declaring ~50 megapixels cost 11 s of web CPU and 66 s
    of worker CPU. Past GALLERY_BATCH_MAX_PIXELS the rest are refused from their headers."""
    settings.GALLERY_BATCH_MAX_PIXELS = 3 * 64 * 48
    files = [SimpleUploadedFile(f"scan {n}.png", grey_photo(64, 48)) for n in range(5)]
    data = {"image": files, "model": engine_model, "g-recaptcha-response": "token"}
    response = client.post(reverse("gallery:upload"), data, follow=True)
    assert ColorizationJob.objects.count() == 3
    html = response.content.decode()
    assert "“scan 3.png”: the photos before it" in html and "“scan 4.png”: the photos before it" in html
    assert "are colorized from one upload; send it again on its own" in html


def test_the_declared_pixels_come_from_the_header_alone():
    from colorize import imaging

    assert imaging.declared_pixels(png_bomb(10_000, 5_000)) == 50_000_000
    assert imaging.declared_pixels(b"not an image") is None
