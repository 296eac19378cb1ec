"""Project-wide pytest setup: the fixtures are colorsite.testing.fixtures's, for every test, and every
log line the run writes is audited for what would give a person away (colorsite.testing.log_audit)."""

import pytest

# The shared fixtures and helpers, one plugin each, for every app's tests. research.testing
# first: the fixtures import it, and pytest rewrites a plugin's asserts only if it is the one
# to import it.
pytest_plugins = ["research.testing", "colorsite.testing.fixtures", "colorsite.testing.log_audit"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, keep the test database in a file rather than in memory, so that the task
    worker's thread and the live server's threads all see the same database."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")
