"""The files of a batch upload that were refused."""

from django.db import models


class RefusedUpload(models.Model):
    """A file of a batch upload that was not taken, and why: the batch page lists them for as
    long as it lists the batch's photos."""

    batch = models.UUIDField(db_index=True)
    file_name = models.CharField(max_length=100, help_text="As the browser sent it (only ever shown, escaped).")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.file_name}: {self.reason}"
