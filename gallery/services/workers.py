"""What a worker process tells the web tier about itself: the models it has installed. Called
by ``gallery_worker`` at start-up and with every sweep."""

import functools
import logging
import os
import socket
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from colorize import registry, site
from colorize.registry import ModelSpec
from gallery.models import WorkerModel

logger = logging.getLogger(__name__)

FORGET_AFTER = timedelta(days=1)  # rows of workers long gone


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@functools.cache
def _version(name: str, mtime_ns: int) -> str:
    return site.weights_store().installed_sha256(registry.get_spec(name)) or ""


def _installed_version(spec: ModelSpec) -> str:
    """The installed graph's source sha256, read once per file (reading means parsing it)."""
    try:
        return _version(spec.name, site.weights_store().runtime_path(spec).stat().st_mtime_ns)
    except OSError:
        return ""


def worker_models_report(*, worker: str | None = None) -> list[str]:
    """Record, as seen now, the models this process has installed, forget those it no longer
    has and the rows of workers gone for a day. Returns the names recorded."""
    worker = worker or worker_name()
    now = timezone.now()
    installed = site.installed_models()
    names = [spec.name for spec in installed]
    with transaction.atomic():
        WorkerModel.objects.filter(worker=worker).exclude(model_name__in=names).delete()
        for spec in installed:
            WorkerModel.objects.update_or_create(
                worker=worker, model_name=spec.name, defaults={"seen_at": now, "sha256": _installed_version(spec)}
            )
        WorkerModel.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    return names


def worker_models_withdraw(*, worker: str | None = None) -> None:
    """This worker stops: its models are no longer offered on its account."""
    WorkerModel.objects.filter(worker=worker or worker_name()).delete()
