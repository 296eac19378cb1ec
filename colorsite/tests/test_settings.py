"""The settings modules, each run as the deployment runs it: `manage.py` in a fresh process
with nothing in its environment but what the test gives it."""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.utils import get_random_secret_key
from django_recaptcha.constants import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# What README.md tells a deployment to set (the secrets as environment properties);
# .ebextensions/01-colorsite.config sets DJANGO_SETTINGS_MODULE.
PRODUCTION_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "colorsite.settings.production",
    "DJANGO_SECRET_KEY": get_random_secret_key(),
    "DJANGO_ALLOWED_HOSTS": "colorsite.example.org,colorsite-web.eu-west-1.elasticbeanstalk.com",
    "DATABASE_URL": "postgres://colorsite:secret@colorsite-db.abc123.eu-west-1.rds.amazonaws.com:5432/colorsite",
    "AWS_STORAGE_BUCKET_NAME": "colorsite-media",
    "AWS_QUERYSTRING_AUTH": "false",
    "RECAPTCHA_PUBLIC_KEY": "6LdSiteKeyOfThisSiteNotGooglesTestKey000",
    "RECAPTCHA_PRIVATE_KEY": "6LdSecretKeyOfThisSiteNotGooglesTestKey0",
}


def manage(*args, environment, tmp_path):
    """`manage.py *args` in a new process whose environment is exactly ``environment``."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "COLORSITE_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=240,
    )


def without(name):
    return {key: value for key, value in PRODUCTION_ENVIRONMENT.items() if key != name}


def test_production_passes_the_deploy_check_but_for_hsts_preload(tmp_path):
    run = manage("check", "--deploy", "--fail-level", "WARNING", environment=PRODUCTION_ENVIRONMENT, tmp_path=tmp_path)
    output = run.stdout + run.stderr
    issues = set(re.findall(r"^\?: \(([\w.]+)\)", output, flags=re.MULTILINE))
    assert issues <= {"security.W021"}, output
    if issues:  # the one accepted warning fails --fail-level WARNING, and nothing else does
        assert "SystemCheckError" in output, output
        assert "1 issue" in output, output
    else:
        assert run.returncode == 0, output


@pytest.mark.parametrize(
    "name",
    [
        "DJANGO_SECRET_KEY",
        "DATABASE_URL",
        "AWS_STORAGE_BUCKET_NAME",
        "DJANGO_ALLOWED_HOSTS",
        "RECAPTCHA_PUBLIC_KEY",
        "RECAPTCHA_PRIVATE_KEY",
    ],
)
def test_production_refuses_to_start_without(name, tmp_path):
    run = manage("check", environment=without(name), tmp_path=tmp_path)
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr, run.stderr
    assert f"Set the {name} environment variable" in run.stderr, run.stderr
    assert not (tmp_path / "db.sqlite3").exists()


@pytest.mark.parametrize(
    ("name", "test_key"), [("RECAPTCHA_PUBLIC_KEY", TEST_PUBLIC_KEY), ("RECAPTCHA_PRIVATE_KEY", TEST_PRIVATE_KEY)]
)
def test_production_refuses_googles_recaptcha_test_keys(name, test_key, tmp_path):
    run = manage("check", environment={**PRODUCTION_ENVIRONMENT, name: test_key}, tmp_path=tmp_path)
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr, run.stderr
    assert f"{name} is Google's public test key" in run.stderr, run.stderr


def test_production_refuses_the_test_suites_secret_key_by_name(tmp_path):
    from colorsite.settings.base import TEST_SECRET_KEY

    run = manage(
        "check", environment={**PRODUCTION_ENVIRONMENT, "DJANGO_SECRET_KEY": TEST_SECRET_KEY}, tmp_path=tmp_path
    )
    assert run.returncode != 0
    assert "DJANGO_SECRET_KEY is the test suite's key" in run.stderr, run.stderr


@pytest.mark.parametrize(
    "hosts",
    ["*", ".elasticbeanstalk.com", "colorsite.example.org,.eu-west-1.elasticbeanstalk.com", ".amazonaws.com", ".com"],
)
def test_production_refuses_hosts_that_match_other_peoples_sites(hosts, tmp_path):
    run = manage("check", environment={**PRODUCTION_ENVIRONMENT, "DJANGO_ALLOWED_HOSTS": hosts}, tmp_path=tmp_path)
    assert run.returncode != 0
    assert "which also matches other people's sites" in run.stderr, run.stderr


def test_production_answers_400_to_another_beanstalk_apps_host(tmp_path):
    serve = (
        "shell",
        "--no-imports",
        "-c",
        "from django.test import Client; c = Client(); "
        "print(c.get('/robots.txt', HTTP_HOST='attacker-app.eu-west-1.elasticbeanstalk.com', secure=True).status_code, "
        "c.get('/robots.txt', HTTP_HOST='colorsite-web.eu-west-1.elasticbeanstalk.com', secure=True).status_code)",
    )
    run = manage(*serve, environment=PRODUCTION_ENVIRONMENT, tmp_path=tmp_path)
    assert run.stdout.split() == ["400", "200"], run.stdout + run.stderr


def test_production_cookies_cannot_be_planted_from_another_subdomain(tmp_path):
    show = (
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME)",
    )
    run = manage(*show, environment=PRODUCTION_ENVIRONMENT, tmp_path=tmp_path)
    assert run.stdout.split() == ["__Host-sessionid", "__Host-csrftoken"], run.stderr


def test_local_runs_with_no_configuration_and_keeps_its_secret_key(tmp_path):
    print_key = ("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SECRET_KEY)")
    first = manage(*print_key, environment={}, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.stdout.strip() == key_file.read_text().strip()
    assert len(first.stdout.strip()) >= 50
    second = manage(*print_key, environment={}, tmp_path=tmp_path)
    assert second.stdout == first.stdout
    check = manage("check", environment={}, tmp_path=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues" in check.stdout


def test_the_spelt_out_test_keys_are_django_recaptchas():
    from colorsite.settings.base import recaptcha_test_keys

    assert recaptcha_test_keys == (TEST_PUBLIC_KEY, TEST_PRIVATE_KEY)


def test_production_collects_static_files_into_the_release(tmp_path):
    """Where .ebextensions maps the proxy's /static: inside the release, not the shared data folder."""
    show = ("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.STATIC_ROOT)")
    run = manage(*show, environment=PRODUCTION_ENVIRONMENT, tmp_path=tmp_path)
    assert run.stdout.strip() == str(BASE_DIR / "staticfiles"), run.stderr


def test_production_refuses_to_go_without_recaptcha(tmp_path):
    run = manage(
        "check", environment={**PRODUCTION_ENVIRONMENT, "COLORSITE_WITHOUT_RECAPTCHA": "true"}, tmp_path=tmp_path
    )
    assert run.returncode != 0
    assert "COLORSITE_WITHOUT_RECAPTCHA is for a local run" in run.stderr, run.stderr


def test_a_local_run_can_go_without_recaptcha(tmp_path):
    show = ("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.RECAPTCHA_ENABLED)")
    assert manage(*show, environment={}, tmp_path=tmp_path).stdout.strip() == "True"
    switched = manage(*show, environment={"COLORSITE_WITHOUT_RECAPTCHA": "true"}, tmp_path=tmp_path)
    assert switched.stdout.strip() == "False", switched.stderr
