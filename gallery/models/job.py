"""The ORM record of every colorization job."""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from colorize import site
from colorize.decoding import VIVIDNESS_RANGE
from gallery.models.files import JobFiles, original_upload_to, preview_upload_to, result_upload_to, thumbnail_upload_to
from gallery.models.state import JobManager, JobState

# The field's default (migrations name it gallery.models.default_vividness): the site's.
default_vividness = site.default_vividness


class ColorizationJob(JobFiles, JobState, models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Stage(models.TextChoices):
        NONE = "", "—"
        LOADING = "loading", "Reading your photo"
        COLORIZING = "colorizing", "Colorizing"
        SAVING = "saving", "Saving the result"

    class Variant(models.TextChoices):
        """The automatic colourings of one network run (colorize.pipeline.VARIANTS)."""

        CAUTIOUS = "cautious", "Cautious"
        BALANCED = "balanced", "Balanced"
        VIVID = "vivid", "Vivid"
        OTHER = "other", "Other colours"

    class Review(models.TextChoices):
        PENDING = "pending", "Awaiting review"
        APPROVED = "approved", "Approved"
        HIDDEN = "hidden", "Hidden"

    public_id = models.UUIDField("public id", default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=Status, default=Status.QUEUED, db_index=True)
    model_name = models.CharField("model", max_length=64)
    hints = models.JSONField(default=list, blank=True, help_text="Colour hints: [{x, y, color}] in original pixels.")
    vividness = models.FloatField(
        default=default_vividness,
        validators=[MinValueValidator(VIVIDNESS_RANGE[0]), MaxValueValidator(VIVIDNESS_RANGE[1])],
        help_text="0: the most conservative colours, 1: the most vivid.",
    )
    suggestions = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="Colours the model found likely, per cell of a small grid (colorize.decoding.suggestions), "
        "kept by the worker for the hint tool.",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The job this one re-colorizes (with hints).",
    )

    display_name = models.CharField(max_length=100, help_text="Sanitised from the uploaded file's name.")
    had_colour = models.BooleanField(
        default=False, help_text="The upload was already a colour photo: its grey version was colorized."
    )
    original = models.FileField(upload_to=original_upload_to, max_length=255)
    original_width = models.PositiveIntegerField(default=0)
    original_height = models.PositiveIntegerField(default=0)
    original_bytes = models.PositiveBigIntegerField("uploaded size (bytes)", default=0)
    original_preview = models.FileField(
        upload_to=preview_upload_to, max_length=255, blank=True, help_text="Web-sized copy of the original (WebP)."
    )

    result = models.FileField(upload_to=result_upload_to, max_length=255, blank=True)
    result_jpeg = models.FileField(upload_to=result_upload_to, max_length=255, blank=True)
    result_bytes = models.PositiveBigIntegerField("result size (bytes)", default=0)
    result_preview = models.FileField(
        upload_to=preview_upload_to, max_length=255, blank=True, help_text="Web-sized copy of the result (WebP)."
    )
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, max_length=255, blank=True)
    variant = models.CharField(
        max_length=16, choices=Variant, default=Variant.BALANCED, help_text="Which automatic colouring is the result."
    )
    shown_variant = models.CharField(
        max_length=16,
        choices=Variant,
        blank=True,
        db_default="",
        help_text="The colouring the stored result shows (variant is the one asked for): a pick that fails "
        "goes back to it.",
    )
    variants = models.FileField(
        upload_to=preview_upload_to,
        max_length=255,
        blank=True,
        help_text="Every variant's picture, thumbnail-sized, side by side in the order of Variant.",
    )
    variant_maps = models.FileField(
        upload_to=result_upload_to,
        max_length=255,
        blank=True,
        help_text="Every variant's colours at the network's resolution (npz): picking one runs no network.",
    )
    pending_files = models.JSONField(
        default=list,
        blank=True,
        help_text="Storage names a run is writing, recorded before it writes them: a run killed meanwhile "
        "leaves nothing that no row knows of (the next run, the sweep or a delete removes them).",
    )
    batch = models.UUIDField(
        null=True, blank=True, db_index=True, help_text="Jobs uploaded together share this id (the batch page's link)."
    )
    stage = models.CharField(
        max_length=16, choices=Stage, default=Stage.NONE, blank=True, help_text="What a running job is doing now."
    )

    queued_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Written every few seconds by the worker while the job runs."
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Runs started for the current request.")
    task_id = models.CharField(max_length=64, blank=True, help_text="Id of the django.tasks result that runs it.")
    queue_priority = models.SmallIntegerField(
        default=0,
        db_default=0,
        help_text="Its task's priority (higher runs first): kept so that a requeued job keeps it.",
    )
    error_message = models.TextField(blank=True)
    error_code = models.CharField(
        max_length=32, blank=True, help_text="Why it failed, as a stable name (e.g. model_failed), for the operators."
    )

    gallery_requested = models.BooleanField("show in gallery requested", default=False)
    caption = models.CharField(
        max_length=120, blank=True, help_text="The owner's words for the gallery: its public title."
    )
    taken_year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1826), MaxValueValidator(2100)],
        help_text='When the photo was taken, if the owner said: "Photo from 1908" when there is no caption.',
    )
    gallery_review = models.CharField(max_length=16, choices=Review, default=Review.PENDING)
    gallery_reviewed_at = models.DateTimeField(null=True, blank=True)

    client = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        help_text="A keyed hash of the uploader's network (never the address): for the per-client queue cap.",
    )

    created_at = models.DateTimeField(auto_now_add=True)

    objects = JobManager()

    class Meta:
        ordering = ["-queued_at"]
        indexes = [
            models.Index(fields=["status", "started_at"], name="gallery_job_status_started"),
            models.Index(fields=["gallery_requested", "gallery_review", "status"], name="gallery_job_public"),
            # The recent run times behind a waiting job's estimate.
            models.Index(fields=["status", "finished_at"], name="gallery_job_status_finished"),
        ]

    def __str__(self):
        return f"{self.display_name} ({self.model_name}, {self.status})"

    def get_absolute_url(self):
        return reverse("gallery:job_detail", args=[self.public_id])

    @property
    def is_finished(self):
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def model_spec(self):
        from colorize import registry

        try:
            return registry.get_spec(self.model_name)
        except KeyError:
            return None

    @property
    def model_title(self):
        spec = self.model_spec
        return spec.title if spec else self.model_name

    @property
    def takes_hints(self):
        spec = self.model_spec
        return bool(spec and spec.takes_hints)

    @property
    def has_vividness(self):
        """Whether vividness changes this job's model (those that predict a colour distribution)."""
        spec = self.model_spec
        return bool(spec and spec.vividness is not None)

    @property
    def offers_variants(self):
        """Whether another automatic colouring can be picked now: finished, with the colours
        its run of the network kept."""
        return self.status == self.Status.SUCCEEDED and bool(self.variant_maps)

    @property
    def variant_choices(self):
        """The automatic colourings this job offers, [{"name", "label", "chosen", "offset"}] in the
        order of its variants picture (``offset``: the tile's left edge, a percentage of that
        picture's width); [] for a job without them."""
        if not self.variants:
            return []
        count = len(self.Variant.choices)
        return [
            {
                "name": name,
                "label": label,
                "chosen": name == self.variant,
                "offset": round(100 * index / (count - 1), 4),
            }
            for index, (name, label) in enumerate(self.Variant.choices)
        ]

    def suggested_colours(self, x, y):
        """The colours the worker's run found likely at (x, y) in original pixels, most likely
        first: [{"color": "#rrggbb", "probability": p}]; [] when the run kept none."""
        grid = self.suggestions or {}
        rows, columns, cells = grid.get("rows"), grid.get("columns"), grid.get("cells")
        if not (rows and columns and cells and self.original_width and self.original_height):
            return []
        row = min(int(y * rows / self.original_height), rows - 1)
        column = min(int(x * columns / self.original_width), columns - 1)
        return [{"color": colour, "probability": probability} for colour, probability in cells[row * columns + column]]

    @property
    def version_parts(self):
        """What sets this version of a photo apart: its model, its vividness (where the model
        has one) and its colour points."""
        parts = [self.model_title]
        if self.has_vividness:
            parts.append(f"vividness {self.vividness:.2f}")
        if self.hints:
            count = len(self.hints)
            parts.append(f"{count} colour point{'s' if count != 1 else ''}")
        return parts

    @property
    def version_label(self):
        """E.g. "Compact · vividness 0.25 · 10 colour points"."""
        return " · ".join(self.version_parts)

    def upload(self):
        """The job of the upload this version comes from, following ``parent`` up (itself
        for an upload)."""
        job, seen = self, {self.pk}
        while job.parent is not None and job.parent_id not in seen:
            job = job.parent
            seen.add(job.pk)
        return job

    @property
    def gallery_title(self):
        """What the public gallery calls this photo: the owner's caption, else the year they
        gave, else a neutral title; never the uploader's file name or an internal number."""
        if self.caption:
            return self.caption
        if self.taken_year:
            return f"Photo from {self.taken_year}"
        return "A colorized photo"

    @property
    def duration(self):
        """Seconds from the start of the current run to its end (or to now while it runs)."""
        if not self.started_at:
            return None
        end = self.finished_at or timezone.now()
        return max((end - self.started_at).total_seconds(), 0.0)

    @property
    def waited(self):
        """Seconds from being queued to finishing (or to now)."""
        end = self.finished_at or timezone.now()
        return max((end - self.queued_at).total_seconds(), 0.0)

    def get_gallery_url(self):
        return reverse("gallery:gallery_detail", args=[self.pk])
