"""Thin views: parse the request, call a service or a selector, render."""

import mimetypes
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from colorize import imaging
from colorize.errors import ColorizeError
from gallery import mine, selectors
from gallery.forms import (
    GalleryChoiceForm,
    HintsForm,
    JobUploadForm,
    RetryForm,
    VariantForm,
    VividnessForm,
    batch_bytes_limit,
)
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
    """One photo (then its page) or a batch (then the batch page): one reCAPTCHA, one job per
    file, each file checked and counted against the limits on its own."""
    status = 200
    if request.method == "POST":
        status = 400
        client = client_key(request)
        try:
            web.queue_room_check(client=client)
        except web.QueueFull as error:
            return _busy(request, error)
        form = JobUploadForm(request.POST, request.FILES)
        if form.is_valid():
            files = form.cleaned_data["image"]
            if len(files) == 1:
                return _upload_one(request, form, files[0], client)
            jobs, refused = _upload_batch(request, form, files, client)
            if jobs:
                web.batch_refusals_record(batch=jobs[0].batch, refused=refused)
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


def _upload_context(form, *, upload_error=None):
    return {
        "form": form,
        "upload_error": upload_error,
        "recent": selectors.gallery_page(per_page=4),
        # For the page's script: warn before sending what would be refused.
        "max_files": settings.GALLERY_BATCH_MAX_FILES,
        "max_bytes": settings.GALLERY_BATCH_MAX_BYTES,
        "max_file_bytes": settings.COLORIZE_MAX_UPLOAD_BYTES,
    }


def _create_job(request, form, upload, client, *, batch=None):
    job = web.job_create(
        image=upload.image,
        display_name=upload.filename,
        model_name=form.cleaned_data["model"],
        uploaded_bytes=upload.size,
        gallery_requested=form.cleaned_data["show_in_gallery"],
        vividness=form.cleaned_data["vividness"],
        client=client,
        batch=batch,
    )
    mine.remember(request, [job])
    return job


def _upload_one(request, form, file, client):
    try:
        upload = form.photo_check(file)
    except ValidationError as error:
        form.add_error("image", error)
        return render(request, "gallery/upload.html", _upload_context(form), status=400)
    return redirect(_create_job(request, form, upload, client))


def _upload_batch(request, form, files, client):
    """One job per file, in order. The batch counted as one job request (with the request);
    each file must find room in the queue, and once the queue is full the rest are refused with
    the reason. Returns (jobs, [(file name, reason), ...])."""
    batch = uuid.uuid4()
    jobs, refused = [], []
    stop = None
    pixels = 0  # in the photos accepted so far
    for file in files:
        name = file.name or "photo"
        if stop is None:
            try:
                web.queue_room_check(client=client)
            except web.QueueFull as error:
                stop = (
                    f"you already have {error.active} photos waiting or being colorized, the most at once; "
                    "send it again when some are done."
                    if error.scope == "client"
                    else "we are busy just now; please send it again in a few minutes."
                )
        if stop is not None:
            refused.append((name, stop))
            continue
        over_budget = _pixel_budget_refusal(file, used=pixels)
        if over_budget:
            refused.append((name, over_budget))
            continue
        try:
            upload = form.photo_check(file)
        except ValidationError as error:
            refused.append((name, " ".join(error.messages)))
            continue
        jobs.append(_create_job(request, form, upload, client, batch=batch))
        pixels += upload.image.width * upload.image.height
        del upload  # one decoded photo in memory at a time
    return jobs, refused


def _pixel_budget_refusal(file, *, used):
    """Why ``file`` is refused when the batch's photos so far (``used`` pixels) and its own
    would pass GALLERY_BATCH_MAX_PIXELS, read from its header before anything decodes it; a
    few kilobytes can declare 50 megapixels, and each costs seconds to decode and colorize."""
    limit = settings.GALLERY_BATCH_MAX_PIXELS
    file.seek(0)
    declared = imaging.declared_pixels(file.read(64 * 1024))
    file.seek(0)
    if not limit or declared is None or used + declared <= limit:
        return None
    return (
        f"the photos before it already add up to {used / 1e6:.3g} megapixels, and at most "
        f"{limit / 1e6:.3g} are colorized from one upload; send it again on its own."
    )


