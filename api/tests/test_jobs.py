"""The jobs through the real views: create with a key from `create_api_key`, the real worker
runs the job, the client polls, downloads the results and deletes the job."""

import io
import json
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from api.models import ApiJob, ApiKey
from api.tests.factories import ApiJobFactory, ApiKeyFactory
from colorize import registry, site
from colorize.errors import BadHints, NotAnImage
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo

pytestmark = pytest.mark.django_db(transaction=True)
JOBS = reverse("api:jobs")


def photo(name="Grandma 1921.png", width=64, height=48):
    upload = io.BytesIO(grey_photo(width, height))
    upload.name = name
    return upload


def path_of(url):
    return urlsplit(url).path


def test_a_job_goes_from_upload_to_download_to_deletion(api, client, engine_model, run_worker):
    created = api.post(JOBS, {"image": photo()}, format="multipart")
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "queued"
    assert body["model"] == engine_model
    assert body["url"] == f"http://testserver/api/v1/jobs/{body['id']}" == created["Location"]
    assert body["result_url"] is None
    assert body["error"] is None

    run_worker()
    done = api.get(body["url"])
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"]
    job = done.json()
    assert job["status"] == "succeeded"
    assert job["finished"]
    assert job["result_url"].startswith("http://testserver/")
    assert job["result_jpeg_url"].startswith("http://testserver/")

    # The result links work with no key at all, like the job's private page: a plain client.
    png = client.get(path_of(job["result_url"]))
    jpeg = client.get(path_of(job["result_jpeg_url"]))
    assert png.status_code == jpeg.status_code == 200
    assert Image.open(io.BytesIO(b"".join(png.streaming_content))).format == "PNG"
    with Image.open(io.BytesIO(b"".join(jpeg.streaming_content))) as picture:
        assert (picture.format, picture.size, picture.mode) == ("JPEG", (64, 48), "RGB")

    stored = ColorizationJob.objects.get(public_id=body["id"])
    names = [stored.original.name, stored.result.name, stored.result_jpeg.name, stored.thumbnail.name]
    deleted = api.delete(body["url"])
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert not ColorizationJob.objects.exists()
    assert not ApiJob.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
    assert api.get(body["url"]).status_code == 404
    assert client.get(path_of(job["result_url"])).status_code == 404


def test_a_new_job_belongs_to_its_key_and_counts_against_its_queue(api, engine_model):
    body = api.post(JOBS, {"image": photo()}, format="multipart").json()
    job = ColorizationJob.objects.get(public_id=body["id"])
    assert job.api_link.key == ApiKey.objects.get()
    assert job.client == f"api:{ApiKey.objects.get().prefix}"
    assert job.display_name == "Grandma 1921"


def test_a_failed_job_says_why(api, engine_model):
    owned = ApiJobFactory(key=ApiKey.objects.get(), job__failed=True)
    body = api.get(reverse("api:job_detail", args=[owned.job.public_id])).json()
    assert body["status"] == "failed"
    assert body["error"] == "The model could not colorize this photo."
    assert body["result_url"] is None


def test_someone_elses_job_is_a_404(api, engine_model):
    other = ApiJobFactory(job__succeeded=True)
    url = reverse("api:job_detail", args=[other.job.public_id])
    assert api.get(url).json() == {"code": "not_found", "message": "No such job for this API key."}
    assert api.delete(url).status_code == 404
    assert ColorizationJob.objects.filter(pk=other.job.pk).exists()


def test_a_job_made_on_the_website_is_not_the_keys(api, engine_model):
    job = ColorizationJobFactory(succeeded=True)
    assert api.get(reverse("api:job_detail", args=[job.public_id])).status_code == 404


def test_a_job_needs_a_key(client_for, engine_model):
    job = ApiJobFactory(job__succeeded=True).job
    url = reverse("api:job_detail", args=[job.public_id])
    assert client_for().get(url).status_code == 401
    assert client_for().delete(url).status_code == 401
    assert client_for().post(JOBS, {"image": photo()}, format="multipart").status_code == 401
    assert ColorizationJob.objects.count() == 1


def test_a_file_that_is_not_a_photo_gets_the_engines_message(api, engine_model):
    text = io.BytesIO(b"just some notes, not a picture")
    text.name = "notes.jpg"
    response = api.post(JOBS, {"image": text}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": NotAnImage.user_message,
        "errors": {"image": [NotAnImage.user_message]},
    }
    assert not ColorizationJob.objects.exists()


