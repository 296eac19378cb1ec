import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from colorize.hints import Hint
from gallery.forms import HintsForm, JobUploadForm
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo, png_bomb, truncated_png

pytestmark = pytest.mark.django_db


def make_form(content, *, name="photo.png", model=None, captcha="token", **data):
    files = {"image": SimpleUploadedFile(name, content, content_type="image/png")}
    form_data = {"model": model, "g-recaptcha-response": captcha, **data}
    return JobUploadForm({k: v for k, v in form_data.items() if v is not None}, files)


def test_valid_upload_cleans_to_the_decoded_picture(engine_model, recaptcha_passes):
    form = make_form(grey_photo(40, 30), model=engine_model)
    assert form.is_valid(), form.errors
    upload = form.cleaned_data["image"]
    assert upload.image.size == (40, 30)
    assert upload.filename == "photo.png"


def test_content_decides_not_the_file_name(engine_model, recaptcha_passes):
    form = make_form(grey_photo(fmt="JPEG"), name="no-extension-at-all", model=engine_model)
    assert form.is_valid(), form.errors


def test_text_named_like_a_photo_is_refused(engine_model, recaptcha_passes):
    form = make_form(b"this is not a picture at all", name="holiday.jpg", model=engine_model)
    assert not form.is_valid()
    assert form.errors["image"]


def test_file_over_the_size_limit_is_refused_with_the_limit(settings, engine_model, recaptcha_passes):
    settings.COLORIZE_MAX_UPLOAD_BYTES = 500
    form = make_form(grey_photo(200, 200), model=engine_model)
    assert not form.is_valid()
    assert "largest photo we accept is 500" in form.errors["image"][0]


def test_picture_over_the_pixel_limit_is_refused(settings, engine_model, recaptcha_passes):
    settings.COLORIZE_MAX_PIXELS = 100
    form = make_form(grey_photo(40, 30), model=engine_model)
    assert not form.is_valid()
    assert form.errors["image"]


def test_truncated_file_is_refused(engine_model, recaptcha_passes):
    form = make_form(truncated_png(), model=engine_model)
    assert not form.is_valid()
    assert form.errors["image"]


def test_decompression_bomb_is_refused(engine_model, recaptcha_passes):
    form = make_form(png_bomb(), model=engine_model)
    assert not form.is_valid()
    assert form.errors["image"]


def test_empty_file_is_refused(engine_model, recaptcha_passes):
    form = make_form(b"", model=engine_model)
    assert not form.is_valid()
    assert form.errors["image"]


def test_model_must_be_installed(engine_model, recaptcha_passes):
    form = make_form(grey_photo(), model="no-such-model")
    assert not form.is_valid()
    assert form.errors["model"]


def test_default_model_is_preselected(engine_model):
    form = JobUploadForm()
    assert form.fields["model"].initial == engine_model
    assert engine_model in dict(form.fields["model"].choices)


def test_failed_recaptcha_is_a_form_error(engine_model, recaptcha_fails):
    form = make_form(grey_photo(), model=engine_model)
    assert not form.is_valid()
    assert form.errors["captcha"]


def test_missing_recaptcha_answer_is_a_form_error(engine_model, recaptcha_passes):
    form = make_form(grey_photo(), model=engine_model, captcha=None)
    assert not form.is_valid()
    assert form.errors["captcha"]
    assert recaptcha_passes == []


def test_gallery_opt_in_is_off_by_default(engine_model, recaptcha_passes):
    form = make_form(grey_photo(), model=engine_model)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["show_in_gallery"] is False


def test_hints_form_accepts_points_inside_the_picture(hint_model):
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    form = HintsForm({"hints": '[{"x": 3, "y": 4, "color": "#A0B0C0"}]', "model": hint_model}, job=job)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["hints"] == (Hint(3, 4, "#a0b0c0"),)


@pytest.mark.parametrize(
    "hints",
    ["not json", "[]", '[{"x": 999, "y": 1, "color": "#ffffff"}]', '[{"x": 1, "y": 1, "color": "red"}]', '{"x": 1}'],
)
def test_hints_form_refuses_bad_points(hint_model, hints):
    job = ColorizationJobFactory(succeeded=True, model_name=hint_model)
    form = HintsForm({"hints": hints, "model": hint_model}, job=job)
    assert not form.is_valid()
    assert form.errors["hints"]


def test_recaptcha_v3_by_setting(settings, engine_model):
    from django_recaptcha.widgets import ReCaptchaV2Checkbox, ReCaptchaV3

    assert isinstance(JobUploadForm().fields["captcha"].widget, ReCaptchaV2Checkbox)
    settings.RECAPTCHA_VERSION = "v3"
    assert isinstance(JobUploadForm().fields["captcha"].widget, ReCaptchaV3)


def test_the_upload_form_takes_a_vividness(engine_model, recaptcha_passes):
    form = make_form(grey_photo(), model=engine_model, vividness="0.85")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["vividness"] == 0.85


def test_without_a_vividness_the_upload_gets_the_default(settings, engine_model, recaptcha_passes):
    settings.COLORIZE_DEFAULT_VIVIDNESS = 0.3
    form = make_form(grey_photo(), model=engine_model)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["vividness"] == 0.3


@pytest.mark.parametrize("value", ["1.2", "-0.5", "vivid", "nan"])
def test_a_vividness_outside_0_to_1_is_refused(engine_model, recaptcha_passes, value):
    form = make_form(grey_photo(), model=engine_model, vividness=value)
    assert not form.is_valid()
    assert form.errors["vividness"]
