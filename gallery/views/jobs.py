"""A job's page, its polling and what its owner does there: retry, colour points, another
vividness or colouring, the colour suggestions, the gallery choice, delete. The page and its
files are for anyone with the link; every change is for the owner only (owned_job_or_403)."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from colorize.errors import ColorizeError
from gallery import mine, selectors
from gallery.forms import GalleryChoiceForm, HintsForm, RetryForm, VariantForm, VividnessForm
from gallery.models import ColorizationJob
from gallery.ratelimits import client_key, limit_edit_requests, limit_job_requests
from gallery.services import web
from gallery.views.common import job_or_404, owned_job_or_403, private, queue_busy


def _job_context(request: HttpRequest, job: ColorizationJob, **forms: Any) -> dict[str, Any]:
    return {
        "job": job,
        "owner": mine.owns(request, job),
        "page_url": request.build_absolute_uri(job.get_absolute_url()),
        "progress": selectors.job_progress(job=job),
        "retry_form": forms.get("retry_form") or RetryForm(job=job),
        "hints_form": forms.get("hints_form") or HintsForm(job=job),
        "gallery_form": forms.get("gallery_form")
        or GalleryChoiceForm(initial={"caption": job.caption, "taken_year": job.taken_year}),
    }


def _job_page(request: HttpRequest, job: ColorizationJob, *, status: int = 200, **forms: Any) -> HttpResponse:
    return private(render(request, "gallery/job_detail.html", _job_context(request, job, **forms), status=status))


@never_cache
@require_safe
def job_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _job_page(request, job_or_404(public_id))


@never_cache
@require_safe
def job_status(request: HttpRequest, public_id: UUID) -> JsonResponse:
    """A small JSON status for the page's polling: while queued, the place in the queue and an
    estimated wait; while running, the stage; once finished, the new panel."""
    job = job_or_404(public_id)
    progress = selectors.job_progress(job=job)
    payload = {
        "status": job.status,
        "status_label": job.get_status_display(),
        "finished": job.is_finished,
        "waited": round(job.waited, 1),
        "running_for": round(job.duration, 1) if job.duration is not None else None,
        "queue_position": progress.queue_position,
        "estimated_wait": round(progress.estimated_wait) if progress.estimated_wait is not None else None,
        "estimate_text": progress.estimate_text,
        "stage": progress.stage,
        "stage_label": progress.stage_label,
        "progress_html": render_to_string("gallery/_progress.html", {"progress": progress}).strip(),
    }
    if job.is_finished:
        payload["html"] = render_to_string("gallery/_job_panel.html", _job_context(request, job), request=request)
    return private(JsonResponse(payload))


@require_POST
@limit_job_requests
def job_retry(request: HttpRequest, public_id: UUID) -> HttpResponse:
    job = owned_job_or_403(request, public_id)
    form = RetryForm(request.POST, job=job)
    if form.is_valid() and job.status == job.Status.FAILED:
        if busy := queue_busy(request, client=client_key(request)):
            return busy
        web.job_retry(job=job, model_name=form.cleaned_data["model"])
        messages.info(request, "Trying again.")
    elif job.status != job.Status.FAILED:
        messages.info(request, "This job did not fail; there is nothing to retry.")
    else:
        messages.error(request, "Please choose an installed model.")
    return redirect(job)


@require_POST
@limit_job_requests  # a new version, with files of its own: as an upload
def job_recolorize(request: HttpRequest, public_id: UUID) -> HttpResponse:
    job = owned_job_or_403(request, public_id)
    form = HintsForm(request.POST, job=job)
    if form.is_valid():
        client = client_key(request)
        if busy := queue_busy(request, client=client):
            return busy
        try:
            new_job = web.job_recolorize(
                job=job, hints=form.cleaned_data["hints"], model_name=form.cleaned_data["model"], client=client
            )
        except (ColorizeError, web.NotStored) as error:  # the original unreadable, or the new copy unstored
            form.add_error(None, error.user_message)
        else:
            mine.remember(request, [new_job])
            messages.success(request, "Colorizing again with your colour points.")
            return redirect(new_job)
    return _job_page(request, job, status=400, hints_form=form)


@require_POST
@limit_job_requests  # a new version, with files of its own: as an upload
def job_vividness(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Colorize a finished job again, as it was but at another vividness: a new job."""
    job = owned_job_or_403(request, public_id)
    if job.status != job.Status.SUCCEEDED:
        messages.info(request, "This photo is not colorized yet: choose another vividness once it is.")
        return redirect(job)
    form = VividnessForm(request.POST)
    if not form.is_valid():
        reasons = " ".join(str(reason) for reason in form.errors["vividness"])
        messages.error(request, f"Please choose a vividness from 0 to 1 ({reasons}).")
        return _job_page(request, job, status=400)
    client = client_key(request)
    if busy := queue_busy(request, client=client):
        return busy
    vividness = form.cleaned_data["vividness"]
    try:
        new_job = web.job_rerun_vividness(job=job, vividness=vividness, client=client)
    except (ColorizeError, web.NotStored) as error:  # the original unreadable, or the new copy unstored
        messages.error(request, error.user_message)
        return _job_page(request, job, status=503 if isinstance(error, web.NotStored) else 400)
    mine.remember(request, [new_job])
    if vividness == job.vividness:
        messages.success(request, "Colorizing again at the same vividness.")
    else:
        messages.success(
            request, f"Colorizing again with {'more' if vividness > job.vividness else 'less'} vivid colours."
        )
    return redirect(new_job)


