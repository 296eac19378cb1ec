"""Reads: what the views and the admin look up. A selector returns data, or None where there
is nothing to find; what that means for an HTTP answer is the view's decision."""

from uuid import UUID

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile

from gallery.models import FILE_KINDS, ColorizationJob

Status = ColorizationJob.Status


def job_get(*, public_id: UUID | str) -> ColorizationJob | None:
    """The job behind a private link, or None. Knowing the link is the only permission."""
    try:
        return ColorizationJob.objects.get(public_id=public_id)
    except ColorizationJob.DoesNotExist:
        return None


def gallery_jobs() -> QuerySet[ColorizationJob]:
    """Jobs in the public gallery: finished, asked for by their owner, approved by an admin."""
    return (
        ColorizationJob.objects.filter(
            gallery_requested=True, gallery_review=ColorizationJob.Review.APPROVED, status=Status.SUCCEEDED
        )
        .exclude(thumbnail="")
        .order_by("-gallery_reviewed_at", "-pk")
    )


def gallery_page(*, page_number: int | str = 1, per_page: int | None = None) -> Page:
    paginator = Paginator(gallery_jobs(), per_page or settings.GALLERY_PAGE_SIZE)
    return paginator.get_page(page_number)


def gallery_job_get(*, pk: int) -> ColorizationJob | None:
    """A public gallery entry, or None. The gallery never shows a job's private link (its
    public_id)."""
    try:
        return gallery_jobs().get(pk=pk)
    except ColorizationJob.DoesNotExist:
        return None


def job_file_get(*, job: ColorizationJob, kind: str, name: str) -> FieldFile | None:
    """One of ``job``'s files by the kind and immutable name in its URL: the job's current
    file only, else None."""
    field_name = FILE_KINDS.get(kind)
    if field_name is None:
        return None
    field = getattr(job, field_name)
    if not field or field.name.rsplit("/", 1)[-1] != name:
        return None
    return field
