"""Odd uploads and requests through the real views (each a clear 4xx, never a 500), and the
hardening of issue #22: the cache stopped, a planted session, the sliding window's edges, the
client's address behind proxies, the browser's powerful features, pixel bombs in a batch."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from colorsite.testing.helpers import own, post_upload
from colorsite.tests.servers import free_port
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo, png_bomb, truncated_png

pytestmark = pytest.mark.django_db
Status = ColorizationJob.Status


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
    assert response.status_code == 400
    assert not ColorizationJob.objects.exists()


def test_upload_with_an_unknown_model_is_a_400(client, engine_model, recaptcha_passes):
    response = post_upload(client, grey_photo(), model="../../weights/evil")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_upload_without_a_captcha_answer_is_a_400(client, engine_model, recaptcha_passes):
    data = {"image": SimpleUploadedFile("a.png", grey_photo()), "model": engine_model}
    response = client.post(reverse("gallery:upload"), data)
    assert response.status_code == 400
    assert not ColorizationJob.objects.exists()


def test_a_lying_content_length_is_refused_before_reading(client, engine_model, recaptcha_passes):
    response = client.post(reverse("gallery:upload"), {"model": engine_model}, CONTENT_LENGTH=str(10**12))
    assert response.status_code == 413
    assert "largest photo we accept" in response.content.decode()


def test_a_post_without_the_csrf_token_is_a_403(engine_model, recaptcha_passes):
    response = post_upload(Client(enforce_csrf_checks=True), grey_photo(), model=engine_model)
    assert response.status_code == 403
    assert not ColorizationJob.objects.exists()


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
    job = own(client, ColorizationJobFactory(succeeded=True))
    response = client.post(reverse("gallery:job_retry", args=[job.public_id]), {"model": "nonsense"})
    job.refresh_from_db()
    assert response.status_code == 302
    assert job.status == Status.SUCCEEDED


def test_a_deleted_job_is_gone_and_deleting_again_is_a_404(client, django_capture_on_commit_callbacks):
    job = own(client, ColorizationJobFactory(succeeded=True))
    url = reverse("gallery:job_delete", args=[job.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert client.post(url).status_code == 404
    assert client.get(job.get_absolute_url()).status_code == 404


def test_delete_with_another_method_is_a_405(client):
    job = own(client, ColorizationJobFactory(succeeded=True))
    assert client.put(reverse("gallery:job_delete", args=[job.public_id])).status_code == 405
    assert ColorizationJob.objects.filter(pk=job.pk).exists()


def test_gallery_page_numbers_out_of_range_or_not_numbers_still_answer(client):
    job = ColorizationJobFactory(public=True, caption="Harbour at dawn")
    for page in ("999", "-1", "abc", "1e400", "%00"):
        response = client.get(reverse("gallery:gallery"), {"page": page})
        # The one page there is (the last for a number past it, the first for the rest), with its photo.
        assert response.status_code == 200, page
        html = response.content.decode()
        assert job.get_gallery_url() in html, page
        assert "Harbour at dawn" in html, page


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
    assert payload["status"] == "queued"
    assert payload["queue_position"] == 1
    assert payload["estimate_text"]
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
    assert not refused.allowed
    assert refused.retry_after == 50
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
    assert "camera=()" in policy
    assert "geolocation=()" in policy
    assert "microphone=()" in policy


def test_a_batch_of_pixel_bombs_stops_at_the_batchs_pixel_budget(client, settings, engine_model, recaptcha_passes):
    """Issue #22: 0.95 MB of files each declaring ~50 megapixels cost 11 s of web CPU and 66 s
    of worker CPU. Past GALLERY_BATCH_MAX_PIXELS the rest are refused from their headers."""
    settings.GALLERY_BATCH_MAX_PIXELS = 3 * 64 * 48
    files = [SimpleUploadedFile(f"scan {n}.png", grey_photo(64, 48)) for n in range(5)]
    data = {"image": files, "model": engine_model, "g-recaptcha-response": "token"}
    response = client.post(reverse("gallery:upload"), data, follow=True)
    assert ColorizationJob.objects.count() == 3
    html = response.content.decode()
    assert "“scan 3.png”: the photos before it" in html
    assert "“scan 4.png”: the photos before it" in html
    assert "are colorized from one upload; send it again on its own" in html


def test_the_declared_pixels_come_from_the_header_alone():
    from colorize import imaging

    assert imaging.declared_pixels(png_bomb(10_000, 5_000)) == 50_000_000
    assert imaging.declared_pixels(b"not an image") is None
