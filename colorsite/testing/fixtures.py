"""The tests' one fixtures plugin (registered by the root conftest.py, so every test of the
project sees the same fixtures under the same names).

The set-up every gallery and API test gets (``test_process_settings``, ``private_media``,
``own_rate_limit_counters``) is turned on for those apps by their conftest.py. Then: a real
(tiny or bundled) colorization network (``engine_model``, ``hint_model``), reCAPTCHA replaced
at its one network call, the real worker (``run_worker``; ``workers`` as processes), API keys
and clients, each real shared cache (``shared_cache``), and the browser tests' Chromium."""

import io
import json
import logging
import threading
from pathlib import Path
from uuid import uuid4

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils.module_loading import import_string
from django_recaptcha.client import RecaptchaResponse
from PIL import Image
from rest_framework.test import APIClient

from colorize import registry, site
from colorsite import logs
from colorsite.testing.browser import CHROMIUM, CHROMIUM_ARGS, CSP_VIOLATIONS
from colorsite.testing.helpers import REDIS_URL, WorkerProcess, create_api_key, use_random_weights

# --- Every gallery and API test ------------------------------------------------------------------


@pytest.fixture(scope="session")
def session_settings():
    """For the whole session: database connections closed after each request, so the live
    server's threads never hold one when the test database is dropped; and a static root that
    exists (the live server's whitenoise is built before per-test settings apply)."""
    from django.conf import settings

    for database in settings.DATABASES.values():
        database["CONN_MAX_AGE"] = 0
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture
def private_media(settings, tmp_path):
    """MEDIA_ROOT and STATIC_ROOT of this test's own, on the file system."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        # Tests do not run collectstatic; the manifest storage would refuse unknown names.
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def own_rate_limit_counters(settings):
    """Each test counts its requests from scratch: its own key prefix on the shared cache (the
    database cache's rows outlive a transactional test)."""
    settings.RATE_LIMIT_CACHE_PREFIX = f"rl:{uuid4().hex}:"


@pytest.fixture(scope="session")
def gallery_weights_dir(tmp_path_factory):
    return Path(tmp_path_factory.mktemp("weights"))


@pytest.fixture
def engine_model(settings, gallery_weights_dir):
    """The name of an installed model that runs a real network: the bundled compact model when
    its weights are there, else ECCV16 with seeded random weights."""
    settings.COLORIZE_DEFAULT_MODEL = ""
    if registry.get_spec("compact") in site.installed_models():
        return "compact"
    use_random_weights(settings, gallery_weights_dir, "eccv16")
    settings.COLORIZE_DEFAULT_MODEL = "eccv16"
    return "eccv16"


@pytest.fixture
def hint_model(settings, engine_model, gallery_weights_dir):
    """An installed model that takes colour hints: compact when bundled, else SIGGRAPH17 with
    seeded random weights."""
    if registry.get_spec("compact") in site.installed_models():
        return "compact"
    use_random_weights(settings, gallery_weights_dir, "siggraph17")
    return "siggraph17"


@pytest.fixture
def fresh_estimates():
    """No typical run time cached (it is kept for half a minute): a waiting job's estimate
    comes from this test's runs alone."""
    from django.core.cache import cache

    from gallery import selectors

    cache.delete(selectors.TYPICAL_RUN_CACHE_KEY)


@pytest.fixture
def recaptcha_passes(monkeypatch):
    """Replace reCAPTCHA's single network call (the siteverify request) with a pass."""
    calls = []

    def submit(recaptcha_response, private_key, remoteip):
        calls.append(recaptcha_response)
        return RecaptchaResponse(is_valid=True, extra_data={"score": 0.9}, action="upload")

    monkeypatch.setattr("django_recaptcha.client.submit", submit)
    return calls


@pytest.fixture
def recaptcha_fails(monkeypatch):
    def submit(recaptcha_response, private_key, remoteip):
        return RecaptchaResponse(is_valid=False, error_codes=["invalid-input-response"])

    monkeypatch.setattr("django_recaptcha.client.submit", submit)


@pytest.fixture
def run_worker():
    """Run the real worker (the gallery_worker command: sweep + django-tasks-db's db_worker)
    until the queue is empty."""

    def run():
        call_command("gallery_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    return run


@pytest.fixture
def workers(tmp_path, engine_model):
    """``start(*options, env=None)``: a real ``manage.py gallery_worker`` process (WorkerProcess,
    ``env`` its variables to change), stopped after the test."""
    started = []

    def start(*extra, env=None):
        worker = WorkerProcess(tmp_path, engine_model, *extra, env=env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def s3_mirror(settings, monkeypatch):
    """The site's bucket on moto's real standalone S3 server, as COLORIZE_WEIGHTS_MIRROR."""
    import boto3

    from colorsite.tests.servers import moto_s3

    with moto_s3(monkeypatch) as endpoint:
        settings.AWS_S3_ENDPOINT_URL = endpoint
        settings.COLORIZE_WEIGHTS_MIRROR = "s3://colorsite-media/weights"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket="colorsite-media")
        yield client


# --- The API -------------------------------------------------------------------------------------


@pytest.fixture
def api_key(db):
    return create_api_key()


@pytest.fixture
def client_for():
    """An API client sending ``key`` as 'Authorization: Bearer KEY' (no key: none sent)."""

    def make(key=None):
        client = APIClient()
        if key:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    return make


@pytest.fixture
def api(api_key, client_for):
    return client_for(api_key)


# --- The shared cache ----------------------------------------------------------------------------


@pytest.fixture(params=["database", "redis"])
def shared_cache(request, settings):
    """The rate limits on each real shared cache: the database cache (the default) and Redis
    (REDIS_URL; database 15 and a key prefix of this test's own, removed afterwards)."""
    if request.param == "database":
        yield "database"
        return
    import redis

    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        server.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis does not answer at {REDIS_URL}: {error}")
    prefix = f"colorsite-test-{uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield "redis"
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)


# --- The browser tests (colorsite.testing.browser) -----------------------------------------------


@pytest.fixture
def worker():
    """django-tasks-db's real Worker, polling the queue in a thread next to the live server."""
    from django_tasks_db.management.commands.db_worker import Worker

    runner = Worker(
        queue_names=["default"],
        interval=0.2,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test-worker",
        excluded_queue_names=[],
    )

    def run():
        try:
            runner.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="db-worker", daemon=True)
    thread.start()
    yield runner
    runner.running = False
    thread.join(timeout=60)


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
        # With Playwright's loop running, Django keeps this test's connection apart from the
        # one pytest-django closes; close it here so the test database can be dropped.
        connections.close_all()


