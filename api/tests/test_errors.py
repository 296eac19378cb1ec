"""Error answers that anyone can provoke, without a key (issue #22: an unknown ?format= was a
500 on every API URL)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

JOB = "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    "url",
    [
        reverse("api:models"),
        reverse("api:jobs"),
        reverse("api:job_detail", args=[JOB]),
        reverse("api:schema"),
    ],
)
def test_an_unknown_format_is_a_json_404_that_says_so(client, url):
    response = client.get(url, {"format": "yaml"})
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "There is no format “yaml” here; the API answers JSON."}


def test_an_unknown_format_on_the_docs_page_is_a_404(client):
    assert client.get(reverse("api:docs"), {"format": "yaml"}).status_code == 404
