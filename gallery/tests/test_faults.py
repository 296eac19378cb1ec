"""Real faults against real worker processes (``manage.py gallery_worker`` in a subprocess, on
the test database): a worker SIGKILLed in the middle of a job, and the database going away
under a running worker (PostgreSQL: its connections terminated with pg_terminate_backend;
SQLite: the database locked for longer than its busy timeout). Each time the job completes
exactly once and the worker goes on."""

import io
import sqlite3
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult
from PIL import Image

from colorize import imaging
from colorsite.testing.helpers import TIMEOUT, wait_for
from colorsite.tests.servers import free_port
from gallery.models import FILE_FIELDS, ColorizationJob
from gallery.services import web

pytestmark = pytest.mark.django_db(transaction=True)
Status = ColorizationJob.Status
ROOT = Path(settings.BASE_DIR)


def status_of(job):
    return ColorizationJob.objects.values_list("status", flat=True).get(pk=job.pk)


def big_job(engine_model):
    """A job slow enough (about 19 megapixels) to be killed in the middle of its run."""
    image = Image.linear_gradient("L").resize((5000, 3750))
    return web.job_create(image=image, display_name="big.png", model_name=engine_model)


def small_job(engine_model):
    image = Image.linear_gradient("L").resize((64, 48))
    return web.job_create(image=image, display_name="small.png", model_name=engine_model)


def task_rows(job):
    return [row for row in DBTaskResult.objects.all() if row.args_kwargs.get("kwargs", {}).get("job_id") == job.pk]


def assert_completed_once(job):
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error_message
    with job.result.open("rb") as handle:
        data = handle.read()
    assert Image.open(io.BytesIO(data)).size == (job.original_width, job.original_height)
    assert b"compositeWithTrainedAlgorithmicMedia" in imaging.read_xmp(data)
    # The worker records its task row's outcome just after the job's.
    wait_for(
        lambda: not {"RUNNING", "READY"} & {row.status for row in task_rows(job)},
        timeout=30,
        what="the task rows to end",
    )
    statuses = sorted(row.status for row in task_rows(job))
    assert statuses.count("SUCCESSFUL") == 1, statuses
    assert "RUNNING" not in statuses, statuses
    assert "READY" not in statuses, statuses
    return statuses


def stored_results():
    return sorted(p.name for p in (Path(settings.MEDIA_ROOT) / "results").rglob("*") if p.is_file())


def test_a_worker_killed_mid_job_and_a_new_worker_complete_it_exactly_once(workers, engine_model):
    job = big_job(engine_model)
    first = workers()
    wait_for(
        lambda: status_of(job) == Status.RUNNING, timeout=180, what="the first worker to start the job", worker=first
    )
    first.kill()  # SIGKILL: no clean-up at all
    job.refresh_from_db()
    assert job.status == Status.RUNNING
    assert not job.result
    assert job.attempts == 1
    assert [row.status for row in task_rows(job)] == ["RUNNING"]

    time.sleep(TIMEOUT + 0.5)  # its heartbeat has stopped
    second = workers("--batch")
    assert second.process.wait(timeout=300) == 0, second.output()[-3000:]

    statuses = assert_completed_once(job)
    assert statuses == ["FAILED", "SUCCESSFUL"]  # the killed run's row ended too
    assert job.attempts == 2
    killed = next(row for row in task_rows(job) if row.status == "FAILED")
    assert killed.exception_class_path.endswith("WorkerLost")
    assert "Lost jobs: 1 queued again" in second.output()


def files_in_storage():
    media = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(media)) for path in media.rglob("*") if path.is_file()}


def files_of_rows():
    return {
        getattr(job, name).name for job in ColorizationJob.objects.all() for name in FILE_FIELDS if getattr(job, name)
    }


def test_a_worker_killed_while_storing_leaves_no_file_that_no_row_knows(workers, engine_model):
    """Killed right after the result PNG appears in storage (issue #22: the re-run succeeded,
    and the killed run's files belonged to no row, surviving the owner's Delete)."""
    job = big_job(engine_model)
    first = workers()
    results = Path(settings.MEDIA_ROOT) / "results"
    deadline = time.monotonic() + 180
    while not (results.exists() and any(results.rglob("*.png"))):
        assert time.monotonic() < deadline, first.output()[-3000:]
        time.sleep(0.001)
    first.kill()
    assert status_of(job) == Status.RUNNING  # killed before it could record its result
    assert files_in_storage() - files_of_rows()  # what it wrote belongs to no row

    time.sleep(TIMEOUT + 0.5)  # its heartbeat has stopped
    second = workers("--batch")
    assert second.process.wait(timeout=300) == 0, second.output()[-3000:]
    assert_completed_once(job)
    assert files_in_storage() == files_of_rows()
    assert "deleting" in second.output()
    assert "file(s) a killed run left" in second.output()

    job.refresh_from_db()
    web.job_delete(job=job)
    assert files_in_storage() == set()


