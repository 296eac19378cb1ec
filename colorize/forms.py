"""The upload form: the picture is validated by its content (never its name or Content-Type)
through colorize.imaging, the model is one of the installed ones, and a reCAPTCHA guards it."""

import http.client
import io
import logging
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django_recaptcha.fields import ReCaptchaField
from django_recaptcha.widgets import ReCaptchaV2Checkbox, ReCaptchaV3
from PIL import Image

from colorize import decoding, site
from colorize.errors import ColorizeError

logger = logging.getLogger(__name__)

VERIFICATION_UNAVAILABLE = "captcha_unavailable"


@dataclass(frozen=True)
class ValidatedUpload:
    """What a valid upload cleans to: the decoded picture, its size and the name it came with."""

    image: Image.Image
    filename: str
    size: int


def model_choices(*, takes_hints: bool | None = None) -> list[tuple[str, str]]:
    specs = site.available_models()
    if takes_hints is not None:
        specs = [spec for spec in specs if spec.takes_hints == takes_hints]
    return [(spec.name, spec.title) for spec in specs]


def default_model() -> str | None:
    # A mistyped COLORIZE_DEFAULT_MODEL raises: the system check colorize.E001 names it first.
    return site.default_model_name(among=site.available_models())


class VerifiedReCaptchaField(ReCaptchaField):
    """django-recaptcha's field, for when Google cannot be reached: its check catches only an
    HTTP error answer, so a refused connection, a timeout or a garbled answer would escape as a
    500. Here they are a validation error with the code VERIFICATION_UNAVAILABLE, which the
    view answers with a 503 "try again"."""

    default_error_messages = {
        **ReCaptchaField.default_error_messages,
        VERIFICATION_UNAVAILABLE: (
            'We could not reach the "I\'m not a robot" check just now, so nothing was uploaded. '
            "Please try again in a minute."
        ),
    }

    def validate(self, value: Any) -> None:
        try:
            super().validate(value)
        except (OSError, ValueError, http.client.HTTPException) as error:  # URLError, timeouts, bad JSON
            logger.warning("reCAPTCHA could not be verified: %s: %s", type(error).__name__, error)
            raise forms.ValidationError(
                self.error_messages[VERIFICATION_UNAVAILABLE], code=VERIFICATION_UNAVAILABLE
            ) from None


class CheckboxWidget(ReCaptchaV2Checkbox):
    """The v2 checkbox without django-recaptcha's inline script (and the no-op callback it
    defined), so pages need no 'unsafe-inline' in their Content-Security-Policy."""

    template_name = "colorize/recaptcha_v2_checkbox.html"

    def build_attrs(self, base_attrs: dict[str, Any], extra_attrs: dict[str, Any] | None = None) -> dict[str, Any]:
        attrs: dict[str, Any] = super().build_attrs(base_attrs, extra_attrs)
        attrs.pop("data-callback", None)
        return attrs


class ScoreWidget(ReCaptchaV3):
    """The v3 widget with its script in a static file (colorize/recaptcha-v3.js)."""

    template_name = "colorize/recaptcha_v3.html"


def captcha_field() -> VerifiedReCaptchaField:
    if getattr(settings, "RECAPTCHA_VERSION", "v2") == "v3":
        widget = ScoreWidget(action="upload")
    else:
        widget = CheckboxWidget()
    return VerifiedReCaptchaField(
        widget=widget,
        label="Are you human?",
        error_messages={"required": "Please tick “I'm not a robot” (under the form) before sending."},
    )


class ImageUploadField(forms.FileField):
    """A file field that accepts what colorize.imaging can decode within the size limits."""

    default_error_messages = {
        "too_large": "This file is %(size)s; the largest photo we accept is %(limit)s.",
        "empty": "This file is empty. Please choose a photo.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Photo")
        kwargs.setdefault(
            "help_text",
            f"JPEG, PNG, WebP, TIFF, BMP or GIF, up to {filesizeformat(site.max_upload_bytes())}.",
        )
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        # Only a hint to the browser's file picker; the content is what gets checked.
        attrs["accept"] = "image/*"
        return attrs

    def clean(self, data: Any, initial: Any = None) -> ValidatedUpload | None:
        upload = super().clean(data, initial)
        if upload is None:
            return None
        limit = site.max_upload_bytes()
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                self.error_messages["too_large"],
                code="too_large",
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        upload.seek(0)
        content = upload.read(limit + 1)
        if not content:
            raise forms.ValidationError(self.error_messages["empty"], code="empty")
        try:
            # A black-and-white photo stays one channel: a third of the memory and storage.
            image = site.load_upload(io.BytesIO(content), keep_gray=True)
        except ColorizeError as error:
            raise forms.ValidationError(error.user_message, code=type(error).__name__) from error
        return ValidatedUpload(image=image, filename=upload.name or "", size=len(content))


class VividnessField(forms.FloatField):
    """Vividness from 0 (the most conservative colours) to 1 (the most vivid), as a slider;
    left out, the site's default (COLORIZE_DEFAULT_VIVIDNESS)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Vividness")
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", decoding.VIVIDNESS_RANGE[0])
        kwargs.setdefault("max_value", decoding.VIVIDNESS_RANGE[1])
        kwargs.setdefault("help_text", "From natural, cautious colours (left) to bold ones (right).")
        kwargs.setdefault("widget", forms.NumberInput(attrs={"type": "range", "step": "0.05", "class": "form-range"}))
        super().__init__(**kwargs)
        self.widget.attrs["step"] = "0.05"

    def clean(self, value: Any) -> float:
        value = super().clean(value)
        return site.default_vividness() if value is None else value


class UploadForm(forms.Form):
    image = ImageUploadField()
    model = forms.ChoiceField(label="Model", choices=())
    vividness = VividnessField()
    captcha = captcha_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vividness"].initial = site.default_vividness()
        # Fresh each time: the field's widget carries a per-instance id and the choices
        # follow the weights that are installed now. A local run told to do without the
        # reCAPTCHA service (RECAPTCHA_ENABLED off; production refuses that) has none.
        if settings.RECAPTCHA_ENABLED:
            self.fields["captcha"] = captcha_field()
        else:
            del self.fields["captcha"]
        cast(forms.ChoiceField, self.fields["model"]).choices = model_choices()
        self.fields["model"].initial = default_model()

    @property
    def has_models(self) -> bool:
        return bool(cast(forms.ChoiceField, self.fields["model"]).choices)

    @property
    def vividness_models(self) -> str:
        """The offered models that vividness changes, for its help text ("Compact, ECCV16")."""
        return ", ".join(spec.short_title for spec in site.available_models() if spec.vividness is not None)

    @property
    def verification_unavailable(self) -> bool:
        """Whether the reCAPTCHA check could not be done (not failed: unreachable)."""
        return self.has_error("captcha", VERIFICATION_UNAVAILABLE)
