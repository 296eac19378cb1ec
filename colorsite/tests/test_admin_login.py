"""The admin's login against guessing (issue #22: 60 wrong passwords from one address were all
checked, and any password passed the validators)."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "a long passphrase nobody guesses"


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("boss", "boss@example.org", PASSWORD)


def log_in(client, password, address="203.0.113.7"):
    return client.post(LOGIN, {"username": "boss", "password": password}, REMOTE_ADDR=address)


def test_the_eleventh_wrong_password_from_one_address_is_refused_unchecked(client, admin_user, caplog, monkeypatch):
    checked = []
    original = type(admin_user).check_password
    monkeypatch.setattr(
        type(admin_user), "check_password", lambda user, raw: checked.append(raw) or original(user, raw)
    )
    with caplog.at_level(logging.INFO, logger="axes"):
        answers = [log_in(client, f"guess {n}").status_code for n in range(11)]
    assert answers[:9] == [200] * 9  # the form again, with its error
    assert answers[9:] == [429, 429]
    assert len(checked) == 10  # the 11th was never compared
    assert log_in(client, PASSWORD).status_code == 429  # not even the right one, for now
    assert "Locking out client" in caplog.text
    assert "203.0.113.7" not in caplog.text
    assert "boss" not in caplog.text


def test_another_address_still_logs_in(client, admin_user):
    for n in range(10):
        log_in(client, f"guess {n}")
    assert log_in(Client(), PASSWORD, address="198.51.100.4").status_code == 302


def test_a_lockout_ends_after_the_cool_off(client, admin_user, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt

    for n in range(10):
        log_in(client, f"guess {n}")
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16))
    assert log_in(client, PASSWORD).status_code == 302


@pytest.mark.parametrize("password", ["a", "password123", "12345678901234", "boss"])
def test_weak_passwords_are_refused(admin_user, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=admin_user)


def test_a_long_uncommon_passphrase_passes(admin_user):
    validate_password(PASSWORD, user=admin_user)
