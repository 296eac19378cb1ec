"""The worker's metrics (issue #27), published once a minute with its sweep when
``COLORSITE_METRICS`` is on: to CloudWatch with boto3's ``put_metric_data`` (namespace
``COLORSITE_METRICS_NAMESPACE``, default "Colorsite").

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
read). Every worker publishes the first four (the same values: read them with Maximum); the job
counts are each worker's own (read them with Sum)."""

import logging
import threading
from collections import defaultdict

from django.conf import settings

logger = logging.getLogger(__name__)

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


def metric_data() -> list[dict]:
    """This minute's datums (and the job counts start again from zero)."""
    from gallery import status

    queued, _, oldest = status.queue_now()
    alive = len(status.workers_alive())
    environment = [{"Name": "Environment", "Value": settings.COLORSITE_ENVIRONMENT}]
    data: list[dict] = [
        {"MetricName": "QueueDepth", "Dimensions": environment, "Value": queued, "Unit": "Count"},
        {"MetricName": "OldestQueuedAge", "Dimensions": environment, "Value": oldest or 0.0, "Unit": "Seconds"},
        {"MetricName": "WorkersAlive", "Dimensions": environment, "Value": alive, "Unit": "Count"},
        {"MetricName": "BacklogPerWorker", "Dimensions": environment, "Value": queued / max(alive, 1), "Unit": "Count"},
    ]
    finished, failed = _drained()
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


def publish() -> str | None:
    """Send this minute's metrics to CloudWatch when switched on; a line saying what was sent."""
    if not settings.COLORSITE_METRICS:
        return None
    import boto3

    client = boto3.client("cloudwatch", endpoint_url=settings.COLORSITE_METRICS_ENDPOINT_URL or None)
    data = metric_data()
    client.put_metric_data(Namespace=settings.COLORSITE_METRICS_NAMESPACE, MetricData=data)
    return f"Published {len(data)} metrics to CloudWatch ({settings.COLORSITE_METRICS_NAMESPACE})."
