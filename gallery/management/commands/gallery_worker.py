"""Runs the colorization jobs: django-tasks-db's worker loop, plus a sweep, and it outlives
database outages.

The sweep (gallery.services.sweeping), at start-up and then every --sweep-interval seconds in a
background thread: gives back to the queue every job whose worker stopped heartbeating and
ends that worker's task row (django-tasks-db would leave it RUNNING forever), deletes expired
jobs with their files (retention), old task rows and stale upload temporary files. The
site-wide steps run in one worker at a time (a lease row, gallery.services.lease). Each step that
fails is logged and counted (gallery.worker_health), never fatal; the metrics are gathered by
the sweep and sent by a thread of their own (gallery.metrics).

A database error (the server restarting, a dropped connection, SQLite locked for too long)
does not end the process: it is logged, every connection is closed, and the worker starts
again after a back-off (1 s, doubling up to 30 s). A job that was running then stops
heartbeating and is run again by the sweep; none is lost or recorded twice.

``/healthz`` (--health-port) says whether the job loop is alive and taking work: the loop
beats every turn and says when it will turn next (its poll interval, a back-off), and is
healthy while it keeps to that within --health-grace seconds, or runs a job (up to
--max-job-seconds). Neither a failed side step nor a database outage makes it unhealthy.
All of db_worker's options but --reload are accepted and passed on.
"""

import logging
import random
import threading
import time
from typing import Any

from django.core.management.base import CommandError
from django.db import Error as DatabaseFault
from django.db import close_old_connections, connections
from django.db.utils import OperationalError
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from gallery.services import workers
from gallery.services.sweeping import sweep
from gallery.worker_health import Liveness, health_server_start

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0
CONNECT_SECONDS = 10.0  # the PostgreSQL connect_timeout (colorsite.settings.base): one try's longest wait
HEALTH_GRACE_SECONDS = 60.0
MAX_JOB_SECONDS = 1800.0  # a 50 MP photo with SIGGRAPH17 takes minutes, not half an hour


class LoopWorker(Worker):
    """django-tasks-db 0.13.0's ``Worker``, whose loop beats :class:`Liveness` every turn (and
    says when it will turn next) and around every job: the loop's own life, which is what the
    health endpoint reports. The loop is upstream's, turn for turn."""

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        Liveness.beat(next_within=self.interval + 1)
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311  (upstream's: spread the start of a fleet)
        while self.running:
            close_old_connections()
            tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
            if not self.process_all_queues:
                tasks = tasks.filter(queue_name__in=self.queue_names)
            if self.excluded_queue_names:
                tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
            with exclusive_transaction(tasks.db):
                try:
                    task_result = tasks.get_locked()
                    retrieved_task_result = True
                    if task_result is not None:
                        task_result.claim(self.worker_id)
                except OperationalError as error:
                    retrieved_task_result = False
                    if not is_locked_database_exception(error):
                        raise
                    task_result = None  # SQLite locked: keep trying
            Liveness.database_up()
            Liveness.beat(next_within=self.interval)
            if task_result is not None:
                self.run_task(task_result)
            if self.batch and retrieved_task_result and task_result is None:
                logger.info("No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info(
                    "Run maximum tasks (%d) on worker=%s - exiting gracefully.", self._run_tasks, self.worker_id
                )
                return
            close_old_connections()
            if self.running and not task_result:
                time.sleep(self.interval)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        Liveness.job_started()
        try:
            super().run_task(db_task_result)
        finally:
            Liveness.job_ended(next_within=self.interval)


class Command(DBWorkerCommand):
    help = "Run the colorization worker (django-tasks-db's db_worker plus a sweep), surviving database outages."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--sweep-interval", type=float, default=60.0, help="Seconds between sweeps.")
        parser.add_argument(
            "--health-port",
            type=int,
            default=0,
            help="Answer GET /healthz on 127.0.0.1:PORT (the worker tier, behind the platform's proxy); 0: none.",
        )
        parser.add_argument(
            "--health-grace",
            type=float,
            default=HEALTH_GRACE_SECONDS,
            help="Seconds the job loop may be late for its next turn before /healthz answers 503.",
        )
        parser.add_argument(
            "--max-job-seconds",
            type=float,
            default=MAX_JOB_SECONDS,
            help="Seconds one job may run before /healthz answers 503 (a job stuck in the network).",
        )

    def handle(  # type: ignore[override]
        self,
        *args: Any,
        sweep_interval: float = 60.0,
        health_port: int = 0,
        health_grace: float = HEALTH_GRACE_SECONDS,
        max_job_seconds: float = MAX_JOB_SECONDS,
        **options: Any,
    ) -> None:
        Liveness.reset()
        if health_port:
            health_server_start(health_port, grace=health_grace, max_job_seconds=max_job_seconds)
        stop = threading.Event()

        def sweeper():
            while True:
                close_old_connections()
                sweep(interval=sweep_interval)
                connections.close_all()  # this thread's own: it holds none between sweeps
                if stop.wait(sweep_interval):
                    return

        thread = threading.Thread(target=sweeper, name="gallery-sweeper", daemon=True)
        if options.get("batch"):
            sweep(interval=sweep_interval, site=True)  # once, all of it, before a one-off batch
        else:
            thread.start()
        try:
            self._run_through_outages(*args, **options)
        finally:
            stop.set()
            if thread.is_alive():
                thread.join(timeout=30)  # a sweep under way would report the models again
            try:
                workers.worker_models_withdraw()
            except DatabaseFault:
                logger.warning("Could not withdraw this worker's models (the database did not answer).")

    def _run_loop(
        self,
        *,
        verbosity: int = 1,
        queue_name: str = "default",
        interval: float = 1.0,
        batch: bool = False,
        backend_name: str = "default",
        startup_delay: bool = True,
        reload: bool = False,
        max_tasks: int | None = None,
        worker_id: str = "",
        exclude_queues: str = "",
        **options: Any,
    ) -> None:
        """db_worker's handle with :class:`LoopWorker` (never under the autoreloader: the loop must
        be this process's for the outage handling and the health endpoint)."""
        self.configure_logging(verbosity)
        if reload:
            logger.warning("gallery_worker ignores --reload: restart it after a code change.")
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LoopWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        worker.run()

    def _run_through_outages(self, *args: Any, **options: Any) -> None:
        backoff = 1.0
        while True:
            started = time.monotonic()
            try:
                self._run_loop(*args, **options)
                return
            except DatabaseFault as error:
                if time.monotonic() - started > 2 * MAX_BACKOFF_SECONDS:
                    backoff = 1.0  # it had been running fine: this is a new outage
                Liveness.database_down()
                Liveness.beat(next_within=backoff + CONNECT_SECONDS)
                logger.error(
                    "Database error in the worker (%s: %s); reconnecting in %.0f s.",
                    type(error).__name__,
                    str(error).strip().splitlines()[0] if str(error).strip() else "",
                    backoff,
                )
                connections.close_all()
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
