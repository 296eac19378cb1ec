"""The ORM record of every colorization job."""

import uuid
from pathlib import PurePosixPath

from django.db import models
from django.urls import reverse
from django.utils import timezone


def _generated_name(folder, filename):
    """A storage name that keeps nothing of the user's file name: a fresh random id plus the
    extension the site chose itself. Never reused, so a URL always means one picture."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in {".png", ".jpg", ".webp"}:
        suffix = ".png"
    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def original_upload_to(instance, filename):
    return _generated_name("originals", filename)


def result_upload_to(instance, filename):
    return _generated_name("results", filename)


def thumbnail_upload_to(instance, filename):
    return _generated_name("thumbnails", filename)


class ColorizationJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Review(models.TextChoices):
        PENDING = "pending", "Awaiting review"
        APPROVED = "approved", "Approved"
        HIDDEN = "hidden", "Hidden"

    public_id = models.UUIDField("public id", default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=Status, default=Status.QUEUED, db_index=True)
    model_name = models.CharField("model", max_length=64)
    hints = models.JSONField(default=list, blank=True, help_text="Colour hints: [{x, y, color}] in original pixels.")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children",
        help_text="The job this one re-colorizes (with hints).",
    )

    display_name = models.CharField(max_length=100, help_text="Sanitised from the uploaded file's name.")
    original = models.FileField(upload_to=original_upload_to, max_length=255)
    original_width = models.PositiveIntegerField(default=0)
    original_height = models.PositiveIntegerField(default=0)
    original_bytes = models.PositiveBigIntegerField("uploaded size (bytes)", default=0)

    result = models.FileField(upload_to=result_upload_to, max_length=255, blank=True)
    result_jpeg = models.FileField(upload_to=result_upload_to, max_length=255, blank=True)
    result_bytes = models.PositiveBigIntegerField("result size (bytes)", default=0)
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, max_length=255, blank=True)

    queued_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Runs started for the current request.")
    task_id = models.CharField(max_length=64, blank=True, help_text="Id of the django.tasks result that runs it.")
    error_message = models.TextField(blank=True)

    gallery_requested = models.BooleanField("show in gallery requested", default=False)
    gallery_review = models.CharField(max_length=16, choices=Review, default=Review.PENDING)
    gallery_reviewed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-queued_at"]
        indexes = [
            models.Index(fields=["status", "started_at"], name="gallery_job_status_started"),
            models.Index(fields=["gallery_requested", "gallery_review", "status"], name="gallery_job_public"),
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
    def is_public(self):
        return (
            self.gallery_requested
            and self.gallery_review == self.Review.APPROVED
            and self.status == self.Status.SUCCEEDED
        )

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

    def file_url(self, kind):
        """The immutable URL of one of the job's files: its name changes whenever the file does."""
        field = getattr(self, kind.replace("-", "_"))
        if not field:
            return ""
        return reverse("gallery:job_file", args=[self.public_id, kind, PurePosixPath(field.name).name])

    def gallery_file_url(self, kind):
        """The same file as seen from the public gallery, which never shows the private link."""
        field = getattr(self, kind.replace("-", "_"))
        if not field:
            return ""
        return reverse("gallery:gallery_file", args=[self.pk, kind, PurePosixPath(field.name).name])

    def get_gallery_url(self):
        return reverse("gallery:gallery_detail", args=[self.pk])

    def download_url(self, fmt):
        kind = "result" if fmt == "png" else "result-jpeg"
        field = getattr(self, kind.replace("-", "_"))
        if not field:
            return ""
        return reverse("gallery:job_download", args=[self.public_id, kind, PurePosixPath(field.name).name])

    # Template-friendly names for the URLs above.
    @property
    def original_url(self):
        return self.file_url("original")

    @property
    def result_url(self):
        return self.file_url("result")

    @property
    def thumbnail_url(self):
        return self.file_url("thumbnail")

    @property
    def png_download_url(self):
        return self.download_url("png")

    @property
    def jpeg_download_url(self):
        return self.download_url("jpeg")

    @property
    def gallery_original_url(self):
        return self.gallery_file_url("original")

    @property
    def gallery_result_url(self):
        return self.gallery_file_url("result")

    @property
    def gallery_thumbnail_url(self):
        return self.gallery_file_url("thumbnail")
