"""A finished photo coloured again through the views: at another vividness, with the hint tool
and the colours it suggests, or as another of its automatic colourings (variants)."""

import io
import json

import numpy as np
import pytest
from django.urls import reverse
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult
from PIL import Image

from colorsite.testing.helpers import own, post_upload
from gallery.models import ColorizationJob
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo

pytestmark = pytest.mark.django_db
Status = ColorizationJob.Status


# --- Vividness -----------------------------------------------------------------------------------


def test_upload_page_offers_a_vividness_slider_at_the_default(client, engine_model, settings):
    settings.COLORIZE_DEFAULT_VIVIDNESS = 0.5
    html = client.get(reverse("gallery:upload")).content.decode()
    assert 'type="range" name="vividness"' in html
    assert 'min="0" max="1" step="0.05" value="0.5"' in html


def test_upload_stores_the_chosen_vividness_on_the_job(client, engine_model, recaptcha_passes):
    post_upload(client, grey_photo(), model=engine_model, vividness="0.8")
    assert ColorizationJob.objects.get().vividness == 0.8


def test_result_page_shows_the_vividness_on_a_slider_that_colorizes_again(client):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name="compact", vividness=0.5))
    html = client.get(job.get_absolute_url()).content.decode()
    assert "data-vividness-fact>0.50<" in html
    assert reverse("gallery:job_vividness", args=[job.public_id]) in html
    assert 'type="range" name="vividness" id="job-vividness"' in html
    assert 'value="0.5"' in html


def test_a_model_without_a_distribution_says_vividness_has_no_effect(client):
    job = ColorizationJobFactory(succeeded=True, model_name="siggraph17")
    html = client.get(job.get_absolute_url()).content.decode()
    assert "no effect with this model" in html
    assert reverse("gallery:job_vividness", args=[job.public_id]) not in html


def test_vividness_post_colorizes_again_as_a_new_job(client):
    job = ColorizationJobFactory(
        succeeded=True, model_name="compact", vividness=0.5, hints=[{"x": 5, "y": 6, "color": "#336699"}]
    )
    own(client, job)
    response = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.75"})
    child = ColorizationJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302
    assert response["Location"] == child.get_absolute_url()
    assert (child.vividness, child.parent, child.model_name, child.hints) == (0.75, job, "compact", job.hints)
    assert child.status == Status.QUEUED


@pytest.mark.parametrize("value", ["2", "-1", "", "x", "nan", "inf", "1e400", "0.5.5"])
def test_a_bad_vividness_post_is_a_400_that_changes_nothing(client, value):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name="compact"))
    response = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": value})
    assert response.status_code == 400
    assert "Please choose a vividness from 0 to 1" in response.content.decode()
    assert ColorizationJob.objects.count() == 1


def test_a_vividness_post_for_an_unfinished_job_says_so_and_changes_nothing(client):
    job = own(client, ColorizationJobFactory(model_name="compact"))
    response = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.75"}, follow=True)
    assert "not colorized yet" in response.content.decode()
    assert ColorizationJob.objects.count() == 1


def test_a_vividness_rerun_is_listed_in_my_photos(client):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name="compact", vividness=0.5))
    client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.75"})
    child = ColorizationJob.objects.exclude(pk=job.pk).get()
    assert child.get_absolute_url() in client.get(reverse("gallery:my_photos")).content.decode()


def test_a_vividness_rerun_at_the_same_value_does_not_claim_a_change(client):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name="compact", vividness=0.5))
    response = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.5"}, follow=True)
    assert "Colorizing again at the same vividness." in response.content.decode()


# --- The hint tool and its suggested colours --------------------------------------------------


def test_the_hint_tool_works_on_the_one_picture_with_a_toggle_zoom_undo_and_clear(client, hint_model):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name=hint_model))
    html = client.get(job.get_absolute_url()).content.decode()
    assert html.count(f' src="{job.result_preview_url}"') == 1
    assert '<div class="hint-layer" data-hint-layer></div>\n</figure>' in html
    for control in ("data-hint-edit", "data-hint-toggle", 'data-hint-zoom="in"', "data-hint-exact", "data-hint-undo"):
        assert control in html
    assert reverse("gallery:job_suggestions", args=[job.public_id]) in html


def suggestions_of(client, job, **query):
    return client.get(reverse("gallery:job_suggestions", args=[job.public_id]), query)


