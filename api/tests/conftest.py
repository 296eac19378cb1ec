"""The API's tests use the website's fixtures (private media per test, a real network, the real
worker) and make their keys with the real command."""

from io import StringIO
from uuid import uuid4

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from gallery.tests.conftest import (  # noqa: F401  (fixtures)
    _private_media,
    _random_weights_dir,
    _test_process_settings,
    engine_model,
    hint_model,
    run_worker,
)


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings):
    """Each test counts its requests from scratch (the database cache outlives a test)."""
    settings.RATE_LIMIT_CACHE_PREFIX = f"rl:{uuid4().hex}:"


def create_api_key(name="test pipeline") -> str:
    """A key from `manage.py create_api_key NAME`: the last line it prints."""
    out = StringIO()
    call_command("create_api_key", name, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


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
