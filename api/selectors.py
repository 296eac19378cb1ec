"""The API's reads. Data or None; what that means for an HTTP answer is the view's decision."""

import hmac
from dataclasses import dataclass
from uuid import UUID

from api.keys import key_hash, key_prefix
from api.models import ApiKey
from colorize import site
from gallery.models import ColorizationJob


def api_key_get(*, key: str) -> ApiKey | None:
    """The active key that ``key`` is, or None (unknown, malformed or revoked). The hashes are
    compared in constant time."""
    prefix = key_prefix(key)
    if prefix is None:
        return None
    api_key = ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, key_hash(key)):
        return None
    return api_key


def api_job_get(*, api_key: ApiKey, public_id: UUID | str) -> ColorizationJob | None:
    """The job ``public_id`` if ``api_key`` created it, else None."""
    try:
        return ColorizationJob.objects.get(public_id=public_id, api_link__key=api_key)
    except (ColorizationJob.DoesNotExist, ValueError):
        return None


@dataclass(frozen=True)
class ModelInfo:
    name: str
    title: str
    takes_hints: bool
    default: bool


def model_list() -> list[ModelInfo]:
    """The models a job may use (installed here or by a live worker), the default one marked."""
    available = site.available_models()
    default = site.default_model_name(among=available)
    return [
        ModelInfo(name=spec.name, title=spec.title, takes_hints=spec.takes_hints, default=spec.name == default)
        for spec in available
    ]
