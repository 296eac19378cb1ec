"""Runs the colorization jobs: django-tasks-db's worker, plus a sweep, and it outlives database
outages.

The sweep (gallery.services.sweep), at start-up and then every --sweep-interval seconds in a
background thread: gives back to the queue every job whose worker stopped heartbeating and
ends that worker's task row (django-tasks-db would leave it RUNNING forever), deletes expired
jobs with their files (retention), and deletes stale upload temporary files.

A database error (the server restarting, a dropped connection, SQLite locked for too long)
does not end the process: it is logged, every connection is closed, and the worker starts
again after a back-off (1 s, doubling up to 30 s). A job that was running then stops
heartbeating and is run again by the sweep; none is lost or recorded twice.
All of db_worker's options are accepted and passed on.
"""

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.db import Error as DatabaseFault
from django.db import close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from gallery import metrics
from gallery.services import sweep as sweeps
from gallery.services import workers

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0


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


SWEEPS = (
    ("models report", _models_report, logging.INFO),
    ("lost jobs", _lost_jobs, logging.WARNING),
    ("files of killed runs", _abandoned_files, logging.INFO),
    ("retention", _retention, logging.INFO),
    ("upload temporary files", _upload_spool, logging.INFO),
    ("expired sessions", _expired_sessions, logging.INFO),
    ("metrics", metrics.publish, logging.DEBUG),
)


class Liveness:
    """When this process last swept without a failure (which means talking to the database):
    what its health endpoint reports."""

    last_good_sweep: float | None = None

    @classmethod
    def seconds_since_good_sweep(cls) -> float | None:
        return None if cls.last_good_sweep is None else time.monotonic() - cls.last_good_sweep


def sweep() -> None:
    """One sweep; any failure is logged, never raised (the next sweep tries again)."""
    failed = False
    for name, action, level in SWEEPS:
        try:
            message = action()
        except Exception:
            logger.exception("Sweep (%s) failed", name)
            close_old_connections()
            failed = True
            continue
        if message:
            logger.log(level, message)
    if not failed:
        Liveness.last_good_sweep = time.monotonic()


def health_server_start(port: int, *, stale_after: float) -> ThreadingHTTPServer:
    """Answer the platform's proxy on 127.0.0.1:``port`` (Elastic Beanstalk's nginx sends port
    80 there): GET /healthz is 200 while the sweep keeps succeeding (every ``stale_after``
    seconds at least), else 503; any other request is a 404 saying this is a worker, not the
    site. No page, no upload, nothing else is served."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/healthz":
                age = Liveness.seconds_since_good_sweep()
                if age is not None and age <= stale_after:
                    self._answer(200, f"ok: the worker's last sweep succeeded {age:.0f} s ago\n")
                else:
                    self._answer(503, "the worker has not swept successfully lately (see its log)\n")
            else:
                self._answer(404, "This is a colorization worker; it serves no pages. The site is on the web tier.\n")

        do_HEAD = do_GET

        def _answer(self, status: int, text: str) -> None:
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # nginx logs the requests already

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, name="worker-health", daemon=True).start()
    logger.info("Worker health endpoint on 127.0.0.1:%d/healthz", server.server_address[1])
    return server


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

    def handle(  # type: ignore[override]
        self, *args: Any, sweep_interval: float = 60.0, health_port: int = 0, **options: Any
    ) -> None:
        if health_port:
            health_server_start(health_port, stale_after=3 * sweep_interval + 30)
        sweep()
        stop = threading.Event()

        def sweeper():
            while not stop.wait(sweep_interval):
                close_old_connections()
                sweep()
            connections.close_all()

        thread = threading.Thread(target=sweeper, name="gallery-sweeper", daemon=True)
        if not options.get("batch"):
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

    def _run_through_outages(self, *args: Any, **options: Any) -> None:
        backoff = 1.0
        while True:
            started = time.monotonic()
            try:
                super().handle(*args, **options)
                return
            except DatabaseFault as error:
                if time.monotonic() - started > 2 * MAX_BACKOFF_SECONDS:
                    backoff = 1.0  # it had been running fine: this is a new outage
                logger.error(
                    "Database error in the worker (%s: %s); reconnecting in %.0f s.",
                    type(error).__name__,
                    str(error).strip().splitlines()[0] if str(error).strip() else "",
                    backoff,
                )
                connections.close_all()
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
