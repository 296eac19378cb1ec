"""Hostile requests, through the real views: each one gets a clear 4xx (or the 503 "try again"
where the fault is not the visitor's), never a 500. Issue #9's audit cases: hostile colour
points, an upload whose stored PNG outgrows the limit, and reCAPTCHA's outages, as real network
faults (a refused port, a server that never answers, a server that does not speak TLS) on
loopback; elsewhere it is replaced only at its single network call, as in the other tests.
Odd requests are in test_hostile_requests, the rate limits and queue caps in test_rate_limits."""

import json
import socket
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from colorsite.testing.helpers import own, post_hints, post_upload
from colorsite.tests.servers import free_port
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo, noise_photo

pytestmark = pytest.mark.django_db
Status = ColorizationJob.Status


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
    job = own(client, ColorizationJobFactory(succeeded=True, model_name=hint_model))
    response = post_hints(client, job, hints, model=hint_model)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ColorizationJob.objects.count() == 1


def test_hints_for_a_model_that_takes_none_are_a_400(client, hint_model):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name=hint_model))
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
    own(client, job)
    settings.COLORIZE_MAX_UPLOAD_BYTES = job.original.size // 2
    response = post_hints(client, job, '[{"x": 5, "y": 6, "color": "#336699"}]', model=hint_model)
    child = ColorizationJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302
    assert response["Location"] == child.get_absolute_url()


def test_hints_on_a_job_whose_stored_original_is_damaged_are_a_400(client, hint_model):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name=hint_model))
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
    assert "We could not reach the" in html
    assert "try again" in html
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
