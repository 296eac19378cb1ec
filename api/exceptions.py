"""Every API error is JSON of one shape:

    {"code": "invalid", "message": "One sentence a person can read.", "errors": {"image": ["..."]}}

``message`` is the first problem (for a bad photo or bad colour points, the engine's
``user_message``); ``errors`` appears on validation errors only, every problem by field."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class QueueBusy(APIException):
    """The queue caps: this key has too many jobs on the way (429), or everyone has (503)."""

    def __init__(self, *, scope: str):
        if scope == "client":
            self.status_code, self.wait = status.HTTP_429_TOO_MANY_REQUESTS, 60
            detail = "This API key already has as many photos on their way as it may; wait for one to finish."
        else:
            self.status_code, self.wait = status.HTTP_503_SERVICE_UNAVAILABLE, 180
            detail = "We are busy just now; please try again in a few minutes."
        super().__init__(detail=detail, code="queue_full" if scope == "client" else "busy")


class StorageUnavailable(APIException):
    """The upload could not be stored (gallery.services.web.NotStored): nothing was kept."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "storage_unavailable"
    wait = 300


class NoModelInstalled(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "no_model"


class NoVariants(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "no_variants"


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        errors = next(iter(errors.values()), "")
    if isinstance(errors, (list, tuple)):
        return _first_message(errors[0]) if errors else ""
    return str(errors)


def as_api_exception(exc: Exception, request=None) -> Exception:
    """Django's own 404 and 403 as DRF's, as DRF's handler converts them. An unknown
    ``?format=`` is a bare Http404 from content negotiation, before any view runs."""
    if isinstance(exc, Http404):
        if request is not None and not getattr(request, "accepted_renderer", None) and "format" in request.GET:
            return exceptions.NotFound(f"There is no format “{request.GET['format'][:40]}” here; the API answers JSON.")
        return exceptions.NotFound(*exc.args)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    return exc


def exception_handler(exc, context):
    exc = as_api_exception(exc, context.get("request"))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500
    if isinstance(exc, ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"code": "invalid", "message": _first_message(errors), "errors": errors}
    else:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        response.data = {"code": codes if isinstance(codes, str) else "error", "message": _first_message(exc.detail)}
    return response  # DRF adds Retry-After from exc.wait (throttles, QueueBusy)
