"""The smaller findings of the third hostile audit (issue #34), one behaviour each: only the
upload page takes a large body, an IPv4 client behind an IPv6 socket is itself, the admin's
login with an unsafe next lands on the admin."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from gallery.ratelimits import client_network

pytestmark = pytest.mark.django_db
TWO_MEGABYTES = b"x" * (2 * 1024 * 1024)


@pytest.mark.parametrize("path", ["/admin/login/", "/gallery/"])
def test_a_large_post_to_a_form_that_takes_no_photo_is_refused_unread(path):
    response = Client().post(path, TWO_MEGABYTES, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_ipv4_clients_of_an_ipv6_socket_count_one_each():
    first = RequestFactory().get("/", REMOTE_ADDR="::ffff:203.0.113.9")
    second = RequestFactory().get("/", REMOTE_ADDR="::ffff:198.51.100.4")
    assert (client_network(first), client_network(second)) == ("203.0.113.9", "198.51.100.4")


def test_the_admin_login_with_an_unsafe_next_lands_on_the_admin():
    get_user_model().objects.create_superuser("admin", password="a long and good password 1")
    response = Client().post(
        "/admin/login/?next=https://evil.example/",
        {"username": "admin", "password": "a long and good password 1", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
