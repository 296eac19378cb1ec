"""What the views share: the 404s for a job, a gallery photo and a file, the 403 for a job
that is not the visitor's to change, the headers of a private page, and the queue caps' page."""

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from gallery import mine, selectors
from gallery.models import ColorizationJob
from gallery.services import web


def job_or_404(public_id: UUID | str) -> ColorizationJob:
    job = selectors.job_get(public_id=public_id)
    if job is None:
        raise Http404("No such job")
    return job


NOT_THE_OWNER = (
    "This photo's link lets you look at it and download it. Changing it, showing it in the gallery or "
    "deleting it is for the browser that uploaded it."
)


def owned_job_or_403(request: HttpRequest, public_id: UUID | str) -> ColorizationJob:
    """The job behind the link when this browser owns it (gallery.mine.owns); 404 when there is
    no such job, 403 when it is someone else's."""
    job = job_or_404(public_id)
    if not mine.owns(request, job):
        raise PermissionDenied(NOT_THE_OWNER)
    return job


def gallery_job_or_404(pk: int) -> ColorizationJob:
    job = selectors.gallery_job_get(pk=pk)
    if job is None:
        raise Http404("Not in the gallery")
    return job


def file_or_404(job: ColorizationJob, kind: str, name: str) -> FieldFile:
    field = selectors.job_file_get(job=job, kind=kind, name=name)
    if field is None:
        raise Http404("No such file")
    return field


def private[R: HttpResponseBase](response: R) -> R:
    # A job page is a capability: keep it out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def queue_busy(request: HttpRequest, *, client: str) -> HttpResponse | None:
    """The queue caps' page when there is no room for another of ``client``'s jobs (429 when
    this client has too many on the way, 503 when everyone has), else None: a view that makes a
    job answers ``if busy := queue_busy(...): return busy`` first."""
    try:
        web.queue_room_check(client=client)
    except web.QueueFull as error:
        status = 429 if error.scope == "client" else 503
        context = {"scope": error.scope, "active": error.active}
        response = render(request, "gallery/busy.html", context, status=status)
        response["Retry-After"] = "60" if error.scope == "client" else "180"
        return response
    return None
