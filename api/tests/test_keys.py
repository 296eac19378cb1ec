"""API keys: made by the command, stored hashed, sent as a Bearer token, revoked in the admin."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from api.models import ApiKey
from api.tests.factories import ApiKeyFactory
from colorsite.testing.helpers import create_api_key

pytestmark = pytest.mark.django_db
MODELS = reverse("api:models")


def test_create_api_key_prints_the_key_on_its_last_line():
    out = StringIO()
    call_command("create_api_key", "Museum scanner", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    api_key = ApiKey.objects.get()
    assert api_key.name == "Museum scanner"
    assert key.startswith(f"csk_{api_key.prefix}_")
    assert len(key) > 50


def test_only_the_hash_of_a_key_is_stored():
    key = create_api_key()
    api_key = ApiKey.objects.get()
    assert api_key.key_hash == hashlib.sha256(key.encode()).hexdigest()
    secret = key.rsplit("_", 1)[-1]
    stored = [str(value) for value in ApiKey.objects.values_list().get()]
    assert not any(secret in value or key in value for value in stored)


def test_two_keys_differ():
    assert create_api_key("a") != create_api_key("b")


def test_a_key_lets_its_holder_in_and_records_its_use(client_for, api_key):
    response = client_for(api_key).get(MODELS)
    assert response.status_code == 200
    assert ApiKey.objects.get().last_used_at is not None


def test_no_key_is_a_401_with_a_bearer_challenge(client_for):
    response = client_for().get(MODELS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {
        "code": "not_authenticated",
        "message": "An API key is required: send 'Authorization: Bearer KEY'.",
    }


def test_a_wrong_secret_with_a_real_prefix_is_refused(client_for, api_key):
    forged = api_key[:-4] + ("AAAA" if not api_key.endswith("AAAA") else "BBBB")
    response = client_for(forged).get(MODELS)
    assert response.status_code == 401
    assert response.json()["message"] == "This API key is not valid or has been revoked."


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer not-a-key", "Bearer csk_short_x"])
def test_malformed_keys_are_refused(client, header):
    response = client.get(MODELS, headers={"authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_revoked_key_is_refused(client_for, admin_client, api_key):
    row = ApiKey.objects.get()
    response = admin_client.post(
        reverse("admin:api_apikey_changelist"), {"action": "revoke", "_selected_action": [row.pk]}, follow=True
    )
    assert "1 key(s) revoked." in response.text
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert client_for(api_key).get(MODELS).status_code == 401


def test_the_admin_lists_keys_with_their_prefix_and_dates_never_the_hash(admin_client, client_for):
    used, unused = ApiKeyFactory(name="Used key"), ApiKeyFactory(name="Unused key")
    client_for(used.factory_key).get(MODELS)
    page = admin_client.get(reverse("admin:api_apikey_changelist")).text
    for column in ("Name", "Key", "Created at", "Last used at", "Active", "Revoked at"):
        assert column.lower() in page.lower()
    assert f"csk_{used.prefix}_" in page
    assert f"csk_{unused.prefix}_" in page
    assert used.key_hash not in page
    assert unused.key_hash not in page


def test_keys_are_not_made_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:api_apikey_add")).status_code == 403
