"""manage.py site_status: what the site is doing now, in a terminal (for `eb ssh`), and a check.

Prints the queue, the workers alive, the last 24 hours' jobs and failures, the job times per
model and photo size over 7 days and the last failures: what the admin's status page shows.
Exits 1 (and says why) when no worker is alive or the oldest waiting job has waited longer
than --max-wait seconds, so a cron job or an alarm can run it as a check."""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gallery import status

BARS = " ▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    top = max(counts) or 1
    return "".join(BARS[round(count / top * (len(BARS) - 1))] for count in counts)


def daily(hourly: list[tuple[datetime, int, int]]) -> list[int]:
    """Jobs per day (finished and failed) from the hourly counts, oldest first."""
    totals = [ok + bad for _, ok, bad in hourly]
    return [sum(totals[start : start + 24]) for start in range(0, len(totals), 24)]


class Command(BaseCommand):
    help = "Print the site's status (queue, workers, jobs, failures); exit 1 when no worker is alive or the queue is stuck."

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-wait", type=float, default=900.0, help="seconds the oldest waiting job may wait (default 900)"
        )

    def handle(self, *args: Any, max_wait: float = 900.0, **options: Any) -> None:
        now = status.site_status()
        self.stdout.write("\n".join(self.lines(now)) + "\n")
        problems = []
        if not now.workers:
            problems.append(f"no worker has reported itself in the last {status.WORKER_ALIVE_WITHIN} (h:mm:ss)")
        if now.oldest_queued_seconds is not None and now.oldest_queued_seconds > max_wait:
            problems.append(
                f"the oldest waiting job has waited {now.oldest_queued_seconds:.0f} s (more than {max_wait:.0f})"
            )
        if problems:
            raise CommandError("; ".join(problems).capitalize() + ".", returncode=1)
        self.stdout.write("OK")

    def lines(self, now: status.SiteStatus) -> list[str]:
        oldest = "" if now.oldest_queued_seconds is None else f" (the oldest for {now.oldest_queued_seconds:.0f} s)"
        last_day = now.hourly_24h
        finished = sum(ok for _, ok, _ in last_day)
        failed = sum(bad for _, _, bad in last_day)
        rate = "" if now.failure_rate_24h is None else f" ({now.failure_rate_24h:.1%} failed)"
        return [
            f"Colorsite at {now.now:%Y-%m-%d %H:%M:%S %Z}",
            f"Queue: {now.queued} waiting{oldest}, {now.running} running",
            f"Workers alive: {len(now.workers)}",
            *(
                f"  {worker.name}: {', '.join(worker.models)} (seen {(now.now - worker.seen_at).total_seconds():.0f} s ago)"
                for worker in now.workers
            ),
            f"Last 24 hours: {finished} finished, {failed} failed{rate}",
            f"  per hour: {sparkline([ok + bad for _, ok, bad in last_day])}",
            "Last 7 days per day: " + ", ".join(str(count) for count in daily(now.hourly)),
            "Seconds per job (7 days): model, photo size, jobs, median, 95th percentile",
            *(f"  {t.model:<12} {t.size:<11} {t.jobs:>6} {t.median:>8.2f} {t.p95:>8.2f}" for t in now.timings),
            "Last failures:",
            *(
                f"  job {job.pk} at {job.finished_at:%Y-%m-%d %H:%M}: {job.error_code or 'unknown'} ({job.model_name})"
                for job in now.last_failures
            ),
        ]
