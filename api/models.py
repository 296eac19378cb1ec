"""API keys, and which key created which job (the API's only permission: a key sees its own
jobs). ``gallery`` knows nothing of this app: the link lives here and goes with its job."""

from django.db import models


class ApiKey(models.Model):
    name = models.CharField(max_length=100, help_text="Who or what uses this key, e.g. the museum's scanning pipeline.")
    prefix = models.CharField(
        max_length=16, unique=True, editable=False, help_text="The key's public part: csk_<prefix>_..."
    )
    key_hash = models.CharField("SHA-256 of the key", max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} (csk_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def queue_client(self) -> str:
        """What this key's jobs record as their client: the queue caps count per key."""
        return f"api:{self.prefix}"


class ApiJob(models.Model):
    """A job created through the API, and the key that owns it. Deleted with its job (by the
    API, the website's delete, the admin or the retention sweep)."""

    key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="jobs")
    job = models.OneToOneField("gallery.ColorizationJob", on_delete=models.CASCADE, related_name="api_link")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API job"

    def __str__(self):
        return f"{self.job.public_id} ({self.key.name})"
