"""Thin views: parse the request, call a service or a selector, render."""

import mimetypes

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from colorize.errors import ColorizeError
from gallery import selectors
from gallery.forms import GalleryChoiceForm, HintsForm, JobUploadForm, RetryForm
from gallery.ratelimits import client_key, limit_job_requests
from gallery.services import web

# Gallery pictures: anyone may keep them. A job's own pictures: only the owner's browser, never a
# shared cache (a proxy, a CDN). Both live at URLs that change with the file, so never go stale.
PUBLIC_IMMUTABLE = "public, max-age=31536000, immutable"


def _private_immutable():
    return f"private, max-age={settings.GALLERY_PRIVATE_MAX_AGE}, immutable"


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


def _busy(request, error):
    """The queue caps: 429 when this client has too many jobs on the way, 503 when everyone has."""
    status = 429 if error.scope == "client" else 503
    response = render(request, "gallery/busy.html", {"scope": error.scope, "active": error.active}, status=status)
    response["Retry-After"] = "60" if error.scope == "client" else "180"
    return response


@limit_job_requests
def upload(request):
    status = 200
    if request.method == "POST":
        status = 400
        client = client_key(request)
        try:
            web.queue_room_check(client=client)
        except web.QueueFull as error:
            return _busy(request, error)
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
                    client=client,
                )
                return redirect(job)
            if form.verification_unavailable:
                status = 503  # not the visitor's fault: Google's check could not be reached
    else:
        form = JobUploadForm()
        too_big = None
    context = {"form": form, "upload_error": too_big, "recent": selectors.gallery_page(per_page=4)}
    response = render(request, "gallery/upload.html", context, status=status)
    if status == 503:
        response["Retry-After"] = "60"
    return response


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
        "progress": selectors.job_progress(job=job),
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
    """A small JSON status for the page's polling: while queued, the place in the queue and an
    estimated wait; while running, the stage; once finished, the new panel."""
    job = _job_or_404(public_id)
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
    return _private(JsonResponse(payload))


@require_POST
@limit_job_requests
def job_retry(request, public_id):
    job = _job_or_404(public_id)
    form = RetryForm(request.POST, job=job)
    if form.is_valid() and job.status == job.Status.FAILED:
        try:
            web.queue_room_check(client=client_key(request))
        except web.QueueFull as error:
            return _busy(request, error)
        web.job_retry(job=job, model_name=form.cleaned_data["model"])
        messages.info(request, "Trying again.")
    elif job.status != job.Status.FAILED:
        messages.info(request, "This job did not fail; there is nothing to retry.")
    else:
        messages.error(request, "Please choose an installed model.")
    return redirect(job)


@require_POST
@limit_job_requests
def job_recolorize(request, public_id):
    job = _job_or_404(public_id)
    form = HintsForm(request.POST, job=job)
    if form.is_valid():
        client = client_key(request)
        try:
            web.queue_room_check(client=client)
            new_job = web.job_recolorize(
                job=job, hints=form.cleaned_data["hints"], model_name=form.cleaned_data["model"], client=client
            )
        except web.QueueFull as error:
            return _busy(request, error)
        except ColorizeError as error:  # the stored original could not be read back
            form.add_error(None, error.user_message)
        else:
            messages.success(request, "Colorizing again with your colour points.")
            return redirect(new_job)
    context = _job_context(request, job, hints_form=form)
    return _private(render(request, "gallery/job_detail.html", context, status=400))


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


def _file_response(field, *, cache_control, as_attachment=False, filename=None):
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    response = FileResponse(
        field.storage.open(field.name, "rb"), content_type=content_type, as_attachment=as_attachment, filename=filename
    )
    response["Cache-Control"] = cache_control
    return response


@require_safe
def job_file(request, public_id, kind, name):
    """One of a job's pictures. The name is part of the URL and changes with the file, so the
    owner's browser may keep it; "private" keeps it out of shared caches."""
    job = _job_or_404(public_id)
    field = _file_or_404(job, kind, name)
    return _private(_file_response(field, cache_control=_private_immutable()))


@require_safe
def job_download(request, public_id, kind, name):
    job = _job_or_404(public_id)
    field = _file_or_404(job, kind, name)
    extension = "png" if kind == "result" else "jpg"
    return _private(
        _file_response(
            field, cache_control=_private_immutable(), as_attachment=True, filename=f"{job.display_name}-colorized.{extension}"
        )
    )


@never_cache
def job_delete(request, public_id):
    """"Delete this photo": a confirmation page (GET), then the deletion (POST) of the job and
    its files, at once. Works without JavaScript."""
    job = _job_or_404(public_id)
    if request.method == "POST":
        web.job_delete(job=job)
        messages.success(request, "Your photo and its results were deleted.")
        return redirect("gallery:upload")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return _private(render(request, "gallery/job_delete.html", {"job": job}))


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
    return _file_response(field, cache_control=PUBLIC_IMMUTABLE)
