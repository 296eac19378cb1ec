"""Thin serializers: the request's fields in (checked by the engine's own validators), a job's
public fields out."""

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from colorize import decoding, registry, site
from colorize.errors import BadHints
from colorize.forms import ImageUploadField
from colorize.hints import parse_hints_json
from gallery.models import ColorizationJob


class JobCreateSerializer(serializers.Serializer):
    image = serializers.FileField(
        help_text="The photo (JPEG, PNG, WebP, TIFF, BMP or GIF), checked by its content; the upload limits apply.",
        error_messages={
            "required": "Send the photo as the multipart field 'image'.",
            "empty": "This file is empty. Please choose a photo.",
        },
    )
    model = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="An installed model's name (GET /api/v1/models); the default model when left out.",
    )
    hints = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        help_text='Colour points as a JSON list, in the photo\'s pixels: [{"x": 120, "y": 48, "color": "#a0522d"}]. '
        "Only for a model that takes hints.",
    )
    vividness = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=decoding.VIVIDNESS_RANGE[0],
        max_value=decoding.VIVIDNESS_RANGE[1],
        help_text="How vivid the colours are, from 0 (the most conservative) to 1 (the most vivid); "
        "the site's default when left out.",
        error_messages={
            "invalid": f"{decoding.VIVIDNESS_ERROR}.",
            "min_value": f"{decoding.VIVIDNESS_ERROR}.",
            "max_value": f"{decoding.VIVIDNESS_ERROR}.",
        },
    )

    variant = serializers.ChoiceField(
        choices=ColorizationJob.Variant.choices,
        required=False,
        default=ColorizationJob.Variant.BALANCED,
        help_text="Which of the four automatic colourings is the result (for a model with a vividness; "
        "the job's `variants` lists them, and PATCH changes the choice later).",
    )

    def validate_image(self, upload):
        try:
            return ImageUploadField().clean(upload)  # size, pixels, format: the web form's checks
        except forms.ValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def validate_model(self, name):
        if not name:
            return ""
        available = [spec.name for spec in site.available_models()]
        if name not in available:
            raise serializers.ValidationError(
                f"'{name}' is not a model any worker has installed now; available: {', '.join(available) or 'none'}."
            )
        return name

    def validate_vividness(self, value):
        if value is None:
            return None
        try:
            return decoding.check_vividness(value)
        except ValueError:
            raise serializers.ValidationError(f"{decoding.VIVIDNESS_ERROR}.") from None

    def validate(self, data):
        model_name = data.get("model") or site.default_model_name(among=site.available_models())
        data["model"] = model_name or ""
        text = data.get("hints") or ""
        if not text:
            data["hints"] = ()
            return data
        try:
            data["hints"] = parse_hints_json(text, image_size=data["image"].image.size, max_hints=site.max_hints())
        except BadHints as error:
            raise serializers.ValidationError({"hints": [error.user_message]}) from None
        spec = registry.get_spec(model_name) if model_name else None
        if data["hints"] and spec is not None and not spec.takes_hints:
            takers = [spec.name for spec in site.available_models() if spec.takes_hints]
            raise serializers.ValidationError(
                {
                    "hints": [
                        f"The model '{model_name}' does not take colour points; use one that does ({', '.join(takers) or 'none installed'})."
                    ]
                }
            )
        return data


class JobSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", help_text="The job's id (its private link).")
    url = serializers.SerializerMethodField(help_text="This job in the API.")
    status = serializers.ChoiceField(choices=ColorizationJob.Status.choices)
    model = serializers.CharField(source="model_name")
    created = serializers.DateTimeField(source="queued_at")
    finished = serializers.DateTimeField(source="finished_at", allow_null=True)
    error = serializers.SerializerMethodField(help_text="Why the job failed (only when it failed).")
    result_url = serializers.SerializerMethodField(
        help_text="The colorized PNG at full size (once succeeded). Like the job's page, anyone with the link can download it; no key needed."
    )
    result_jpeg_url = serializers.SerializerMethodField(help_text="The same as a JPEG (once succeeded).")
    variant = serializers.ChoiceField(
        choices=ColorizationJob.Variant.choices, help_text="The automatic colouring the result shows."
    )
    variants = serializers.SerializerMethodField(
        help_text="The automatic colourings of the same network run, in the order of the pictures in "
        "`variants_preview_url` (empty for a model without a vividness, or before the job has run)."
    )
    variants_preview_url = serializers.SerializerMethodField(
        help_text="One picture with every variant side by side, thumbnail-sized (once succeeded)."
    )

    def _absolute(self, path: str) -> str | None:
        return self.context["request"].build_absolute_uri(path) if path else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, job) -> str:
        return reverse("api:job_detail", args=[job.public_id], request=self.context["request"])

    @extend_schema_field({"type": "string", "nullable": True})
    def get_error(self, job) -> str | None:
        return (job.error_message or "The job failed.") if job.status == job.Status.FAILED else None

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_result_url(self, job) -> str | None:
        return self._absolute(job.png_download_url) if job.status == job.Status.SUCCEEDED else None

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_result_jpeg_url(self, job) -> str | None:
        return self._absolute(job.jpeg_download_url) if job.status == job.Status.SUCCEEDED else None

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "label": {"type": "string"}, "chosen": {"type": "boolean"}},
            },
        }
    )
    def get_variants(self, job) -> list[dict]:
        return [{key: choice[key] for key in ("name", "label", "chosen")} for choice in job.variant_choices]

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_variants_preview_url(self, job) -> str | None:
        return self._absolute(job.variants_url) if job.status == job.Status.SUCCEEDED else None


class VariantChoiceSerializer(serializers.Serializer):
    variant = serializers.ChoiceField(
        choices=ColorizationJob.Variant.choices,
        help_text="The automatic colouring to make the result: rendered from the kept colours in a second or "
        "two (the job is queued again ahead of new photos; poll it).",
    )


class ModelInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    takes_hints = serializers.BooleanField()
    default = serializers.BooleanField(help_text="The model a job gets when it names none.")


class ErrorSerializer(serializers.Serializer):
    """The shape of every error (for the schema)."""

    code = serializers.CharField()
    message = serializers.CharField()
    # The field is named as the API names it, over the base class's `errors` (this serializer only
    # describes the shape; it never validates anything).
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
