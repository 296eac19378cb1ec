"""What an operator sees (issue #27): the admin's status page, `manage.py site_status` and the
worker's CloudWatch metrics (against moto's real server)."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from colorsite.tests.servers import moto_s3
from gallery import metrics
from gallery.models import ColorizationJob, WorkerModel
from gallery.services import web, worker
from gallery.tests.factories import ColorizationJobFactory
from gallery.tests.images import grey_photo

pytestmark = pytest.mark.django_db
STATUS = "/admin/status/"


def live_worker(name="ip-10-0-0-7:4242", seen=timedelta(seconds=20)):
    return WorkerModel.objects.create(worker=name, model_name="compact", seen_at=timezone.now() - seen)


def a_failed_job():
    job = ColorizationJobFactory(failed=True, model_name="compact")
    ColorizationJob.objects.filter(pk=job.pk).update(error_code="model_failed")
    return job


def test_the_status_page_shows_the_queue_workers_failures_and_timings_to_staff(admin_client):
    live_worker()
    ColorizationJobFactory(queued_at=timezone.now() - timedelta(minutes=5))
    ColorizationJobFactory(succeeded=True)
    failed = a_failed_job()
    response = admin_client.get(STATUS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert "Queue: <strong>1</strong> waiting (the oldest for 300 s)" in html
    assert "ip-10-0-0-7:4242: compact" in html
    assert f'change/">{failed.pk}</a>' in html.replace(
        reverse("admin:gallery_colorizationjob_change", args=[failed.pk]), "change/"
    )
    assert "<code>model_failed</code>" in html
    assert "<strong>50%</strong>" in html
    assert html.count('data-chart="') == 2
    assert "<svg" in html
    assert "<script" not in html.split("site-status")[1]
    assert "compact</td><td>up to 1 MP</td><td>1</td>" in html


def test_the_status_page_refuses_anonymous_visitors_and_logins_that_are_not_staff(client, django_user_model):
    assert client.get(STATUS).status_code == 302
    assert "/admin/login/" in client.get(STATUS)["Location"]
    user = django_user_model.objects.create_user("visitor", password="a long password 123")
    client.force_login(user)
    response = client.get(STATUS)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_site_status_exits_0_with_a_live_worker():
    live_worker()
    out = io.StringIO()
    call_command("site_status", stdout=out)
    assert "Workers alive: 1" in out.getvalue()
    assert out.getvalue().rstrip().endswith("OK")


def test_site_status_exits_1_with_no_live_worker():
    live_worker(seen=timedelta(minutes=10))  # gone quiet
    with pytest.raises(CommandError, match="No worker has reported itself") as raised:
        call_command("site_status", stdout=io.StringIO())
    assert raised.value.returncode == 1


def test_site_status_exits_1_when_the_oldest_job_waited_too_long():
    live_worker()
    ColorizationJobFactory(queued_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(CommandError, match="waited 36\\d\\d s") as raised:
        call_command("site_status", "--max-wait", "600", stdout=io.StringIO())
    assert raised.value.returncode == 1


def test_site_status_prints_the_failures_with_their_codes():
    live_worker()
    failed = a_failed_job()
    out = io.StringIO()
    call_command("site_status", stdout=out)
    assert f"job {failed.pk} at" in out.getvalue()
    assert "model_failed (compact)" in out.getvalue()


@pytest.fixture
def cloudwatch(settings, monkeypatch):
    """moto's real server as CloudWatch, the metrics switched on against it."""
    import boto3

    with moto_s3(monkeypatch) as endpoint:  # moto's one server answers every service
        settings.COLORSITE_METRICS = True
        settings.COLORSITE_METRICS_ENDPOINT_URL = endpoint
        settings.COLORSITE_ENVIRONMENT = "colorsite-worker"
        metrics._drained()  # nothing left over from other tests
        yield boto3.client("cloudwatch", endpoint_url=endpoint)


def test_a_worker_that_ran_jobs_publishes_queue_depth_jobs_finished_and_job_seconds(cloudwatch, engine_model):
    from PIL import Image

    live_worker()
    image = Image.open(io.BytesIO(grey_photo(48, 32))).convert("RGB")
    done = web.job_create(image=image, model_name=engine_model, display_name="a.jpg")
    web.job_create(image=image, model_name=engine_model, display_name="b.jpg")  # stays queued
    worker.job_run(job_id=done.pk)
    assert "Handed" in metrics.publish()
    assert metrics.sender().idle.wait(timeout=30)
    assert metrics.sender().failed == 0
    listed = cloudwatch.list_metrics(Namespace="Colorsite")["Metrics"]
    names = {(metric["MetricName"], tuple((d["Name"], d["Value"]) for d in metric["Dimensions"])) for metric in listed}
    here = ("Environment", "colorsite-worker")
    assert {
        ("QueueDepth", (here,)),
        ("OldestQueuedAge", (here,)),
        ("WorkersAlive", (here,)),
        ("BacklogPerWorker", (here,)),
        ("JobsFinished", (here,)),
        ("JobsFinished", (here, ("Model", engine_model))),
        ("JobsFailed", (here, ("Model", engine_model))),
        ("JobSeconds", (here, ("Model", engine_model))),
    } <= names
    now = timezone.now()
    depth = cloudwatch.get_metric_statistics(
        Namespace="Colorsite",
        MetricName="QueueDepth",
        Dimensions=[{"Name": "Environment", "Value": "colorsite-worker"}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5),
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert [point["Maximum"] for point in depth] == [1.0]


def test_metrics_are_off_unless_switched_on(settings):
    settings.COLORSITE_METRICS = False
    assert metrics.publish() is None


def test_the_worker_gathers_its_metrics_with_every_sweep():
    from gallery.services.sweeping import SWEEPS

    assert {"metrics", "site metrics"} <= {name for name, _, _, _ in SWEEPS}


def test_each_datum_carries_the_time_it_was_gathered(settings):
    """The sender may send a minute late (a slow endpoint): the datum keeps its own minute."""
    before = timezone.now()
    data = metrics.metric_data()
    assert {datum["MetricName"] for datum in data} >= set(metrics.SITE_METRICS)
    assert all(before <= datum["Timestamp"] <= timezone.now() for datum in data)


def test_cloudwatch_is_given_short_timeouts_and_few_tries(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    config = metrics.client().meta.config
    assert (config.connect_timeout, config.read_timeout) == (metrics.CONNECT_TIMEOUT, metrics.READ_TIMEOUT)
    assert config.retries["total_max_attempts"] == metrics.MAX_ATTEMPTS
