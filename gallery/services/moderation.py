"""The moderators' writes (``gallery.admin``'s bulk actions): approve or hide gallery entries,
re-run failed jobs, delete jobs with their files."""

from collections.abc import Iterable

from django.utils import timezone

from gallery.models import ColorizationJob
from gallery.services.web import job_delete, job_retry

Status = ColorizationJob.Status
Review = ColorizationJob.Review


def _review(jobs: Iterable[ColorizationJob], decision: str) -> int:
    return ColorizationJob.objects.filter(pk__in=[j.pk for j in jobs]).update(
        gallery_review=decision, gallery_reviewed_at=timezone.now()
    )


def jobs_approve(*, jobs: Iterable[ColorizationJob]) -> int:
    """An admin's approval: requested jobs become visible in the gallery."""
    return _review(jobs, Review.APPROVED)


def jobs_hide(*, jobs: Iterable[ColorizationJob]) -> int:
    """Keep these jobs out of the gallery, whatever their owners asked."""
    return _review(jobs, Review.HIDDEN)


def jobs_retry_failed(*, jobs: Iterable[ColorizationJob]) -> int:
    """Queue the failed ones among ``jobs`` again; returns how many."""
    count = 0
    for job in jobs:
        if job.status == Status.FAILED:
            job_retry(job=job)
            count += 1
    return count


def jobs_delete(*, jobs: Iterable[ColorizationJob]) -> None:
    """Delete the jobs and, once each deletion commits, their files."""
    for job in list(jobs):
        job_delete(job=job)
