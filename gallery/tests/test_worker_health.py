"""The worker's /healthz is its job loop's (issues #34 and #35): real ``gallery_worker``
processes with a database that goes away (a proxy on loopback cut and restored: the machine's
PostgreSQL stays up for everyone else), a CloudWatch that refuses or never answers, and no
AWS region in the environment (a stand-in instance metadata service on loopback)."""

import time
import urllib.error
import urllib.request

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult
from PIL import Image

from colorsite.testing.helpers import database_url, wait_for
from colorsite.tests.servers import TcpProxy, free_port, instance_metadata, moto_s3, silent_server
from gallery.models import ColorizationJob
from gallery.services import sweeping, web
from gallery.worker_health import Liveness

Status = ColorizationJob.Status
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def health(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return None, ""


def small_job(engine_model):
    return web.job_create(
        image=Image.linear_gradient("L").resize((64, 48)), display_name="s.png", model_name=engine_model
    )


def status_of(job):
    return ColorizationJob.objects.values_list("status", flat=True).get(pk=job.pk)


def healthy_worker(workers, *extra, env=None):
    port = free_port()
    worker = workers("--health-port", str(port), "--health-grace", "2", *extra, env=env)
    wait_for(lambda: health(port)[0] == 200, timeout=120, what="a healthy answer", worker=worker)
    return worker, port


@pytest.fixture
def reset_liveness():
    Liveness.reset()
    yield
    Liveness.reset()


def test_a_loop_that_keeps_its_time_is_healthy_whatever_its_side_steps_did(reset_liveness):
    Liveness.beat(next_within=1)
    Liveness.side_step_failed("metrics")
    healthy, line = Liveness.report(grace=5, max_job_seconds=60)
    assert healthy
    assert line == "ok: the job loop is alive and taking work; side steps failed since start: metrics 1 (see the log)"


def test_a_loop_late_past_its_grace_is_unhealthy(reset_liveness, monkeypatch):
    Liveness.beat(next_within=1)
    later = time.monotonic() + 10
    monkeypatch.setattr(time, "monotonic", lambda: later)
    healthy, line = Liveness.report(grace=5, max_job_seconds=60)
    assert not healthy
    assert line.startswith("the job loop has not turned for 9 s past its time")


def test_a_loop_on_one_job_past_the_limit_is_unhealthy(reset_liveness, monkeypatch):
    Liveness.job_started()
    later = time.monotonic() + 61
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert Liveness.report(grace=5, max_job_seconds=60) == (
        False,
        "the job loop has been on one job for 61 s (limit 60 s)",
    )


def test_a_failing_sweep_step_is_counted_and_the_others_still_run(reset_liveness, monkeypatch, caplog):
    ran = []

    def broken():
        raise TypeError("a malformed report")

    steps = (("broken", broken, 20, sweeping.WORKER), ("next", lambda: ran.append(1), 20, sweeping.SITE))
    monkeypatch.setattr(sweeping, "SWEEPS", steps)
    sweeping.sweep(site=True)
    assert Liveness.failures == {"broken": 1}
    assert ran == [1]
    assert "Sweep (broken) failed" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_healthz_stays_up_while_the_database_is_away_and_the_job_queued_meanwhile_runs_once(workers, engine_model):
    if connection.vendor != "postgresql":
        pytest.skip("the proxy stands in front of PostgreSQL (SQLite's outage is a lock: test_faults)")
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    url = database_url("colorsite-test-outage").replace(f":{db['PORT'] or 5432}/", f":{proxy.port}/", 1)
    try:
        worker, port = healthy_worker(workers, env={"DATABASE_URL": url})
        proxy.down()
        job = small_job(engine_model)  # on the test's own connection, which the outage spares
        wait_for(lambda: "database has not answered" in health(port)[1], timeout=60, what="the outage", worker=worker)
        answers = []
        deadline = time.monotonic() + 8  # four times the 2 s grace
        while time.monotonic() < deadline:
            answers.append(health(port)[0])
            time.sleep(0.2)
        assert set(answers) == {200}
        assert status_of(job) == Status.QUEUED
        proxy.up()
        wait_for(
            lambda: status_of(job) == Status.SUCCEEDED, timeout=120, what="the job after the outage", worker=worker
        )
        # The loop records the end of its job a moment after the job's row says so.
        wait_for(
            lambda: health(port)[1].startswith("ok: the job loop is alive and taking work"),
            timeout=30,
            what="the loop taking work again",
            worker=worker,
        )
        status, line = health(port)
        assert status == 200
        assert "side steps failed since start:" in line
        assert worker.process.poll() is None
        done = [row.status for row in DBTaskResult.objects.all() if row.args_kwargs["kwargs"].get("job_id") == job.pk]
        assert done == ["SUCCESSFUL"]
    finally:
        proxy.down()


@pytest.fixture(params=["refuses", "never answers"])
def broken_cloudwatch(request):
    if request.param == "refuses":
        yield f"http://127.0.0.1:{free_port()}"  # nothing listens there
    else:
        with silent_server() as url:
            yield url


@pytest.mark.django_db(transaction=True)
def test_a_broken_cloudwatch_neither_slows_the_jobs_nor_makes_the_worker_unhealthy(
    workers, engine_model, broken_cloudwatch
):
    env = {
        "COLORSITE_METRICS": "true",
        "COLORSITE_METRICS_ENDPOINT_URL": broken_cloudwatch,
        "AWS_DEFAULT_REGION": "us-east-1",
        **CREDENTIALS,
    }
    worker, port = healthy_worker(workers, env=env)
    started = time.monotonic()
    job = small_job(engine_model)
    wait_for(lambda: status_of(job) == Status.SUCCEEDED, timeout=60, what="the job", worker=worker)
    # The same small job takes about a second with the metrics off; 178 s used to be seen here.
    assert time.monotonic() - started < 15
    wait_for(lambda: "Could not publish" in worker.output(), timeout=60, what="a failed publish", worker=worker)
    wait_for(lambda: "metrics" in health(port)[1], timeout=30, what="the count", worker=worker)
    status, line = health(port)
    assert status == 200
    assert line.startswith("ok: the job loop is")
    assert "side steps failed since start: metrics" in line


@pytest.mark.django_db(transaction=True)
def test_with_no_region_set_the_worker_takes_the_instances_and_publishes(workers, monkeypatch):
    """Issue #35: boto3 never reads the region from the instance metadata; with none of
    AWS_REGION, AWS_DEFAULT_REGION or a config file (as on Elastic Beanstalk) the worker asks
    IMDSv2 itself, and its metrics reach CloudWatch (moto) in that region."""
    import boto3

    with moto_s3(monkeypatch) as endpoint, instance_metadata("eu-west-1") as imds:
        env = {
            "COLORSITE_METRICS": "true",
            "COLORSITE_METRICS_ENDPOINT_URL": endpoint,
            "COLORSITE_ENVIRONMENT": "colorsite-worker",
            "AWS_EC2_METADATA_DISABLED": None,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds,
            "AWS_CONFIG_FILE": "/nonexistent",
            **CREDENTIALS,
        }
        worker, port = healthy_worker(workers, env=env)
        cloudwatch = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="eu-west-1")
        wait_for(
            lambda: cloudwatch.list_metrics(Namespace="Colorsite", MetricName="BacklogPerWorker")["Metrics"],
            timeout=60,
            what="the metrics in eu-west-1",
            worker=worker,
        )
        assert "NoRegionError" not in worker.output()
        assert health(port) == (200, "ok: the job loop is alive and taking work\n")
