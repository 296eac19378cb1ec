"""A job's pictures and downloads under its private link, and a public gallery photo's under
the gallery's; both at URLs that change with the file, so they never go stale."""

import mimetypes
from uuid import UUID

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_safe

from gallery.views.common import file_or_404, gallery_job_or_404, job_or_404, private

# Gallery pictures: anyone may keep them. A job's own pictures: only the owner's browser, never a
# shared cache (a proxy, a CDN).
PUBLIC_IMMUTABLE = "public, max-age=31536000, immutable"


def private_immutable() -> str:
    return f"private, max-age={settings.GALLERY_PRIVATE_MAX_AGE}, immutable"


def _file_response(
    field: FieldFile, *, cache_control: str, as_attachment: bool = False, filename: str = ""
) -> FileResponse:
    name = str(field.name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(
        field.storage.open(name, "rb"), content_type=content_type, as_attachment=as_attachment, filename=filename
    )
    response["Cache-Control"] = cache_control
    return response


@require_safe
def job_file(request: HttpRequest, public_id: UUID, kind: str, name: str) -> FileResponse:
    """One of a job's pictures. The name is part of the URL and changes with the file, so the
    owner's browser may keep it; "private" keeps it out of shared caches."""
    job = job_or_404(public_id)
    field = file_or_404(job, kind, name)
    return private(_file_response(field, cache_control=private_immutable()))


@require_safe
def job_download(request: HttpRequest, public_id: UUID, kind: str, name: str) -> FileResponse:
    job = job_or_404(public_id)
    field = file_or_404(job, kind, name)
    extension = "png" if kind == "result" else "jpg"
    return private(
        _file_response(
            field, cache_control=private_immutable(), as_attachment=True, filename=job.download_name(extension)
        )
    )


@require_safe
def gallery_file(request: HttpRequest, pk: int, kind: str, name: str) -> FileResponse:
    """Gallery pictures: the same immutable files, reachable here only while the job is public
    and without revealing the job's private link."""
    job = gallery_job_or_404(pk)
    field = file_or_404(job, kind, name)
    return _file_response(field, cache_control=PUBLIC_IMMUTABLE)


@require_safe
def gallery_download(request: HttpRequest, pk: int, kind: str, name: str) -> FileResponse:
    """A public gallery photo's result, as a download named after its public title."""
    job = gallery_job_or_404(pk)
    field = file_or_404(job, kind, name)
    filename = f"{job.gallery_title}-colorized.png"
    return _file_response(field, cache_control=PUBLIC_IMMUTABLE, as_attachment=True, filename=filename)