def upload_too_big(request, *, length):
    """The upload page with the reason, for a body too large to read at all (refused unread by
    colorsite.middleware.RequestSizeLimitMiddleware; its length may be a lie, so the choices in
    it are not known either; the page's script refuses such files before they are sent)."""
    limit = batch_bytes_limit()
    reason = (
        f"This upload is {filesizeformat(length)}; the largest photo we accept is "
        f"{filesizeformat(settings.COLORIZE_MAX_UPLOAD_BYTES)}, and at most {filesizeformat(limit)} can be sent at once."
    )
    return render(request, "gallery/upload.html", _upload_context(JobUploadForm(), upload_error=reason), status=413)


def _job_context(request, job, **forms):
    return {
        "job": job,
        "page_url": request.build_absolute_uri(job.get_absolute_url()),
        "progress": selectors.job_progress(job=job),
        "retry_form": forms.get("retry_form") or RetryForm(job=job),
        "hints_form": forms.get("hints_form") or HintsForm(job=job),
        "gallery_form": forms.get("gallery_form")
        or GalleryChoiceForm(initial={"caption": job.caption, "taken_year": job.taken_year}),
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


def _own_finished_job(request, public_id):
    """A re-run of a finished job this browser created is never refused for the request rate
    (the queue caps still hold): correcting one's own photo is not abuse."""
    if str(public_id) not in mine.remembered(request):
        return False
    job = selectors.job_get(public_id=public_id)
    return job is not None and job.is_finished


@require_POST
@limit_job_requests(exempt=_own_finished_job)
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
            mine.remember(request, [new_job])
            messages.success(request, "Colorizing again with your colour points.")
            return redirect(new_job)
    context = _job_context(request, job, hints_form=form)
    return _private(render(request, "gallery/job_detail.html", context, status=400))


@require_POST
@limit_job_requests(exempt=_own_finished_job)
def job_vividness(request, public_id):
    """Colorize a finished job again, as it was but at another vividness: a new job."""
    job = _job_or_404(public_id)
    if job.status != job.Status.SUCCEEDED:
        messages.info(request, "This photo is not colorized yet: choose another vividness once it is.")
        return redirect(job)
    form = VividnessForm(request.POST)
    if not form.is_valid():
        reasons = " ".join(str(reason) for reason in form.errors["vividness"])
        messages.error(request, f"Please choose a vividness from 0 to 1 ({reasons}).")
        return _private(render(request, "gallery/job_detail.html", _job_context(request, job), status=400))
    client = client_key(request)
    try:
        web.queue_room_check(client=client)
    except web.QueueFull as error:
        return _busy(request, error)
    vividness = form.cleaned_data["vividness"]
    try:
        new_job = web.job_rerun_vividness(job=job, vividness=vividness, client=client)
    except ColorizeError as error:  # the stored original could not be read back
        messages.error(request, error.user_message)
        return _private(render(request, "gallery/job_detail.html", _job_context(request, job), status=400))
    mine.remember(request, [new_job])
    if vividness == job.vividness:
        messages.success(request, "Colorizing again at the same vividness.")
    else:
        messages.success(
            request, f"Colorizing again with {'more' if vividness > job.vividness else 'less'} vivid colours."
        )
    return redirect(new_job)


@require_POST
@limit_job_requests(exempt=_own_finished_job)
def job_variant(request, public_id):
    """Make another of the job's automatic colourings its result (rendered in a second or two)."""
    job = _job_or_404(public_id)
    form = VariantForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please choose one of the colourings shown.")
        return redirect(job)
    if not job.offers_variants:
        messages.info(request, "This photo has no other colourings to choose from yet.")
        return redirect(job)
    web.job_variant_choose(job=job, variant=form.cleaned_data["variant"])
    return redirect(job)


@never_cache
@require_safe
def job_suggestions(request, public_id):
    """The colours the model found likely at ?x=&y= (original pixels), from what the worker
    kept when it ran the job: {"colours": [{"color": "#rrggbb", "probability": p}, ...]}. No
    model runs here."""
    job = selectors.job_get(public_id=public_id)
    if job is None:
        return _private(JsonResponse({"error": "there is no such photo"}, status=404))
    try:
        x, y = float(request.GET["x"]), float(request.GET["y"])
    except (KeyError, ValueError):
        return _private(JsonResponse({"error": "x and y, in the photo's pixels, are needed"}, status=400))
    if not (0 <= x < job.original_width and 0 <= y < job.original_height):
        return _private(JsonResponse({"error": "the point lies outside the photo"}, status=400))
    return _private(JsonResponse({"colours": job.suggested_colours(x, y)}))


@require_POST
def job_gallery(request, public_id):
    """One action: show this photo in the gallery (once a moderator approves), with the
    caption and year given, or take it out."""
    job = _job_or_404(public_id)
    form = GalleryChoiceForm(request.POST)
    if not form.is_valid():
        context = _job_context(request, job, gallery_form=form)
        return _private(render(request, "gallery/job_detail.html", context, status=400))
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
            field, cache_control=_private_immutable(), as_attachment=True, filename=job.download_name(extension)
        )
    )


