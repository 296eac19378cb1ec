"""What a job's state means, for many jobs (JobQuerySet, the manager of ColorizationJob) and
for one (JobState, a part of ColorizationJob), side by side so that the two never disagree:
active, showing a result, public in the gallery, a pick of another colouring on its way, a pick
that failed."""

from typing import TYPE_CHECKING, Any

from django.db import models

# Status values (ColorizationJob.Status), as stored.
QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
APPROVED = "approved"
PICK_FAILED_CODE = "pick_failed"


class JobQuerySet(models.QuerySet):
    def active(self) -> "JobQuerySet":
        """Waiting or running."""
        return self.filter(status__in=[QUEUED, RUNNING])

    def with_result(self) -> "JobQuerySet":
        """Showing a result: finished, or a finished job re-rendering a picked colouring (its
        last result is kept, and shown, until the new one is stored)."""
        return self.exclude(status=FAILED).exclude(result="")

    def public(self) -> "JobQuerySet":
        """In the public gallery: asked for by the owner, approved by a moderator, with a result."""
        return self.with_result().filter(gallery_requested=True, gallery_review=APPROVED)

    def picks(self) -> "JobQuerySet":
        """Waiting or running to render a picked colouring of a finished job."""
        return self.active().exclude(result="")


JobManager = models.Manager.from_queryset(JobQuerySet)


class JobState:
    """The same rules for one job (a mixin of ColorizationJob, which has the fields)."""

    if TYPE_CHECKING:  # the fields and methods of ColorizationJob this reads
        status: str
        result: Any
        gallery_requested: bool
        gallery_review: str
        error_code: str
        shown_variant: str
        Variant: Any

        def get_variant_display(self) -> str: ...

    PICK_FAILED = (
        "The “{asked}” colouring could not be made just now, so the photo shows the “{shown}” one, as before. "
        "Please try again."
    )

    @property
    def has_result(self) -> bool:
        return self.status != FAILED and bool(self.result)

    @property
    def is_public(self) -> bool:
        return self.has_result and self.gallery_requested and self.gallery_review == APPROVED

    @property
    def is_pick(self) -> bool:
        return self.status in {QUEUED, RUNNING} and bool(self.result)

    @property
    def pick_failed(self) -> bool:
        """Showing its result after a pick that failed (the page says so)."""
        return self.status == SUCCEEDED and self.error_code == PICK_FAILED_CODE

    def pick_failed_changes(self) -> dict[str, Any]:
        """What a pick that failed (or whose worker kept dying) records: the job is finished
        again with the colouring its result shows, and says the pick failed."""
        shown = self.shown_variant or self.Variant.BALANCED
        message = self.PICK_FAILED.format(asked=self.get_variant_display(), shown=self.Variant(shown).label)
        return {"status": SUCCEEDED, "variant": shown, "error_code": PICK_FAILED_CODE, "error_message": message}
