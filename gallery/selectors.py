"""Reads: what the views and the admin look up."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404

from gallery.models import ColorizationJob

Status = ColorizationJob.Status


def job_get(*, public_id):
    """The job behind a private link. Knowing the link is the only permission."""
    try:
        return ColorizationJob.objects.get(public_id=public_id)
    except ColorizationJob.DoesNotExist:
        raise Http404("No such job") from None


def gallery_jobs():
    """Jobs in the public gallery: finished, asked for by their owner, approved by an admin."""
    return ColorizationJob.objects.filter(
        gallery_requested=True, gallery_review=ColorizationJob.Review.APPROVED, status=Status.SUCCEEDED
    ).exclude(thumbnail="").order_by("-gallery_reviewed_at", "-pk")


def gallery_page(*, page_number=1, per_page=None):
    paginator = Paginator(gallery_jobs(), per_page or settings.GALLERY_PAGE_SIZE)
    return paginator.get_page(page_number)


def gallery_job_get(*, pk):
    """A public gallery entry. The gallery never shows a job's private link (its public_id)."""
    try:
        return gallery_jobs().get(pk=pk)
    except ColorizationJob.DoesNotExist:
        raise Http404("Not in the gallery") from None


FILE_KINDS = {"original": "original", "result": "result", "result-jpeg": "result_jpeg", "thumbnail": "thumbnail"}


def job_file_get(*, job, kind, name):
    """One of ``job``'s files by the immutable name in its URL: the job's current file only."""
    field_name = FILE_KINDS.get(kind)
    if field_name is None:
        raise Http404("No such file")
    field = getattr(job, field_name)
    if not field or field.name.rsplit("/", 1)[-1] != name:
        raise Http404("No such file")
    return field
