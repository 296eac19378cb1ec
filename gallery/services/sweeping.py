"""The worker's sweep, step by step (``gallery_worker`` runs :func:`sweep` at start-up and every
--sweep-interval seconds in a thread of its own). Each step that fails is logged and counted
(gallery.worker_health), never raised: the next sweep tries again, and the job loop never
waits for it. The worker's own steps run in every worker; the site-wide ones in one worker a
minute, whichever takes the lease (gallery.services.lease)."""

import logging
from collections.abc import Callable

from django.db import close_old_connections

from gallery import metrics
from gallery.services import lease, workers
from gallery.services import sweep as sweeps
from gallery.worker_health import Liveness

logger = logging.getLogger(__name__)

WORKER, SITE = "worker", "site"


def _lost_jobs() -> str | None:
    requeued, failed = sweeps.jobs_requeue_stale()
    if requeued or failed:
        return f"Lost jobs: {requeued} queued again, {failed} failed after too many attempts."
    return None


def _models_report() -> str | None:
    workers.worker_models_report()
    return None


def _abandoned_files() -> str | None:
    sweeps.abandoned_files_delete()  # logs each job's
    return None


def _retention() -> str | None:
    deleted = sweeps.jobs_delete_expired()
    if deleted.finished or deleted.failed:
        return f"Retention: deleted {deleted.finished} finished and {deleted.failed} failed job(s)."
    return None


def _upload_spool() -> str | None:
    sweeps.upload_spool_sweep()  # logs what it deleted
    return None


def _expired_sessions() -> str | None:
    sweeps.sessions_clear_expired()
    return None


def _task_rows() -> str | None:
    deleted = sweeps.task_rows_prune()
    return f"Deleted {deleted} task row(s) of jobs that ended long ago." if deleted else None


def _site_metrics() -> str | None:
    return metrics.publish(site_wide=True, own=False)


def _own_metrics() -> str | None:
    return metrics.publish(site_wide=False, own=True)


SWEEPS: tuple[tuple[str, Callable[[], str | None], int, str], ...] = (
    ("models report", _models_report, logging.INFO, WORKER),
    ("upload temporary files", _upload_spool, logging.INFO, WORKER),
    ("lost jobs", _lost_jobs, logging.WARNING, SITE),
    ("files of killed runs", _abandoned_files, logging.INFO, SITE),
    ("retention", _retention, logging.INFO, SITE),
    ("expired sessions", _expired_sessions, logging.INFO, SITE),
    ("task rows", _task_rows, logging.INFO, SITE),
    ("site metrics", _site_metrics, logging.DEBUG, SITE),
    ("metrics", _own_metrics, logging.DEBUG, WORKER),
)


def _site_turn(interval: float) -> bool:
    try:
        return lease.lease_take(lease.SITE_SWEEP, every=interval, holder=workers.worker_name())
    except Exception:
        logger.exception("Sweep (lease) failed")
        Liveness.side_step_failed("lease")
        close_old_connections()
        return False


def sweep(*, interval: float = 60.0, site: bool | None = None) -> None:
    """One sweep: this worker's steps, and the site's when this worker takes the lease for this
    ``interval`` (``site``: True or False to decide without the lease, as a one-off
    ``gallery_worker --batch`` does)."""
    site_turn = _site_turn(interval) if site is None else site
    for name, action, level, scope in SWEEPS:
        if scope == SITE and not site_turn:
            continue
        try:
            message = action()
        except Exception:
            logger.exception("Sweep (%s) failed", name)
            Liveness.side_step_failed(name)
            close_old_connections()
            continue
        if message:
            logger.log(level, message)
