"""What a worker process tells the web tier about itself: the models it has installed. Called
by ``gallery_worker`` at start-up and with every sweep."""

import functools
import logging
import os
import socket
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from colorize import int8, registry, site
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


_said: dict[str, tuple[str, str]] = {}


def _precision_line(spec: ModelSpec, choice: int8.Choice) -> None:
    """Say which graph a model runs and why, once per process and whenever that changes: the
    operator's answer to "is int8 on, and if not, why not"."""
    said = (choice.precision, choice.reason)
    if _said.get(spec.name) == said:
        return
    _said[spec.name] = said
    failed = choice.report is not None and choice.precision == int8.FLOAT32  # switched off: no report
    logger.log(
        logging.WARNING if failed else logging.INFO,
        "model %s runs %s: %s",
        spec.name,
        choice.precision,
        choice.reason,
        extra={"event": "worker.model_precision", "model": spec.name, "precision": choice.precision},
    )


def worker_models_report(*, worker: str | None = None) -> list[str]:
    """Record, as seen now, the models this process has installed and which graph it runs for
    each (saying so in the log when that changes), forget those it no longer has and the rows
    of workers gone for a day. Returns the names recorded."""
    worker = worker or worker_name()
    now = timezone.now()
    installed = site.installed_models()
    names = [spec.name for spec in installed]
    choices = {spec.name: site.precision(spec) for spec in installed}
    for spec in installed:
        _precision_line(spec, choices[spec.name])
    with transaction.atomic():
        WorkerModel.objects.filter(worker=worker).exclude(model_name__in=names).delete()
        for spec in installed:
            choice = choices[spec.name]
            WorkerModel.objects.update_or_create(
                worker=worker,
                model_name=spec.name,
                defaults={
                    "seen_at": now,
                    "sha256": _installed_version(spec),
                    "precision": choice.precision,
                    "int8_check": choice.reason,
                },
            )
        WorkerModel.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    return names


def worker_models_withdraw(*, worker: str | None = None) -> None:
    """This worker stops: its models are no longer offered on its account."""
    WorkerModel.objects.filter(worker=worker or worker_name()).delete()
