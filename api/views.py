"""Thin API views: check the key's limits, validate, call a service or a selector, answer JSON.
Authentication (``Authorization: Bearer KEY``), the per-key rate limit and the error shape
come from REST_FRAMEWORK in the settings (api.authentication, api.throttling, api.exceptions)."""

from typing import Any, NoReturn, cast
from uuid import UUID

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated, NotFound, Throttled
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import selectors, services
from api.exceptions import NoModelInstalled, NoVariants, PayloadTooLarge, QueueBusy, StorageUnavailable
from api.models import ApiKey
from api.parsers import BoundedJSONParser
from api.serializers import (
    ErrorSerializer,
    JobCreateSerializer,
    JobSerializer,
    ModelInfoSerializer,
    VariantChoiceSerializer,
)
from colorize.errors import ModelNotInstalled
from gallery.models import ColorizationJob
from gallery.ratelimits import RequestTooLarge, request_size_check
from gallery.services import web


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer) for code in codes}


class ApiView(APIView):
    """What every endpoint shares: the key's own words for a missing key or a limit, and
    answers that no cache keeps (a job's state changes; its links are private)."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    def permission_denied(self, request: Request, message: str | None = None, code: str | None = None) -> NoReturn:
        if request.authenticators and not request.successful_authenticator:
            raise NotAuthenticated(message)
        super().permission_denied(request, message, code)

    def throttled(self, request: Request, wait: float) -> NoReturn:
        limit = settings.API_RATE_LIMIT
        raise Throttled(wait, detail=f"Too many requests with this API key (the limit is {limit}).")

    @staticmethod
    def api_key(request: Request) -> ApiKey:
        """The key the request came with (api.authentication makes it ``request.auth``)."""
        return cast(ApiKey, request.auth)

    def job_or_404(self, request: Request, public_id: UUID) -> ColorizationJob:
        job = selectors.api_job_get(api_key=self.api_key(request), public_id=public_id)
        if job is None:
            raise NotFound("No such job for this API key.")
        return job

    def queue_room_check(self, request: Request) -> None:
        """QueueBusy unless the key's queue cap and the site's have room for one more job."""
        try:
            web.queue_room_check(client=self.api_key(request).queue_client)
        except web.QueueFull as error:
            raise QueueBusy(scope=error.scope) from None


def _refuse_oversized(request: Request) -> None:
    """A body far over the upload limit is refused before it is read (as on the website)."""
    limit = settings.COLORIZE_MAX_UPLOAD_BYTES
    try:
        request_size_check(request, photo_bytes=limit)
    except RequestTooLarge as error:
        raise PayloadTooLarge(
            f"This request is {filesizeformat(error.length)}; the largest photo we accept is {filesizeformat(limit)}."
        ) from None


class JobCreateView(ApiView):
    @extend_schema(
        operation_id="jobs_create",
        summary="Colorize a photo",
        description="Upload a photo (multipart/form-data); the job is queued and runs on a worker. "
        "Poll the job's `url` until its status is `succeeded` or `failed`.",
        request={"multipart/form-data": JobCreateSerializer},
        responses={201: JobSerializer, **_errors(400, 401, 413, 429, 503)},
    )
    def post(self, request: Request) -> Response:
        api_key = self.api_key(request)
        self.queue_room_check(request)
        _refuse_oversized(request)
        serializer = JobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not data["model"]:
            raise NoModelInstalled(ModelNotInstalled.user_message)
        try:
            job = services.api_job_create(
                api_key=api_key,
                upload=data["image"],
                model_name=data["model"],
                hints=data["hints"],
                vividness=data.get("vividness"),
                variant=data["variant"],
            )
        except web.NotStored as error:
            raise StorageUnavailable(error.user_message) from None
        body = JobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class JobDetailView(ApiView):
    parser_classes = [BoundedJSONParser, FormParser]  # PATCH's one field, as JSON or a form

    @extend_schema(
        operation_id="jobs_retrieve",
        summary="A job's status and results",
        responses={200: JobSerializer, **_errors(401, 404, 429)},
    )
    def get(self, request: Request, id: UUID) -> Response:
        job = self.job_or_404(request, id)
        return Response(JobSerializer(job, context={"request": request}).data)

    @extend_schema(
        operation_id="jobs_partial_update",
        summary="Pick another of a finished job's automatic colourings as its result",
        request=VariantChoiceSerializer,
        responses={200: JobSerializer, **_errors(400, 401, 404, 409, 429, 503)},
    )
    def patch(self, request: Request, id: UUID) -> Response:
        job = self.job_or_404(request, id)
        serializer = VariantChoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not job.offers_variants:
            raise NoVariants("This job has no automatic colourings to choose from (yet).")
        self.queue_room_check(request)
        job = web.job_variant_choose(
            job=job, variant=serializer.validated_data["variant"], client=self.api_key(request).queue_client
        )
        return Response(JobSerializer(job, context={"request": request}).data)

    @extend_schema(
        operation_id="jobs_destroy",
        summary="Delete a job, every other version of its photo this key made, and all their files",
        responses={204: OpenApiResponse(description="Deleted."), **_errors(401, 404, 429)},
    )
    def delete(self, request: Request, id: UUID) -> Response:
        api_key = self.api_key(request)
        web.photo_delete(
            job=self.job_or_404(request, id),
            owns=lambda version: selectors.api_job_get(api_key=api_key, public_id=version.public_id) is not None,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModelListView(ApiView):
    @extend_schema(
        operation_id="models_list",
        summary="The installed models",
        responses={200: ModelInfoSerializer(many=True), **_errors(401, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(ModelInfoSerializer(selectors.model_list(), many=True).data)
