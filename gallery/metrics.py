"""The worker's metrics (issue #27), gathered once a minute with its sweep when
``COLORSITE_METRICS`` is on and sent to CloudWatch with boto3's ``put_metric_data`` (namespace
``COLORSITE_METRICS_NAMESPACE``, default "Colorsite") by a thread of their own (issue #34): the
sweep hands the datums over (:func:`publish`) and goes on; the sender gives CloudWatch
``CONNECT_TIMEOUT`` and ``READ_TIMEOUT`` seconds and ``MAX_ATTEMPTS`` tries, and a failure is
logged and counted (``/healthz`` shows the count), never raised. The region is boto3's, else the
instance's (colorize.aws).

PutMetricData rather than the embedded metric format: the worker already talks to AWS (S3),
needs no log agent configuration for it, and the tests can check it against a real local
server (moto's). The metrics:

| name | unit | dimensions | what |
|---|---|---|---|
| QueueDepth | Count | Environment | jobs waiting |
| OldestQueuedAge | Seconds | Environment | how long the oldest waiting job has waited (0 when none) |
| WorkersAlive | Count | Environment | workers that reported themselves in the last 3 minutes |
| BacklogPerWorker | Count | Environment | jobs waiting per worker alive (the worker tier scales on it) |
| JobsFinished | Count | Environment; Environment, Model | jobs this worker finished since its last publish |
| JobsFailed | Count | Environment; Environment, Model | jobs this worker failed since its last publish |
| JobSeconds | Seconds | Environment, Model | each finished job's run time (a statistic set) |

``Environment`` is ``COLORSITE_ENVIRONMENT`` (the worker environment's name on Elastic
Beanstalk, which its scaling policy and alarms in ``.ebextensions/02-worker-scaling.config``
read). The first four are the site's: only the worker that runs the minute's site-wide sweep
publishes them (gallery.services.lease; read them with Maximum); the job counts are each
worker's own (read them with Sum). Each datum carries the time it was gathered."""

import logging
import queue
import threading
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.utils import timezone

from colorize import aws

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 3.0
MAX_ATTEMPTS = 2  # the first try and one retry (botocore's total_max_attempts)
BATCH = 20  # datums per put_metric_data call (CloudWatch takes up to 1,000 since 2023; 20 everywhere)
PENDING_LIMIT = 1000  # datums waiting for the sender; older ones are dropped (and counted) past it

_lock = threading.Lock()
_finished: dict[str, list[float]] = defaultdict(list)
_failed: dict[str, int] = defaultdict(int)


def job_ended(model: str, *, seconds: float | None = None, failed: bool = False) -> None:
    """Count a job this process ended (for the next publish)."""
    with _lock:
        if failed:
            _failed[model] += 1
        else:
            _finished[model].append(float(seconds or 0.0))


def _drained() -> tuple[dict[str, list[float]], dict[str, int]]:
    with _lock:
        finished, failed = dict(_finished), dict(_failed)
        _finished.clear()
        _failed.clear()
    return finished, failed


SITE_METRICS = ("QueueDepth", "OldestQueuedAge", "WorkersAlive", "BacklogPerWorker")
WORKER_METRICS = ("JobsFinished", "JobsFailed", "JobSeconds")


def site_data() -> list[dict]:
    """The site's datums now (the queue and the workers alive)."""
    from gallery import status

    queued, _, oldest = status.queue_now()
    alive = len(status.workers_alive())
    environment = [{"Name": "Environment", "Value": settings.COLORSITE_ENVIRONMENT}]
    return [
        {"MetricName": "QueueDepth", "Dimensions": environment, "Value": queued, "Unit": "Count"},
        {"MetricName": "OldestQueuedAge", "Dimensions": environment, "Value": oldest or 0.0, "Unit": "Seconds"},
        {"MetricName": "WorkersAlive", "Dimensions": environment, "Value": alive, "Unit": "Count"},
        {"MetricName": "BacklogPerWorker", "Dimensions": environment, "Value": queued / max(alive, 1), "Unit": "Count"},
    ]


def metric_data(*, site_wide: bool = True, own: bool = True) -> list[dict]:
    """This minute's datums: the site's (with ``site_wide``) and this worker's job counts (with
    ``own``; they start again from zero), each stamped with the time now."""
    data = site_data() if site_wide else []
    if own:
        data.extend(worker_data(*_drained()))
    now = timezone.now()
    for datum in data:
        datum["Timestamp"] = now
    return data


