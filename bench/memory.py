"""Resident memory of the two tiers, measured on real processes.

    python -m bench.memory [--weights DIR] [--models compact,eccv16,siggraph17]

- Web tier: scripts/start-web (gunicorn, 2 workers, production-like: debug off) on a fresh
  SQLite database; each worker's RSS after serving /, /gallery/, /admin/login/ and /healthz
  20 times each, and whether any web process mapped an ML runtime.
- Worker tier: for each model, a fresh `manage.py gallery_worker` process: its RSS idle (after
  start-up and one sweep) and its peak (VmHWM) and RSS after colorizing one 12 MP photo; then
  one process running all the models in turn (a worker keeps each model it has loaded).
The eccv16/siggraph17 runtime files come from --weights (scripts/bench leaves seeded random
ones, converted from PyTorch files like the authors', in bench-env/work/weights).
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("/", "/gallery/", "/admin/login/", "/healthz")


def status_mb(pid, field):
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def maps_runtime(pid):
    with open(f"/proc/{pid}/maps") as handle:
        text = handle.read()
    return any(name in text for name in ("libtorch", "onnxruntime"))


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(child) for child in handle.read().split()]


def wait_for(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def web_tier(env):
    port = "8791"
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        ["scripts/start-web"],
        cwd=ROOT,
        env={**env, "HOST": "127.0.0.1", "PORT": port, "WEB_CONCURRENCY": "2"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        for _ in range(20):
            for page in PAGES:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=10) as response:
                    response.read()
        workers = children(server.pid)
        rss = [status_mb(pid, "VmRSS") for pid in workers]
        loaded = any(maps_runtime(pid) for pid in [server.pid, *workers])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(
        f"web tier: gunicorn workers' RSS after {20 * len(PAGES)} requests each round: "
        f"{', '.join(f'{mb:.0f} MB' for mb in rss)}; ML runtime mapped in a web process: {'yes' if loaded else 'no'}"
    )


CREATE_JOB = """
import sys
import django
django.setup()
from PIL import Image
from gallery.services.web import job_create
photo = Image.open(sys.argv[1])
job_create(image=photo, display_name="12 MP", model_name=sys.argv[2])
"""

FINISHED = """
import django
django.setup()
from gallery.models import ColorizationJob
print(ColorizationJob.objects.filter(status__in=("succeeded", "failed")).count(), ColorizationJob.objects.filter(status="failed").count())
"""


def worker_tier(env, models, photo):
    """One fresh worker process running one 12 MP job on each of ``models`` in turn."""
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "gallery_worker", "--no-reload", "--interval", "0.5", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(8)
        idle = status_mb(worker.pid, "VmRSS")
        for count, model in enumerate(models, start=1):
            subprocess.run([sys.executable, "-c", CREATE_JOB, str(photo), model], cwd=ROOT, env=env, check=True)
            while True:
                done = subprocess.run(
                    [sys.executable, "-c", FINISHED], cwd=ROOT, env=env, capture_output=True, text=True, check=True
                )
                finished, failed = map(int, done.stdout.split())
                if finished == count:
                    break
                time.sleep(0.5)
        peak, after = status_mb(worker.pid, "VmHWM"), status_mb(worker.pid, "VmRSS")
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    outcome = "FAILED" if failed else "ok"
    print(f"| {' then '.join(models)} | {idle:.0f} MB | {peak:.0f} MB | {after:.0f} MB | {outcome} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", default=str(ROOT / "bench-env" / "work" / "weights"))
    parser.add_argument("--models", default="compact,eccv16,siggraph17")
    parser.add_argument("--photo", default=str(ROOT / "bench-env" / "work" / "photo-12mp.jpg"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "DJANGO_SETTINGS_MODULE": "colorsite.settings.local",
            "COLORSITE_DATA_DIR": data,
            "COLORIZE_WEIGHTS_DIR": args.weights,
        }
        web_tier(env)
        print("worker tier, one 12 MP job (4000x3000) per fresh worker process:")
        print("| models | idle RSS | peak RSS | RSS after the jobs | outcome |")
        print("|---|---|---|---|---|")
        models = args.models.split(",")
        for case in [[model] for model in models] + ([models] if len(models) > 1 else []):
            subprocess.run([sys.executable, "manage.py", "flush", "--noinput"], cwd=ROOT, env=env, check=True)
            worker_tier(env, case, args.photo)


if __name__ == "__main__":
    main()