def test_suggestions_come_from_what_the_worker_kept_without_running_a_model(client, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("the web process must not run a model")

    monkeypatch.setattr("colorize.runtime.load", no_model)
    monkeypatch.setattr("colorize.runtime.run", no_model)
    job = ColorizationJobFactory(
        succeeded=True,
        suggestions={
            "rows": 1,
            "columns": 2,
            "cells": [[["#aa3322", 0.6], ["#224488", 0.3]], [["#55aa55", 0.9]]],
        },
    )
    response = suggestions_of(client, job, x=10, y=5)
    assert response.status_code == 200
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response.json() == {
        "colours": [{"color": "#aa3322", "probability": 0.6}, {"color": "#224488", "probability": 0.3}]
    }
    assert suggestions_of(client, job, x=40, y=31).json() == {"colours": [{"color": "#55aa55", "probability": 0.9}]}


def test_a_job_without_kept_suggestions_suggests_nothing(client):
    job = ColorizationJobFactory(succeeded=True)
    assert suggestions_of(client, job, x=1, y=1).json() == {"colours": []}


@pytest.mark.parametrize("query", [{}, {"x": "a", "y": "1"}, {"x": 48, "y": 1}, {"x": 1, "y": -1}])
def test_suggestions_need_a_point_inside_the_photo(client, query):
    job = ColorizationJobFactory(succeeded=True)
    assert suggestions_of(client, job, **query).status_code == 400


def test_suggestions_of_an_unknown_job_are_a_404(client):
    import uuid

    response = client.get(reverse("gallery:job_suggestions", args=[uuid.uuid4()]), {"x": 1, "y": 1})
    assert response.status_code == 404
    assert response.json() == {"error": "there is no such photo"}


def test_a_hinted_jobs_page_starts_the_hint_tool_with_its_points(client, hint_model):
    points = [{"x": 5, "y": 6, "color": "#336699"}]
    job = own(client, ColorizationJobFactory(succeeded=True, model_name=hint_model, hints=points))
    html = client.get(job.get_absolute_url()).content.decode()
    assert f'name="hints" value="{escape(json.dumps(points))}"' in html


def test_a_vividness_rerun_of_a_job_whose_original_cannot_be_read_is_a_400(client):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name="compact"))
    with job.original.open("wb") as handle:
        handle.write(b"this is not a picture any more")
    response = client.post(reverse("gallery:job_vividness", args=[job.public_id]), {"vividness": "0.75"})
    assert response.status_code == 400
    assert ColorizationJob.objects.count() == 1


def test_a_colour_photo_is_colorized_from_its_grey_version_and_its_page_says_so(client, engine_model, recaptcha_passes):
    pixels = np.zeros((48, 64, 3), np.uint8)
    pixels[:, :32], pixels[:, 32:] = (200, 40, 40), (40, 90, 200)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    response = post_upload(client, buffer.getvalue(), model=engine_model)
    job = ColorizationJob.objects.get()
    assert job.had_colour
    assert "This photo already had colour" in client.get(response["Location"]).content.decode()
    grey = post_upload(client, grey_photo(), model=engine_model)
    assert not ColorizationJob.objects.latest("pk").had_colour
    assert "This photo already had colour" not in client.get(grey["Location"]).content.decode()


# --- Variants ------------------------------------------------------------------------------


def test_the_result_page_offers_the_four_variants_with_the_shown_one_pressed(client):
    job = own(client, ColorizationJobFactory(succeeded=True, variant="vivid"))
    html = client.get(job.get_absolute_url()).content.decode()
    assert reverse("gallery:job_variant", args=[job.public_id]) in html
    assert html.count(f'src="{job.variants_url}"') == 4
    for name, label in ColorizationJob.Variant.choices:
        pressed = "true" if name == "vivid" else "false"
        assert f'name="variant" value="{name}" class="variant-choice" aria-pressed="{pressed}"' in html
        assert f"{label}" in html


def test_picking_a_variant_queues_the_job_to_render_it_first(client, django_capture_on_commit_callbacks):
    job = own(client, ColorizationJobFactory(succeeded=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("gallery:job_variant", args=[job.public_id]), {"variant": "cautious"})
    job.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert (job.variant, job.status, job.attempts) == ("cautious", Status.QUEUED, 0)
    assert DBTaskResult.objects.get(id=job.task_id).priority > 0
    assert "Preparing the “Cautious” colouring" in client.get(job.get_absolute_url()).content.decode()


@pytest.mark.parametrize("value", ["", "loud", "balanced\x00"])
def test_an_unknown_variant_changes_nothing(client, value):
    job = own(client, ColorizationJobFactory(succeeded=True))
    response = client.post(reverse("gallery:job_variant", args=[job.public_id]), {"variant": value}, follow=True)
    job.refresh_from_db()
    assert "Please choose one of the colourings shown." in response.content.decode()
    assert (job.variant, job.status) == ("balanced", Status.SUCCEEDED)


def test_a_job_without_variants_offers_none_and_refuses_a_pick(client):
    job = own(client, ColorizationJobFactory(succeeded=True, model_name="siggraph17", variants="", variant_maps=""))
    assert "data-variants" not in client.get(job.get_absolute_url()).content.decode()
    response = client.post(reverse("gallery:job_variant", args=[job.public_id]), {"variant": "vivid"}, follow=True)
    assert "no other colourings" in response.content.decode()
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
