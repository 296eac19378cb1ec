"""The API's writes: make and revoke keys, note a key's use, create a job owned by a key.
Deleting a job is the website's own ``gallery.services.web.job_delete``."""

from collections.abc import Sequence
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from api.keys import key_generate, key_hash
from api.models import ApiJob, ApiKey
from colorize.forms import ValidatedUpload
from colorize.hints import Hint
from gallery.models import ColorizationJob
from gallery.services import web

# A key's last use is written at most this often (one UPDATE, not one per request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_create(*, name: str) -> tuple[ApiKey, str]:
    """A new key named ``name``: the row (holding only the key's hash) and the key itself,
    which exists nowhere else: show it once."""
    for _ in range(5):
        prefix, key = key_generate()
        try:
            with transaction.atomic():
                return ApiKey.objects.create(name=name.strip(), prefix=prefix, key_hash=key_hash(key)), key
        except IntegrityError:  # the same prefix twice: 1 in 2**48; draw again
            continue
    raise RuntimeError("could not draw an unused key prefix")


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key for good: its requests are refused from now on (its jobs stay)."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_mark_used(*, api_key: ApiKey) -> None:
    """Record that the key was used now (to the minute)."""
    now = timezone.now()
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)


@transaction.atomic
def api_job_create(
    *,
    api_key: ApiKey,
    upload: ValidatedUpload,
    model_name: str,
    hints: Sequence[Hint] = (),
    vividness: float | None = None,
    variant: str = ColorizationJob.Variant.BALANCED,
) -> ColorizationJob:
    """A job from a validated upload, owned by ``api_key``, queued once this commits (with its
    owner recorded, so the worker never sees a job without one). ``vividness`` (0..1) defaults
    to settings.COLORIZE_DEFAULT_VIVIDNESS; ``variant`` is the automatic colouring its result
    shows."""
    job = web.job_create(
        image=upload.image,
        display_name=upload.filename,
        model_name=model_name,
        uploaded_bytes=upload.size,
        hints=hints,
        client=api_key.queue_client,
        vividness=vividness,
        variant=variant,
    )
    ApiJob.objects.create(key=api_key, job=job)
    return job
