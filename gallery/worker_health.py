"""What the worker's ``/healthz`` reports (issues #34, #35): whether this process's job loop is
alive and taking work, never whether every side step succeeded.

The loop (``gallery_worker``) says when it will turn next (:meth:`Liveness.beat`: after its
poll interval, after a database back-off) and when it runs a job. It is healthy while it keeps
those promises, with ``grace`` seconds to spare, and while a job runs (up to
``max_job_seconds``). A database outage is reported (the loop is alive, retrying) but is not a
reason to replace the instance: replacing every worker at once would not bring the database
back. The side steps (the sweep's steps, the metrics) count their failures here: logged where
they happen, shown in the health answer, never fatal.
"""

import logging
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

_lock = threading.Lock()


class Liveness:
    due_by: float | None = None  # monotonic time by which the loop said it would turn again
    job_since: float | None = None
    database_down_since: float | None = None
    failures: Counter[str] = Counter()

    @classmethod
    def beat(cls, *, next_within: float) -> None:
        """The loop turned (or is about to sleep): it turns again within ``next_within`` s."""
        with _lock:
            cls.due_by = time.monotonic() + next_within

    @classmethod
    def database_up(cls) -> None:
        with _lock:
            cls.database_down_since = None

    @classmethod
    def database_down(cls) -> None:
        with _lock:
            if cls.database_down_since is None:
                cls.database_down_since = time.monotonic()

    @classmethod
    def job_started(cls) -> None:
        with _lock:
            cls.job_since = time.monotonic()

    @classmethod
    def job_ended(cls, *, next_within: float) -> None:
        with _lock:
            cls.job_since = None
            cls.due_by = time.monotonic() + next_within

    @classmethod
    def side_step_failed(cls, name: str) -> None:
        with _lock:
            cls.failures[name] += 1

    @classmethod
    def reset(cls) -> None:
        with _lock:
            cls.due_by = cls.job_since = cls.database_down_since = None
            cls.failures = Counter()

    @classmethod
    def report(cls, *, grace: float, max_job_seconds: float) -> tuple[bool, str]:
        """(healthy, one line saying why)."""
        now = time.monotonic()
        with _lock:
            due_by, job_since, down_since, failures = cls.due_by, cls.job_since, cls.database_down_since, cls.failures
            failed = ", ".join(f"{name} {count}" for name, count in sorted(failures.items()))
        side = f"; side steps failed since start: {failed} (see the log)" if failed else ""
        if job_since is not None:
            running = now - job_since
            if running <= max_job_seconds:
                return True, f"ok: the job loop is running a job (for {running:.0f} s){side}"
            return False, f"the job loop has been on one job for {running:.0f} s (limit {max_job_seconds:.0f} s){side}"
        if due_by is None:
            return False, "the job loop has not started yet"
        late = now - due_by
        if late > grace:
            return False, f"the job loop has not turned for {late:.0f} s past its time (see the log){side}"
        if down_since is not None:
            return True, (
                f"ok: the job loop is alive; the database has not answered for {now - down_since:.0f} s "
                f"(retrying){side}"
            )
        return True, f"ok: the job loop is alive and taking work{side}"


def health_server_start(port: int, *, grace: float, max_job_seconds: float) -> ThreadingHTTPServer:
    """Answer the platform's proxy on 127.0.0.1:``port`` (Elastic Beanstalk's nginx sends port
    80 there): GET /healthz is 200 while the job loop is alive (:meth:`Liveness.report`), else
    503; any other request is a 404 saying this is a worker, not the site. No page, no upload,
    nothing else is served."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/healthz":
                healthy, line = Liveness.report(grace=grace, max_job_seconds=max_job_seconds)
                self._answer(200 if healthy else 503, line + "\n")
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
