"""Thin views: parse the request, call a service or a selector, render."""

import mimetypes

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from gallery import selectors
from gallery.forms import GalleryChoiceForm, HintsForm, JobUploadForm, RetryForm, VividnessForm
from gallery.services import web

IMMUTABLE = "public, max-age=31536000, immutable"


def _job_or_404(public_id):
    job = selectors.job_get(public_id=public_id)
    if job is None:
        raise Http404("No such job")
    return job


def _gallery_job_or_404(pk):
    job = selectors.gallery_job_get(pk=pk)
    if job is None:
        raise Http404("Not in the gallery")
    return job


def _file_or_404(job, kind, name):
    field = selectors.job_file_get(job=job, kind=kind, name=name)
    if field is None:
        raise Http404("No such file")
    return field


def _private(response):
    # A job page is a capability: keep it out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def upload(request):
    if request.method == "POST":
        too_big = _request_too_big(request)
        if too_big:
            form = JobUploadForm()
        else:
            form = JobUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["image"]
                job = web.job_create(
                    image=upload.image,
                    display_name=upload.filename,
                    model_name=form.cleaned_data["model"],
                    uploaded_bytes=upload.size,
                    gallery_requested=form.cleaned_data["show_in_gallery"],
                    vividness=form.cleaned_data["vividness"],
                )
                return redirect(job)
    else:
        form = JobUploadForm()
        too_big = None
    context = {"form": form, "upload_error": too_big, "recent": selectors.gallery_page(per_page=4)}
    return render(request, "gallery/upload.html", context, status=400 if request.method == "POST" else 200)


def _request_too_big(request):
    """Refuse a body far over the limit before reading it (a friendly message, not a 413 page)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    limit = settings.COLORIZE_MAX_UPLOAD_BYTES
    if length > limit + 1024 * 1024:
        return f"This file is {filesizeformat(length)}; the largest photo we accept is {filesizeformat(limit)}."
    return None


def _job_context(request, job, **forms):
    return {
        "job": job,
        "retry_form": forms.get("retry_form") or RetryForm(job=job),
        "hints_form": forms.get("hints_form") or HintsForm(job=job),
        "gallery_form": GalleryChoiceForm(initial={"show_in_gallery": job.gallery_requested}),
    }


@never_cache
@require_safe
def job_detail(request, public_id):
    job = _job_or_404(public_id)
    return _private(render(request, "gallery/job_detail.html", _job_context(request, job)))


@never_cache
@require_safe
def job_status(request, public_id):
    """A small JSON status for the page's polling; once finished it carries the new panel."""
    job = _job_or_404(public_id)
    payload = {
        "status": job.status,
        "status_label": job.get_status_display(),
        "finished": job.is_finished,
        "waited": round(job.waited, 1),
        "running_for": round(job.duration, 1) if job.duration is not None else None,
    }
    if job.is_finished:
        payload["html"] = render_to_string("gallery/_job_panel.html", _job_context(request, job), request=request)
    return _private(JsonResponse(payload))


@require_POST
def job_retry(request, public_id):
    job = _job_or_404(public_id)
    form = RetryForm(request.POST, job=job)
    if form.is_valid() and job.status == job.Status.FAILED:
        web.job_retry(job=job, model_name=form.cleaned_data["model"])
        messages.info(request, "Trying again.")
    elif job.status != job.Status.FAILED:
        messages.info(request, "This job did not fail; there is nothing to retry.")
    else:
        messages.error(request, "Please choose an installed model.")
    return redirect(job)


@require_POST
def job_recolorize(request, public_id):
    job = _job_or_404(public_id)
    form = HintsForm(request.POST, job=job)
    if not form.is_valid():
        context = _job_context(request, job, hints_form=form)
        return _private(render(request, "gallery/job_detail.html", context, status=400))
    new_job = web.job_recolorize(job=job, hints=form.cleaned_data["hints"], model_name=form.cleaned_data["model"])
    messages.success(request, "Colorizing again with your colour points.")
    return redirect(new_job)


@require_POST
def job_vividness(request, public_id):
    """Colorize a finished job again, as it was but at another vividness: a new job."""
    job = _job_or_404(public_id)
    form = VividnessForm(request.POST)
    if job.status != job.Status.SUCCEEDED or not form.is_valid():
        messages.error(request, "Please choose a vividness from 0 to 1 for a finished photo.")
        return redirect(job)
    new_job = web.job_rerun_vividness(job=job, vividness=form.cleaned_data["vividness"])
    more = form.cleaned_data["vividness"] > job.vividness
    messages.success(request, f"Colorizing again with {'more' if more else 'less'} vivid colours.")
    return redirect(new_job)


@never_cache
@require_safe
def job_suggestions(request, public_id):
    """The colours the model found likely at ?x=&y= (original pixels), from what the worker
    kept when it ran the job: {"colours": [{"color": "#rrggbb", "probability": p}, ...]}. No
    model runs here."""
    job = _job_or_404(public_id)
    try:
        x, y = float(request.GET["x"]), float(request.GET["y"])
    except (KeyError, ValueError):
        return _private(JsonResponse({"error": "x and y, in the photo's pixels, are needed"}, status=400))
    if not (0 <= x < job.original_width and 0 <= y < job.original_height):
        return _private(JsonResponse({"error": "the point lies outside the photo"}, status=400))
    return _private(JsonResponse({"colours": job.suggested_colours(x, y)}))


@require_POST
def job_gallery(request, public_id):
    job = _job_or_404(public_id)
    form = GalleryChoiceForm(request.POST)
    form.is_valid()
    requested = form.cleaned_data.get("show_in_gallery", False)
    web.job_request_gallery(job=job, requested=requested)
    if requested:
        messages.success(request, "Thanks! It will appear in the gallery once a moderator approves it.")
    else:
        messages.info(request, "This photo will not be shown in the gallery.")
    return redirect(job)


def _file_response(field, *, as_attachment=False, filename=None):
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    response = FileResponse(
        field.storage.open(field.name, "rb"), content_type=content_type, as_attachment=as_attachment, filename=filename
    )
    response["Cache-Control"] = IMMUTABLE
    return response


@require_safe
def job_file(request, public_id, kind, name):
    """One of a job's pictures. The name is part of the URL and changes with the file, so the
    response may be cached for ever: a new result always has a new URL."""
    job = _job_or_404(public_id)
    field = _file_or_404(job, kind, name)
    return _private(_file_response(field))


@require_safe
def job_download(request, public_id, kind, name):
    job = _job_or_404(public_id)
    field = _file_or_404(job, kind, name)
    extension = "png" if kind == "result" else "jpg"
    return _private(_file_response(field, as_attachment=True, filename=f"{job.display_name}-colorized.{extension}"))


@require_safe
def gallery(request):
    page = selectors.gallery_page(page_number=request.GET.get("page", 1))
    return render(request, "gallery/gallery.html", {"page": page})


@require_safe
def gallery_detail(request, pk):
    job = _gallery_job_or_404(pk)
    return render(request, "gallery/gallery_detail.html", {"job": job})


@require_safe
def gallery_file(request, pk, kind, name):
    """Gallery pictures: the same immutable files, reachable here only while the job is public
    and without revealing the job's private link."""
    job = _gallery_job_or_404(pk)
    field = _file_or_404(job, kind, name)
    return _file_response(field)