def worker_data(finished: dict[str, list[float]], failed: dict[str, int]) -> list[dict]:
    """This worker's job counts as datums (none when it ended no job)."""
    environment = [{"Name": "Environment", "Value": settings.COLORSITE_ENVIRONMENT}]
    data: list[dict] = []
    if finished or failed:
        data.append(
            {
                "MetricName": "JobsFinished",
                "Dimensions": environment,
                "Value": sum(len(seconds) for seconds in finished.values()),
                "Unit": "Count",
            }
        )
        data.append(
            {"MetricName": "JobsFailed", "Dimensions": environment, "Value": sum(failed.values()), "Unit": "Count"}
        )
    for model in sorted(set(finished) | set(failed)):
        dimensions = [*environment, {"Name": "Model", "Value": model}]
        seconds = finished.get(model, [])
        data.append({"MetricName": "JobsFinished", "Dimensions": dimensions, "Value": len(seconds), "Unit": "Count"})
        data.append(
            {"MetricName": "JobsFailed", "Dimensions": dimensions, "Value": failed.get(model, 0), "Unit": "Count"}
        )
        if seconds:
            data.append(
                {
                    "MetricName": "JobSeconds",
                    "Dimensions": dimensions,
                    "StatisticValues": {
                        "SampleCount": len(seconds),
                        "Sum": sum(seconds),
                        "Minimum": min(seconds),
                        "Maximum": max(seconds),
                    },
                    "Unit": "Seconds",
                }
            )
    return data


def client() -> Any:  # boto3 has no type stubs here
    """A CloudWatch client that gives up quickly: a slow or absent endpoint costs the sender a
    few seconds, never the job loop anything."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
    )
    return boto3.client(
        "cloudwatch",
        endpoint_url=settings.COLORSITE_METRICS_ENDPOINT_URL or None,
        region_name=aws.region(),
        config=config,
    )


def send(data: list[dict]) -> None:
    """put_metric_data, BATCH datums a call (raises what boto3 raises)."""
    cloudwatch = client()
    for start in range(0, len(data), BATCH):
        cloudwatch.put_metric_data(
            Namespace=settings.COLORSITE_METRICS_NAMESPACE, MetricData=data[start : start + BATCH]
        )


class Sender:
    """The thread that sends what the sweep gathered; one per process, started on first use."""

    def __init__(self) -> None:
        self.pending: queue.Queue[list[dict]] = queue.Queue()
        self.sent = self.failed = self.dropped = 0
        self.idle = threading.Event()
        self.idle.set()
        self.thread = threading.Thread(target=self._run, name="metrics-sender", daemon=True)
        self.thread.start()

    def submit(self, data: list[dict]) -> None:
        self.idle.clear()
        self.pending.put(data)
        while self.pending.qsize() * BATCH > PENDING_LIMIT:  # the endpoint is far behind: drop the oldest
            try:
                self.dropped += len(self.pending.get_nowait())
            except queue.Empty:
                break

    def _run(self) -> None:
        from gallery.worker_health import Liveness

        while True:
            data = self.pending.get()
            try:
                send(data)
            except Exception as error:  # noqa: BLE001  (boto3 and the network raise many types; metrics are a side step)
                self.failed += 1
                Liveness.side_step_failed("metrics")
                logger.warning(
                    "Could not publish %d metrics to CloudWatch (%s: %s); the worker goes on.",
                    len(data),
                    type(error).__name__,
                    error,
                    extra={"event": "metrics.failed"},
                )
            else:
                self.sent += len(data)
                logger.debug("Published %d metrics to CloudWatch.", len(data))
            finally:
                if self.pending.empty():
                    self.idle.set()


_sender: list[Sender] = []


def sender() -> Sender:
    with _lock:
        if not _sender:
            _sender.append(Sender())
        return _sender[0]


def publish(*, site_wide: bool = True, own: bool = True) -> str | None:
    """Gather this minute's metrics and hand them to the sender when switched on (it sends them
    in the background); a line saying what was handed over."""
    if not settings.COLORSITE_METRICS:
        return None
    data = metric_data(site_wide=site_wide, own=own)
    if not data:
        return None
    sender().submit(data)
    return f"Handed {len(data)} metrics to the CloudWatch sender ({settings.COLORSITE_METRICS_NAMESPACE})."