def test_no_image_is_a_400_that_says_which_field(api, engine_model):
    response = api.post(JOBS, {"model": engine_model}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == {"image": ["Send the photo as the multipart field 'image'."]}


def test_unreadable_hints_get_the_engines_message(api, hint_model):
    response = api.post(JOBS, {"image": photo(), "model": hint_model, "hints": "[{"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["message"] == BadHints.user_message
    assert not ColorizationJob.objects.exists()


def test_a_hint_outside_the_photo_is_refused(api, hint_model):
    hints = json.dumps([{"x": 500, "y": 10, "color": "#a0522d"}])
    response = api.post(JOBS, {"image": photo(), "model": hint_model, "hints": hints}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == {"hints": ["A colour point lies outside the picture."]}


def test_hints_steer_a_job_on_a_model_that_takes_them(api, hint_model, run_worker):
    hints = json.dumps([{"x": 10, "y": 12, "color": "#A0522D"}])
    body = api.post(JOBS, {"image": photo(), "model": hint_model, "hints": hints}, format="multipart").json()
    assert ColorizationJob.objects.get(public_id=body["id"]).hints == [{"x": 10.0, "y": 12.0, "color": "#a0522d"}]
    run_worker()
    assert api.get(body["url"]).json()["status"] == "succeeded"


def test_an_unknown_model_is_refused(api, engine_model):
    response = api.post(JOBS, {"image": photo(), "model": "dall-e"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["message"].startswith("'dall-e' is not a model any worker has installed now; available: ")


def test_vividness_is_accepted_and_stored_on_the_job(api, engine_model):
    assert api.post(JOBS, {"image": photo(), "vividness": "0.3"}, format="multipart").status_code == 201
    assert ColorizationJob.objects.get().vividness == 0.3


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan", "inf", "very"])
def test_vividness_outside_0_to_1_is_refused(api, engine_model, value):
    response = api.post(JOBS, {"image": photo(), "vividness": value}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == {"vividness": ["vividness must be a number from 0 to 1."]}


def test_the_models_are_listed(api, engine_model):
    response = api.get(reverse("api:models"))
    assert response.status_code == 200
    models = {model["name"]: model for model in response.json()}
    assert models[engine_model] == {
        "name": engine_model,
        "title": registry.get_spec(engine_model).title,
        "takes_hints": registry.get_spec(engine_model).takes_hints,
        "default": True,
    }
    assert {spec.name for spec in site.installed_models()} == set(models)
    assert [name for name, model in models.items() if model["default"]] == [engine_model]


def test_keys_see_only_their_own_jobs_even_when_they_share_a_model(client_for, engine_model):
    mine, theirs = ApiKeyFactory(), ApiKeyFactory()
    body = client_for(mine.factory_key).post(JOBS, {"image": photo()}, format="multipart").json()
    assert client_for(theirs.factory_key).get(body["url"]).status_code == 404
    assert client_for(mine.factory_key).get(body["url"]).status_code == 200


def test_a_job_lists_its_variants_and_patch_picks_another(api, engine_model, run_worker):
    created = api.post(JOBS, {"image": photo(), "variant": "cautious"}, format="multipart").json()
    assert created["variant"] == "cautious"
    assert created["variants"] == []
    run_worker()
    job = api.get(created["url"]).json()
    assert [(v["name"], v["chosen"]) for v in job["variants"]] == [
        ("cautious", True),
        ("balanced", False),
        ("vivid", False),
        ("other", False),
    ]
    assert job["variants_preview_url"].startswith("http://testserver/")
    picked = api.patch(job["url"], {"variant": "vivid"}, format="json")
    assert picked.status_code == 200
    assert picked.json()["variant"] == "vivid"
    assert picked.json()["status"] == "queued"
    run_worker()
    assert api.get(job["url"]).json()["status"] == "succeeded"


def test_an_unknown_variant_is_a_400(api, engine_model):
    response = api.post(JOBS, {"image": photo(), "variant": "loud"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"]["variant"]


def test_picking_a_variant_of_an_unfinished_job_is_a_409(api, engine_model):
    created = api.post(JOBS, {"image": photo()}, format="multipart").json()
    response = api.patch(created["url"], {"variant": "vivid"}, format="json")
    assert response.status_code == 409
    assert "no automatic colourings" in response.json()["message"]