@never_cache
def job_delete(request, public_id):
    """ "Delete this photo": a confirmation page (GET), then the deletion (POST) of the job and
    its files, at once. Works without JavaScript."""
    job = _job_or_404(public_id)
    back_to_my_photos = (request.POST if request.method == "POST" else request.GET).get("next") == "my-photos"
    if request.method == "POST":
        deleted = web.photo_delete(job=job)
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
    context = {"job": job, "versions": selectors.job_versions(job=job), "back_to_my_photos": back_to_my_photos}
    return _private(render(request, "gallery/job_delete.html", context))


# --- Batches -------------------------------------------------------------------------------------


def _batch_or_404(batch_id):
    jobs = selectors.batch_jobs(batch_id=batch_id)
    if not jobs:
        raise Http404("No such batch")
    return jobs


def _batch_context(batch_id, jobs):
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
def batch_detail(request, batch_id):
    """Every job of a batch upload with its live status, and "Download all". Private like a
    job's page: the link is the permission."""
    jobs = _batch_or_404(batch_id)
    return _private(render(request, "gallery/batch_detail.html", _batch_context(batch_id, jobs)))


@never_cache
@require_safe
def batch_status(request, batch_id):
    """The batch page's polling: the list, freshly rendered, and whether all are finished."""
    jobs = _batch_or_404(batch_id)
    context = _batch_context(batch_id, jobs)
    return _private(
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
def batch_download(request, batch_id):
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
    return _private(response)


# --- My photos -----------------------------------------------------------------------------------


@never_cache
@require_safe
def my_photos(request):
    """The jobs this browser created (its session remembers them; no accounts)."""
    photos = selectors.photos_by_public_ids(public_ids=mine.remembered(request))
    # Deleted ones drop out.
    mine.keep_only(request, [str(version.public_id) for photo in photos for version in photo.versions])
    context = {
        "photos": [(photo, selectors.job_progress(job=photo.newest)) for photo in photos],
        "retention_days": f"{settings.GALLERY_RETENTION_DAYS:g}",
    }
    return _private(render(request, "gallery/my_photos.html", context))


# --- The public gallery --------------------------------------------------------------------------


def _social_card(request, *, title, description, image_url, page_url):
    """Open Graph and Twitter card tags, for the public gallery's pages only."""
    return {
        "title": title,
        "description": description,
        "url": request.build_absolute_uri(page_url),
        "image": request.build_absolute_uri(image_url) if image_url else "",
    }


@require_safe
def gallery(request):
    page = selectors.gallery_page(page_number=request.GET.get("page", 1))
    first = page.object_list[0] if page.object_list else None
    card = _social_card(
        request,
        title="Gallery · Colorsite",
        description="Old black-and-white photos, colorized by a neural network and shared by their owners.",
        image_url=first.gallery_result_picture["src"] if first else "",
        page_url=request.get_full_path(),
    )
    return render(request, "gallery/gallery.html", {"page": page, "card": card})


@require_safe
def gallery_detail(request, pk):
    job = _gallery_job_or_404(pk)
    card = _social_card(
        request,
        title=f"{job.gallery_title} · Colorsite",
        description=f"A black-and-white photo colorized by the {job.model_title} model on Colorsite.",
        image_url=job.gallery_result_picture["src"],
        page_url=job.get_gallery_url(),
    )
    return render(request, "gallery/gallery_detail.html", {"job": job, "card": card})


@require_safe
def gallery_download(request, pk, kind, name):
    """A public gallery photo's result, as a download named after its public title."""
    job = _gallery_job_or_404(pk)
    field = _file_or_404(job, kind, name)
    filename = f"{job.gallery_title}-colorized.png"
    return _file_response(field, cache_control=PUBLIC_IMMUTABLE, as_attachment=True, filename=filename)


@require_safe
def gallery_file(request, pk, kind, name):
    """Gallery pictures: the same immutable files, reachable here only while the job is public
    and without revealing the job's private link."""
    job = _gallery_job_or_404(pk)
    field = _file_or_404(job, kind, name)
    return _file_response(field, cache_control=PUBLIC_IMMUTABLE)
