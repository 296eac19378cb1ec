"""Thin forms for the job pages. The upload form itself lives in colorize.forms."""

import json
import re

from django import forms
from django.forms import BoundField

from colorize.forms import UploadForm, model_choices
from gallery.services.web import MAX_HINTS

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


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

    field_order = ["image", "model", "show_in_gallery", "captcha"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].widget.attrs["class"] = "form-select"


class RetryForm(forms.Form):
    model = forms.ChoiceField(label="Try again with", choices=(), widget=forms.Select(attrs={"class": "form-select mb-3"}))

    def __init__(self, *args, job=None, **kwargs):
        kwargs.setdefault("auto_id", "retry-%s")  # the select is #retry-model
        super().__init__(*args, **kwargs)
        # A job steered by colour points can only be retried on a model that takes them.
        self.fields["model"].choices = model_choices(takes_hints=True if job is not None and job.hints else None)
        if job is not None:
            self.fields["model"].initial = job.model_name


class HintsForm(forms.Form):
    """Colour hints as JSON ([{x, y, color}], original-image pixels), from the result page."""

    hints = forms.CharField(widget=forms.HiddenInput, error_messages={"required": "Click the picture to add at least one colour point."})
    model = forms.ChoiceField(label="Model", choices=(), widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, job, **kwargs):
        kwargs.setdefault("auto_id", "hints-%s")  # the select is #hints-model
        super().__init__(*args, **kwargs)
        self.job = job
        self.fields["model"].choices = model_choices(takes_hints=True)
        self.fields["model"].initial = job.model_name

    def clean_hints(self):
        try:
            raw = json.loads(self.cleaned_data["hints"])
        except (TypeError, ValueError):
            raise forms.ValidationError("The colour points could not be read.") from None
        if not isinstance(raw, list) or not raw:
            raise forms.ValidationError("Click the picture to add at least one colour point.")
        if len(raw) > MAX_HINTS:
            raise forms.ValidationError(f"At most {MAX_HINTS} colour points, please.")
        hints = []
        for item in raw:
            try:
                x, y, color = int(item["x"]), int(item["y"]), str(item["color"])
            except (TypeError, KeyError, ValueError):
                raise forms.ValidationError("The colour points could not be read.") from None
            if not (0 <= x < self.job.original_width and 0 <= y < self.job.original_height):
                raise forms.ValidationError("A colour point lies outside the picture.")
            if not HEX_COLOUR.match(color):
                raise forms.ValidationError("Colours must look like #rrggbb.")
            hints.append({"x": x, "y": y, "color": color.lower()})
        return hints


class GalleryChoiceForm(forms.Form):
    show_in_gallery = forms.BooleanField(required=False)