@require_POST
@limit_edit_requests
def job_variant(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Make another of the job's automatic colourings its result (rendered in a second or two)."""
    job = owned_job_or_403(request, public_id)
    form = VariantForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please choose one of the colourings shown.")
        return redirect(job)
    if not job.offers_variants:
        messages.info(request, "This photo has no other colourings to choose from yet.")
        return redirect(job)
    client = client_key(request)
    if busy := queue_busy(request, client=client):
        return busy
    web.job_variant_choose(job=job, variant=form.cleaned_data["variant"], client=client)
    return redirect(job)


@never_cache
@require_safe
def job_suggestions(request: HttpRequest, public_id: UUID) -> JsonResponse:
    """The colours the model found likely at ?x=&y= (original pixels), from what the worker
    kept when it ran the job: {"colours": [{"color": "#rrggbb", "probability": p}, ...]}. No
    model runs here."""
    job = selectors.job_get(public_id=public_id)
    if job is None:
        return private(JsonResponse({"error": "there is no such photo"}, status=404))
    try:
        x, y = float(request.GET["x"]), float(request.GET["y"])
    except (KeyError, ValueError):
        return private(JsonResponse({"error": "x and y, in the photo's pixels, are needed"}, status=400))
    if not (0 <= x < job.original_width and 0 <= y < job.original_height):
        return private(JsonResponse({"error": "the point lies outside the photo"}, status=400))
    return private(JsonResponse({"colours": job.suggested_colours(x, y)}))


@require_POST
@limit_edit_requests
def job_gallery(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One action: show this photo in the gallery (once a moderator approves), with the
    caption and year given, or take it out."""
    job = owned_job_or_403(request, public_id)
    form = GalleryChoiceForm(request.POST)
    if not form.is_valid():
        return _job_page(request, job, status=400, gallery_form=form)
    requested = form.cleaned_data["show_in_gallery"]
    web.job_request_gallery(
        job=job, requested=requested, caption=form.cleaned_data["caption"], taken_year=form.cleaned_data["taken_year"]
    )
    if not requested:
        messages.info(request, "It is not in the gallery: only people with this page's link can see it.")
    elif job.is_public:
        messages.success(request, "It is in the gallery, with the caption you gave.")
    else:
        messages.success(request, "Thanks! It will appear in the gallery once a moderator approves it.")
    return redirect(job)


@never_cache
def job_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """ "Delete this photo": a confirmation page (GET), then the deletion (POST) of the job and
    its files, at once, with the other versions this browser made of it (never another's).
    Works without JavaScript."""
    job = owned_job_or_403(request, public_id)
    back_to_my_photos = (request.POST if request.method == "POST" else request.GET).get("next") == "my-photos"
    if request.method == "POST":
        deleted = web.photo_delete(job=job, owns=lambda version: mine.owns(request, version))
        mine.keep_only(
            request, [str(value) for value in selectors.existing_public_ids(public_ids=mine.remembered(request))]
        )
        others = deleted - 1
        messages.success(
            request,
            f"“{job.display_name}” was deleted, with its colorized results"
            + (f" and its {others} other version{'s' if others != 1 else ''}." if others else "."),
        )
        return redirect("gallery:my_photos" if back_to_my_photos else "gallery:upload")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    versions = [version for version in selectors.job_versions(job=job) if mine.owns(request, version)]
    context = {"job": job, "versions": versions, "back_to_my_photos": back_to_my_photos}
    return private(render(request, "gallery/job_delete.html", context))
