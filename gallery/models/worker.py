"""The models each worker process has installed."""

from django.db import models
from django.utils import timezone


class WorkerModel(models.Model):
    """A model a worker process has installed, as it last reported (at start-up and every
    sweep). The web tier offers the models of the workers seen within
    GALLERY_WORKER_LIVE_SECONDS: on Elastic Beanstalk its own disk holds only the bundled one."""

    worker = models.CharField(max_length=200, help_text="host:pid of the worker process.")
    model_name = models.CharField(max_length=32)
    sha256 = models.CharField(
        max_length=64, blank=True, help_text="The published weight file its graph was made from (its version)."
    )
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "model_name"], name="one_row_per_worker_and_model")]
        ordering = ["model_name", "worker"]

    def __str__(self):
        return f"{self.model_name} on {self.worker}"
