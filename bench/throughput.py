"""The queue under load: N jobs through 1, 2, 4... worker processes on PostgreSQL.

    python -m bench.throughput [--jobs 40] [--workers 1,2,4] [--model compact] [--size 1024]

For each worker count: a fresh database (created and migrated), N jobs created the way the web
tier creates them (stored original, task enqueued on commit), then that many real
`manage.py gallery_worker` processes (the production worker command) started together; it
waits until every job has finished and prints the wall time, jobs per minute, and the checks
that no job ran twice (every job ran exactly once: attempts == 1, one task result each, every
job succeeded).
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def recreate_database(name):
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def manage(env, *args, **kwargs):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs)


CREATE_JOBS = """
import sys
import django
django.setup()
from PIL import Image
from gallery.services.web import job_create
size, count, model = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
photo = Image.linear_gradient("L").resize((size, size * 3 // 4))
for index in range(count):
    job_create(image=photo, display_name=f"bench {index}", model_name=model)
"""

REPORT = """
import django
django.setup()
from django_tasks_db.models import DBTaskResult
from gallery.models import ColorizationJob
jobs = ColorizationJob.objects.all()
print(jobs.count(), jobs.filter(status__in=("succeeded", "failed")).count(), jobs.filter(status="succeeded").count(),
      jobs.exclude(attempts=1).count(),
      DBTaskResult.objects.count(), DBTaskResult.objects.exclude(status="SUCCESSFUL").count())
"""


def run(workers, args, env):
    database = f"colorsite_throughput_{workers}"
    recreate_database(database)
    env = {**env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}"}
    manage(env, "migrate", "--verbosity", "0")
    subprocess.run(
        [sys.executable, "-c", CREATE_JOBS, str(args.size), str(args.jobs), args.model], cwd=ROOT, env=env, check=True
    )
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "gallery_worker", "--no-reload", "--interval", "0.2", "--no-startup-delay"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        while True:
            done = subprocess.run(
                [sys.executable, "-c", REPORT], cwd=ROOT, env=env, capture_output=True, text=True, check=True
            )
            total, finished, succeeded, not_once, results, unsuccessful = map(int, done.stdout.split())
            if finished == total:
                break
            if time.perf_counter() - started > args.timeout:
                sys.exit(f"timed out: {succeeded} of {total} jobs succeeded")
            time.sleep(0.5)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    seconds = time.perf_counter() - started
    print(
        f"| {workers} | {args.jobs} | {seconds:.1f} s | {args.jobs / seconds * 60:.1f} | "
        f"{args.jobs / seconds * 60 / (os.cpu_count() or 1):.1f} | {succeeded}/{total} succeeded, "
        f"{not_once} ran other than once, {results} task results ({unsuccessful} not successful) |",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--workers", default="1,2,4", help="worker process counts to try, in order")
    parser.add_argument("--model", default="compact")
    parser.add_argument("--size", type=int, default=1024, help="photo width in pixels (4:3)")
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "colorsite.settings.local"}
    print(
        f"{args.jobs} jobs of a {args.size}x{args.size * 3 // 4} photo on {args.model}, PostgreSQL 127.0.0.1:5432, "
        f"{os.cpu_count()} CPUs"
    )
    print("| worker processes | jobs | wall time | jobs per minute | per vCPU | checks |")
    print("|---|---|---|---|---|---|")
    for workers in map(int, args.workers.split(",")):
        run(workers, args, env)


if __name__ == "__main__":
    main()