def terminate_backends(application_name):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
            [application_name],
        )
        return cursor.fetchone()[0]


def backend_pids(application_name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return {row[0] for row in cursor.fetchall()}


def backends(application_name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return cursor.fetchone()[0]


def started_worker(workers):
    worker = workers()
    wait_for(
        lambda: "Starting worker" in worker.output(), timeout=120, what="the worker's loop to start", worker=worker
    )
    return worker


def test_worker_survives_its_database_connections_being_killed(workers, engine_model):
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL (the SQLite outage has its own test)")
    worker = started_worker(workers)
    wait_for(lambda: backends(worker.name) > 0, timeout=120, what="the worker to connect", worker=worker)

    # An outage while it waits for work: every connection it has is cut, twice. It reconnects,
    # either at once (CONN_HEALTH_CHECKS finds the dead connection before using it) or after
    # logging the error and backing off.
    for _outage in (1, 2):
        time.sleep(1)  # its loop is polling on a connection of its own
        cut = backend_pids(worker.name)
        assert terminate_backends(worker.name) > 0
        wait_for(
            lambda cut=cut: backend_pids(worker.name) - cut,
            timeout=60,
            what="the worker to reconnect",
            worker=worker,
        )
    idle = small_job(engine_model)
    wait_for(lambda: status_of(idle) == Status.SUCCEEDED, timeout=120, what="the job after the outage", worker=worker)

    # An outage in the middle of a job: the run cannot be recorded; the job's heartbeat stops,
    # the sweep queues it again, and it completes once.
    busy = big_job(engine_model)
    wait_for(lambda: status_of(busy) == Status.RUNNING, timeout=120, what="the big job to start", worker=worker)
    time.sleep(0.3)
    assert terminate_backends(worker.name) > 0
    wait_for(lambda: status_of(busy) == Status.SUCCEEDED, timeout=300, what="the big job to complete", worker=worker)

    assert worker.process.poll() is None, "the worker exited"
    assert_completed_once(idle)
    statuses = assert_completed_once(busy)
    assert statuses in (["SUCCESSFUL"], ["FAILED", "SUCCESSFUL"])
    # The run that could not be recorded left no files behind.
    expected = [
        Path(getattr(job, name).name).name for job in (idle, busy) for name in ("result", "result_jpeg", "variant_maps")
    ]
    assert stored_results() == sorted(expected)


def test_worker_survives_a_locked_sqlite_database(workers, engine_model):
    if connection.vendor != "sqlite":
        pytest.skip("locking the database file is SQLite's outage (PostgreSQL's has its own test)")
    worker = started_worker(workers)
    time.sleep(1)
    locker = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # longer than the worker's 5 s busy timeout
    try:
        wait_for(
            lambda: "Database error in the worker" in worker.output(),
            timeout=60,
            what="the lock to be noticed",
            worker=worker,
        )
    finally:
        locker.execute("COMMIT")
        locker.close()
    job = small_job(engine_model)
    wait_for(lambda: status_of(job) == Status.SUCCEEDED, timeout=120, what="the job after the lock", worker=worker)
    assert worker.process.poll() is None, "the worker exited"
    assert_completed_once(job)


def _answer(port, path):
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return None, ""


def test_the_worker_tier_answers_its_health_check_and_nothing_else(workers):
    """Elastic Beanstalk's nginx sends the worker environment's port 80 to $PORT: the worker
    answers /healthz from its own job loop (issue #23: nothing listened, so every request, the
    health checks' too, was a 502), and anything else is a 404 that says what this is."""
    port = free_port()
    worker = workers("--health-port", str(port))
    wait_for(lambda: _answer(port, "/healthz")[0] == 200, timeout=120, what="a healthy answer", worker=worker)
    assert "the job loop is alive and taking work" in _answer(port, "/healthz")[1]
    status, body = _answer(port, "/")
    assert status == 404
    assert "This is a colorization worker; it serves no pages" in body
    assert _answer(port, "/admin/login/")[0] == 404
