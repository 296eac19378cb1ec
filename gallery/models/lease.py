"""Who ran a site-wide step last (issue #35): one row per step group, so that one worker at a
time does what the whole site needs once a minute (gallery.services.lease)."""

from django.db import models


class SweepLease(models.Model):
    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker that ran it last.")
    ran_at = models.DateTimeField(help_text="When that worker took it.")
    runs = models.PositiveBigIntegerField(default=0, help_text="How many times it has been taken, by all workers.")

    def __str__(self):
        return f"{self.name}: {self.holder} at {self.ran_at:%Y-%m-%d %H:%M:%S}"
