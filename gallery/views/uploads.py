"""The upload page (one photo or a batch) and a batch's page, its polling and its ZIP."""

from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from gallery import mine, selectors
from gallery.forms import JobUploadForm, batch_bytes_limit
from gallery.models import ColorizationJob
from gallery.ratelimits import client_key, limit_job_requests
from gallery.services import uploads, web
from gallery.views.common import private, queue_busy


@limit_job_requests
def upload(request: HttpRequest) -> HttpResponse:
    """One photo (then its page) or a batch (then the batch page): one reCAPTCHA, one job per
    file, each file checked and counted against the limits on its own."""
    status = 200
    if request.method == "POST":
        status = 400
        client = client_key(request)
        if busy := queue_busy(request, client=client):
            return busy
        form = JobUploadForm(request.POST, request.FILES)
        if form.is_valid():
            files = form.cleaned_data["image"]
            choices = uploads.UploadChoices(
                model_name=form.cleaned_data["model"],
                gallery_requested=form.cleaned_data["show_in_gallery"],
                vividness=form.cleaned_data["vividness"],
                client=client,
            )
            if len(files) == 1:
                return _upload_one(request, form, files[0], choices)
            jobs, refused = uploads.batch_upload(files=files, choices=choices, photo_check=form.photo_check)
            mine.remember(request, jobs)
            if jobs:
                return redirect("gallery:batch_detail", batch_id=jobs[0].batch)
            for name, reason in refused:
                form.add_error("image", f"“{name}”: {reason}")
        if form.verification_unavailable:
            status = 503  # not the visitor's fault: Google's check could not be reached
    else:
        form = JobUploadForm()
    response = render(request, "gallery/upload.html", _upload_context(form), status=status)
    if status == 503:
        response["Retry-After"] = "60"
    return response


def _upload_context(form: JobUploadForm, *, upload_error: str | None = None) -> dict[str, Any]:
    return {
        "form": form,
        "upload_error": upload_error,
        "recent": selectors.gallery_page(per_page=4),
        # For the page's script: warn before sending what would be refused.
        "max_files": settings.GALLERY_BATCH_MAX_FILES,
        "max_bytes": settings.GALLERY_BATCH_MAX_BYTES,
        "max_file_bytes": settings.COLORIZE_MAX_UPLOAD_BYTES,
    }


def _upload_one(
    request: HttpRequest, form: JobUploadForm, file: UploadedFile, choices: uploads.UploadChoices
) -> HttpResponse:
    try:
        upload = form.photo_check(file)
    except ValidationError as error:
        form.add_error("image", error)
        return render(request, "gallery/upload.html", _upload_context(form), status=400)
    try:
        job = uploads.photo_upload(upload=upload, choices=choices)
    except web.NotStored as error:
        context = _upload_context(JobUploadForm(), upload_error=error.user_message)
        response = render(request, "gallery/upload.html", context, status=503)
        response["Retry-After"] = "300"
        return response
    mine.remember(request, [job])
    return redirect(job)


def upload_too_big(request: HttpRequest, *, length: int) -> HttpResponse:
    """The upload page with the reason, for a body too large to read at all (refused unread by
    colorsite.middleware.RequestSizeLimitMiddleware; its length may be a lie, so the choices in
    it are not known either; the page's script refuses such files before they are sent)."""
    limit = batch_bytes_limit()
    reason = (
        f"This upload is {filesizeformat(length)}; the largest photo we accept is "
        f"{filesizeformat(settings.COLORIZE_MAX_UPLOAD_BYTES)}, and at most {filesizeformat(limit)} can be sent at once."
    )
    return render(request, "gallery/upload.html", _upload_context(JobUploadForm(), upload_error=reason), status=413)


# --- Batches -------------------------------------------------------------------------------------


def _batch_or_404(batch_id: UUID) -> list[ColorizationJob]:
    jobs = selectors.batch_jobs(batch_id=batch_id)
    if not jobs:
        raise Http404("No such batch")
    return jobs


def _batch_context(batch_id: UUID, jobs: list[ColorizationJob]) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "refused": selectors.batch_refusals(batch_id=batch_id),
        "jobs": [(job, selectors.job_progress(job=job)) for job in jobs],
        "ready": sum(job.status == job.Status.SUCCEEDED for job in jobs),
        "failed": sum(job.status == job.Status.FAILED for job in jobs),
        "finished": all(job.is_finished for job in jobs),
        "total": len(jobs),
    }


@never_cache
@require_safe
def batch_detail(request: HttpRequest, batch_id: UUID) -> HttpResponse:
    """Every job of a batch upload with its live status, and "Download all". Private like a
    job's page: the link is the permission."""
    jobs = _batch_or_404(batch_id)
    return private(render(request, "gallery/batch_detail.html", _batch_context(batch_id, jobs)))


@never_cache
@require_safe
def batch_status(request: HttpRequest, batch_id: UUID) -> JsonResponse:
    """The batch page's polling: the list, freshly rendered, and whether all are finished."""
    jobs = _batch_or_404(batch_id)
    context = _batch_context(batch_id, jobs)
    return private(
        JsonResponse(
            {
                "finished": context["finished"],
                "ready": context["ready"],
                "total": context["total"],
                "html": render_to_string("gallery/_batch_jobs.html", context, request=request),
            }
        )
    )


@require_safe
def batch_download(request: HttpRequest, batch_id: UUID) -> StreamingHttpResponse:
    """ "Download all": the batch's results (full-resolution PNG) as one ZIP, streamed as it is
    written, never held in memory (so with no Content-Length: a result deleted meanwhile is
    left out and named in the archive's "NOT INCLUDED.txt")."""
    jobs = [job for job in _batch_or_404(batch_id) if job.status == job.Status.SUCCEEDED and job.result]
    if not jobs:
        raise Http404("Nothing ready to download yet")
    archive = selectors.results_zip(jobs=jobs)
    response = StreamingHttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="colorized-photos.zip"'
    response["Cache-Control"] = "private, no-store"
    return private(response)
