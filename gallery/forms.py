"""Thin forms for the job pages. The upload form itself lives in colorize.forms."""

from django import forms
from django.forms import BoundField

from colorize.errors import BadHints
from colorize.forms import UploadForm, VividnessField, model_choices
from colorize.hints import Hint, parse_hints_json


class InvalidMarkingBoundField(BoundField):
    """Adds Bootstrap's ``is-invalid`` class to a field's widget while the field has errors."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            widget = widget or self.field.widget
            attrs["class"] = " ".join(filter(None, [widget.attrs.get("class"), attrs.get("class"), "is-invalid"]))
        return attrs


class JobUploadForm(UploadForm):
    bound_field_class = InvalidMarkingBoundField

    show_in_gallery = forms.BooleanField(
        required=False,
        label="Show it in the public gallery",
        help_text="Only after a moderator approves it. You can change your mind later.",
    )

    field_order = ["image", "model", "vividness", "show_in_gallery", "captcha"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].widget.attrs["class"] = "form-select"


class RetryForm(forms.Form):
    model = forms.ChoiceField(
        label="Try again with", choices=(), widget=forms.Select(attrs={"class": "form-select mb-3"})
    )

    def __init__(self, *args, job=None, **kwargs):
        kwargs.setdefault("auto_id", "retry-%s")  # the select is #retry-model
        super().__init__(*args, **kwargs)
        # A job steered by colour points can only be retried on a model that takes them.
        self.fields["model"].choices = model_choices(takes_hints=True if job is not None and job.hints else None)
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
        self.fields["model"].choices = model_choices(takes_hints=True)
        self.fields["model"].initial = job.model_name

    def clean_hints(self) -> tuple[Hint, ...]:
        try:
            hints = parse_hints_json(
                self.cleaned_data["hints"], image_size=(self.job.original_width, self.job.original_height)
            )
        except BadHints as error:
            raise forms.ValidationError(error.user_message) from None
        if not hints:
            raise forms.ValidationError("Click the picture to add at least one colour point.")
        return hints


class VividnessForm(forms.Form):
    """Colorize a finished job again at another vividness (the result page's buttons)."""

    vividness = VividnessField(required=True)


class GalleryChoiceForm(forms.Form):
    show_in_gallery = forms.BooleanField(required=False)
