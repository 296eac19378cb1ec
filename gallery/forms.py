"""Thin forms for the job pages. The upload form itself lives in colorize.forms."""

import json
from typing import cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.forms import BoundField
from django.template.defaultfilters import filesizeformat

from colorize import site
from colorize.errors import BadHints
from colorize.forms import ImageUploadField, UploadForm, ValidatedUpload, VividnessField, model_choices
from colorize.hints import Hint, parse_hints_json
from gallery.models import ColorizationJob


class InvalidMarkingBoundField(BoundField):
    """Adds Bootstrap's ``is-invalid`` class to a field's widget while the field has errors."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            widget = widget or self.field.widget
            attrs["class"] = " ".join(filter(None, [widget.attrs.get("class"), attrs.get("class"), "is-invalid"]))
        return attrs


def batch_bytes_limit() -> int:
    """The most bytes of photos one upload may carry: the batch's limit, or as many full-size
    photos as a batch may hold if that is less."""
    return min(settings.GALLERY_BATCH_MAX_BYTES, settings.GALLERY_BATCH_MAX_FILES * settings.COLORIZE_MAX_UPLOAD_BYTES)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """One photo or a batch: the chosen files, at most GALLERY_BATCH_MAX_FILES of them and
    GALLERY_BATCH_MAX_BYTES in all. Each file's content is checked later, one at a time
    (``JobUploadForm.photo_check``), so a batch is never decoded all at once."""

    widget = MultipleFileInput

    default_error_messages = {
        "too_many": "You chose %(count)d files; at most %(limit)d can be sent at once.",
        "too_large": "These files are %(size)s in all; at most %(limit)s can be sent at once.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Photos")
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["accept"] = "image/*"  # a hint to the file picker; the content is what gets checked
        return attrs

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, (list, tuple)) else [data]) if item]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        # Each file's own problems (empty, not a picture, too large) are its own: checked one by
        # one with photo_check, so one bad file never sinks a batch.
        limit = settings.GALLERY_BATCH_MAX_FILES
        if len(files) > limit:
            raise forms.ValidationError(
                self.error_messages["too_many"], code="too_many", params={"count": len(files), "limit": limit}
            )
        total, limit = sum(item.size or 0 for item in files), settings.GALLERY_BATCH_MAX_BYTES
        if total > limit:
            raise forms.ValidationError(
                self.error_messages["too_large"],
                code="too_large",
                params={"size": filesizeformat(total), "limit": filesizeformat(limit)},
            )
        return files


class JobUploadForm(UploadForm):
    """The upload form: one photo or a batch (one reCAPTCHA for all), a model, the gallery
    opt-in. The model list hides itself when only one model is installed."""

    bound_field_class = InvalidMarkingBoundField

    image = PhotosField()  # type: ignore[assignment]  # one photo or several, where the base form takes one

    show_in_gallery = forms.BooleanField(
        required=False,
        label="Show it in the public gallery",
        help_text="Only after a moderator approves it. You can change your mind later.",
    )

    field_order = ["image", "model", "vividness", "show_in_gallery", "captcha"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = (
            f"JPEG, PNG, WebP, TIFF, BMP or GIF, up to {filesizeformat(settings.COLORIZE_MAX_UPLOAD_BYTES)} each. "
            f"One photo, or up to {settings.GALLERY_BATCH_MAX_FILES} at once ({filesizeformat(settings.GALLERY_BATCH_MAX_BYTES)} in all)."
        )
        model = cast(forms.ChoiceField, self.fields["model"])
        if len(cast(list[tuple[str, str]], model.choices)) == 1:  # set from model_choices()
            model.widget = forms.HiddenInput()
        else:
            model.widget.attrs["class"] = "form-select"

    @staticmethod
    def photo_check(upload: UploadedFile) -> ValidatedUpload:
        """One chosen file, decoded and checked (size, pixels, format); raises a
        ValidationError with the reason it is refused."""
        checked = ImageUploadField().clean(upload)
        if checked is None:  # only for no file at all, which the upload view never passes
            raise forms.ValidationError("Choose a photo.", code="required")
        return checked


class RetryForm(forms.Form):
    model = forms.ChoiceField(
        label="Try again with", choices=(), widget=forms.Select(attrs={"class": "form-select mb-3"})
    )

    def __init__(self, *args, job=None, **kwargs):
        kwargs.setdefault("auto_id", "retry-%s")  # the select is #retry-model
        super().__init__(*args, **kwargs)
        # A job steered by colour points can only be retried on a model that takes them.
        cast(forms.ChoiceField, self.fields["model"]).choices = model_choices(
            takes_hints=True if job is not None and job.hints else None
        )
        if job is not None:
            self.fields["model"].initial = job.model_name


class HintsForm(forms.Form):
    """Colour hints as JSON ([{x, y, color}], original-image pixels), from the result page."""

    hints = forms.CharField(
        widget=forms.HiddenInput, error_messages={"required": "Click the picture to add at least one colour point."}
    )
    model = forms.ChoiceField(label="Model", choices=(), widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, job, **kwargs):
        kwargs.setdefault("auto_id", "hints-%s")  # the select is #hints-model
        super().__init__(*args, **kwargs)
        self.job = job
        cast(forms.ChoiceField, self.fields["model"]).choices = model_choices(takes_hints=True)
        self.fields["model"].initial = job.model_name
        # The job's own points come back into the tool, so new ones refine its result.
        self.fields["hints"].initial = json.dumps(job.hints or [])

    def clean_hints(self) -> tuple[Hint, ...]:
        try:
            hints = parse_hints_json(
                self.cleaned_data["hints"],
                image_size=(self.job.original_width, self.job.original_height),
                max_hints=site.max_hints(),
            )
        except BadHints as error:
            raise forms.ValidationError(error.user_message) from None
        if not hints:
            raise forms.ValidationError("Click the picture to add at least one colour point.")
        return hints


class VividnessForm(forms.Form):
    """Colorize a finished job again at another vividness (the result page's buttons)."""

    vividness = VividnessField(required=True)


class VariantForm(forms.Form):
    """Pick one of a finished job's automatic colourings as its result."""

    variant = forms.ChoiceField(choices=ColorizationJob.Variant.choices)


class GalleryChoiceForm(forms.Form):
    """The owner's one action on a result page: show it in the gallery (with an optional
    caption and year, its public title) or take it out."""

    show_in_gallery = forms.BooleanField(required=False)
    caption = forms.CharField(
        required=False,
        max_length=120,
        label="Caption (optional)",
        help_text="Its title in the gallery, e.g. “Grandma's wedding, Lisbon”.",
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "maxlength": 120}),
    )
    taken_year = forms.IntegerField(
        required=False,
        min_value=1826,
        max_value=2100,
        label="Year taken (optional)",
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "inputmode": "numeric"}),
    )
