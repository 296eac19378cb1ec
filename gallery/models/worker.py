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
    precision = models.CharField(
        max_length=8, default="float32", help_text="The graph it runs: float32, or int8 where it passed its self-check."
    )
    int8_check = models.TextField(
        blank=True, help_text="Its int8 self-check against float32 on this worker's CPU, and why it runs what it runs."
    )
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker", "model_name"], name="one_row_per_worker_and_model")]
        ordering = ["model_name", "worker"]

    def __str__(self):
        return f"{self.model_name} on {self.worker}"
