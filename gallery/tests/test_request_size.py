"""The one rule for a request's size, shared by the website's middleware and the API."""

import pytest
from django.test import RequestFactory

from gallery.ratelimits import REQUEST_OVERHEAD, RequestTooLarge, announced_length, request_size_check


def _post(length):
    request = RequestFactory().post("/")
    request.META["CONTENT_LENGTH"] = length
    return request


def test_a_body_up_to_its_photos_and_the_overhead_passes_and_a_byte_more_is_refused():
    request_size_check(_post(str(1000 + REQUEST_OVERHEAD)), photo_bytes=1000)
    with pytest.raises(RequestTooLarge) as refused:
        request_size_check(_post(str(1001 + REQUEST_OVERHEAD)), photo_bytes=1000)
    assert (refused.value.length, refused.value.limit) == (1001 + REQUEST_OVERHEAD, 1000 + REQUEST_OVERHEAD)


@pytest.mark.parametrize("announced", ["", "not a number", "-5"])
def test_a_missing_or_unreadable_length_counts_as_none(announced):
    assert announced_length(_post(announced)) == 0
    request_size_check(_post(announced), photo_bytes=0)
