"""/healthz as Elastic Beanstalk's load balancer sees it: asked by the instance's private IP
over plain HTTP, under production's host check and HTTPS redirect."""

import pytest
from django.db import OperationalError, connection

PRIVATE_IP = "10.0.0.5"


@pytest.fixture
def production_like(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["colorsite.example.org"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = []  # the middleware alone must keep /healthz out of the redirect


@pytest.mark.django_db
def test_healthz_answers_ok_to_the_instances_private_ip(client, production_like):
    response = client.get("/healthz", headers={"host": PRIVATE_IP})
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store"


def test_any_other_page_refuses_that_host(client, production_like):
    assert client.get("/", headers={"host": PRIVATE_IP}).status_code == 400


@pytest.mark.django_db
def test_healthz_is_not_redirected_to_https(client, production_like):
    assert client.get("/", headers={"host": "colorsite.example.org"}).status_code == 301
    response = client.get("/healthz", headers={"host": "colorsite.example.org"})
    assert response.status_code == 200
    assert response.content == b"ok"


def test_healthz_answers_503_when_the_database_does_not(client, production_like, monkeypatch):
    def cursor():
        raise OperationalError('connection to server at "db.internal" (10.0.1.9), port 5432 failed')

    monkeypatch.setattr(connection, "cursor", cursor)
    response = client.get("/healthz", headers={"host": PRIVATE_IP})
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
