"""Runs the colorization jobs: django-tasks-db's worker, plus a sweep for lost jobs.

django-tasks-db leaves a task whose worker died in RUNNING forever. Jobs track their own
state, so this command first gives back to the queue every job whose worker is gone
(gallery.services.sweep.jobs_requeue_stale) and then repeats that sweep every
--sweep-interval seconds in a background thread while django-tasks-db's worker runs the
queue. All of db_worker's options are accepted and passed on.
"""

import logging
import threading

from django.db import close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from gallery.services.sweep import jobs_requeue_stale

logger = logging.getLogger(__name__)


def sweep():
    try:
        requeued, failed = jobs_requeue_stale()
    except Exception:
        logger.exception("Sweep for lost jobs failed")
        return
    if requeued or failed:
        logger.warning("Lost jobs: %d queued again, %d failed after too many attempts.", requeued, failed)


class Command(DBWorkerCommand):
    help = "Run the colorization worker (django-tasks-db's db_worker plus a sweep for lost jobs)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--sweep-interval", type=float, default=60.0, help="Seconds between sweeps for lost jobs.")

    def handle(self, *args, sweep_interval, **options):
        sweep()
        stop = threading.Event()

        def sweeper():
            while not stop.wait(sweep_interval):
                close_old_connections()
                sweep()
            connections.close_all()

        if not options.get("batch"):
            threading.Thread(target=sweeper, name="gallery-sweeper", daemon=True).start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
