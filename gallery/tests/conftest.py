"""Shared fixtures: private media per test, a real (tiny or bundled) colorization network,
reCAPTCHA replaced at its one network call, and the real worker code path."""

from pathlib import Path
from uuid import uuid4

import pytest
from django.core.management import call_command
from django_recaptcha.client import RecaptchaResponse

from colorize import registry, site
from research.testing import install_seeded


@pytest.fixture(scope="session", autouse=True)
def _test_process_settings():
    """For the whole session: database connections closed after each request, so the live
    server's threads never hold one when the test database is dropped; and a static root that
    exists (the live server's whitenoise is built before per-test settings apply)."""
    from django.conf import settings

    for database in settings.DATABASES.values():
        database["CONN_MAX_AGE"] = 0
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        # Tests do not run collectstatic; the manifest storage would refuse unknown names.
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings):
    """Each test counts its requests from scratch: its own key prefix on the shared cache (the
    database cache's rows outlive a transactional test)."""
    settings.RATE_LIMIT_CACHE_PREFIX = f"rl:{uuid4().hex}:"


@pytest.fixture(scope="session")
def _random_weights_dir(tmp_path_factory):
    return Path(tmp_path_factory.mktemp("weights"))


def _use_random_weights(settings, directory, name):
    """Seeded random weights for ``name`` (made once per session) in a private weights folder:
    the tests still run the real network, only untrained."""
    spec = registry.get_spec(name)
    if not (directory / spec.runtime_file).exists():
        install_seeded(spec, directory)
    settings.COLORIZE_WEIGHTS_DIR = directory
    assert spec in site.installed_models()


@pytest.fixture
def engine_model(settings, _random_weights_dir):
    """The name of an installed model that runs a real network: the bundled compact model when
    its weights are there, else ECCV16 with seeded random weights."""
    settings.COLORIZE_DEFAULT_MODEL = ""
    if registry.get_spec("compact") in site.installed_models():
        return "compact"
    _use_random_weights(settings, _random_weights_dir, "eccv16")
    settings.COLORIZE_DEFAULT_MODEL = "eccv16"
    return "eccv16"


@pytest.fixture
def hint_model(settings, engine_model, _random_weights_dir):
    """An installed model that takes colour hints: compact when bundled, else SIGGRAPH17 with
    seeded random weights."""
    if registry.get_spec("compact") in site.installed_models():
        return "compact"
    _use_random_weights(settings, _random_weights_dir, "siggraph17")
    return "siggraph17"


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