@pytest.fixture
def no_csp_violations():
    """No Content-Security-Policy violation on any page of the test (BROWSER_TEST uses it)."""
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == []


@pytest.fixture
def old_photo(tmp_path):
    """A real photograph (scikit-image's astronaut sample), made black and white."""
    from skimage import data

    image = Image.fromarray(data.astronaut()).convert("L").resize((384, 384))
    path = tmp_path / "Old family photo.jpg"
    image.save(path, "JPEG", quality=90)
    return path


# --- Logs and Sentry ------------------------------------------------------------------------------


@pytest.fixture
def json_lines():
    """The lines every logger writes, filtered and formatted as production's handler does
    (colorsite.logs.logging_config), as dicts."""
    config = logs.logging_config(json_lines=True, level="INFO")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    for name in config["handlers"]["console"]["filters"]:
        handler.addFilter(import_string(config["filters"][name]["()"])())
    spec = config["formatters"]["json"]
    from pythonjsonlogger.json import JsonFormatter

    formatter = JsonFormatter(spec["format"], timestamp=True, rename_fields=spec["rename_fields"])
    handler.setFormatter(formatter)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    lines: list[dict] = []

    def read():
        lines[:] = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
        return lines

    yield read
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture
def sentry_endpoint():
    """A local HTTP server that takes Sentry envelopes; Sentry on against it, off afterwards."""
    import gzip
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import sentry_sdk

    from colorsite.sentry import sentry_init

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append(body.decode("utf-8", "replace"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sentry_init(f"http://publickey@127.0.0.1:{server.server_port}/1", environment="test")
    yield received
    sentry_sdk.flush(timeout=5)
    sentry_init("")
    server.shutdown()
