"""Every API test runs with the session's settings, media and rate-limit counters of its own,
as the website's do. The fixtures (API keys and clients among them) are
colorsite.testing.fixtures's (the root conftest.py registers it)."""

import pytest


@pytest.fixture(autouse=True)
def _isolated(session_settings, private_media, own_rate_limit_counters):
    pass
