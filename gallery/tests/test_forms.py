import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from colorize.hints import Hint
from gallery.forms import HintsForm, JobUploadForm
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo, png_bomb, truncated_png

pytestmark = pytest.mark.django_db


def make_form(content, *, name="photo.png", model=None, captcha="token", **data):
    files = {"image": SimpleUploadedFile(name, content, content_type="image/png")}
    form_data = {"model": model, "g-recaptcha-response": captcha, **data}
    return JobUploadForm({k: v for k, v in form_data.items() if v is not None}, files)


def test_valid_upload_cleans_to_the_chosen_files(engine_model, recaptcha_passes):
    form = make_form(grey_photo(40, 30), model=engine_model)
    assert form.is_valid(), form.errors
    assert [upload.name for upload in form.cleaned_data["image"]] == ["photo.png"]


def test_a_checked_photo_is_the_decoded_picture(engine_model):
    upload = JobUploadForm.photo_check(SimpleUploadedFile("photo.png", grey_photo(40, 30)))
    assert upload.image.size == (40, 30)
    assert upload.filename == "photo.png"


def refusal(content, *, name="photo.png"):
    with pytest.raises(ValidationError) as raised:
        JobUploadForm.photo_check(SimpleUploadedFile(name, content))
    return " ".join(raised.value.messages)


def test_content_decides_not_the_file_name(engine_model):
    upload = JobUploadForm.photo_check(SimpleUploadedFile("no-extension-at-all", grey_photo(fmt="JPEG")))
    assert upload.image.size == (48, 32)


def test_text_named_like_a_photo_is_refused(engine_model):
    assert refusal(b"this is not a picture at all", name="holiday.jpg")


def test_file_over_the_size_limit_is_refused_with_the_limit(settings, engine_model):
    settings.COLORIZE_MAX_UPLOAD_BYTES = 500
    assert "largest photo we accept is 500" in refusal(grey_photo(200, 200))


def test_picture_over_the_pixel_limit_is_refused(settings, engine_model):
    settings.COLORIZE_MAX_PIXELS = 100
    assert "too many pixels" in refusal(grey_photo(40, 30))


def test_truncated_file_is_refused(engine_model):
    assert refusal(truncated_png())


def test_decompression_bomb_is_refused(engine_model):
    assert refusal(png_bomb())


def test_empty_file_is_refused(engine_model):
    assert "empty" in refusal(b"")


def test_no_file_at_all_is_refused(engine_model, recaptcha_passes):
    form = JobUploadForm({"model": engine_model, "g-recaptcha-response": "token"}, {})
    assert not form.is_valid()
    assert form.errors["image"]


def test_more_files_than_a_batch_may_hold_are_refused(settings, engine_model, recaptcha_passes):
    settings.GALLERY_BATCH_MAX_FILES = 2
    files = MultiValueDict({"image": [SimpleUploadedFile(f"p{i}.png", grey_photo()) for i in range(3)]})
    form = JobUploadForm({"model": engine_model, "g-recaptcha-response": "token"}, files)
    assert not form.is_valid()
    assert "You chose 3 files; at most 2 can be sent at once." in form.errors["image"]


def test_a_batch_over_its_byte_limit_is_refused(settings, engine_model, recaptcha_passes):
    settings.GALLERY_BATCH_MAX_BYTES = 1000
    files = MultiValueDict({"image": [SimpleUploadedFile(f"p{i}.png", b"x" * 600) for i in range(2)]})
    form = JobUploadForm({"model": engine_model, "g-recaptcha-response": "token"}, files)
    assert not form.is_valid()
    assert "at most 1000" in form.errors["image"][0]


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
