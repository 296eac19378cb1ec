"""The web tier never loads an ML runtime: importing the URLconf and the admin and serving the
pages imports neither torch nor onnxruntime (only the task worker loads models)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIMES = ("torch", "onnxruntime", "onnx")

SERVE_PAGES = f"""
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
statuses = {{path: client.get(path).status_code for path in ("/", "/gallery/", "/admin/login/")}}
print(json.dumps({{"statuses": statuses, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in {RUNTIMES!r})}}))
"""


def test_serving_pages_loads_no_model_runtime(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["COLORSITE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", SERVE_PAGES], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["statuses"] == {"/": 200, "/gallery/": 200, "/admin/login/": 200}
    assert report["loaded"] == []


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url, timeout):
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, time.monotonic() - started


def test_two_slow_clients_do_not_block_a_third_request(tmp_path):
    """scripts/start-web, as run locally and on Elastic Beanstalk, with a single worker process:
    two clients that send half a request and then wait hold a thread each, and a third request
    is still answered at once."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        COLORSITE_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="colorsite.settings.test",
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    )
    server = subprocess.Popen(
        [str(ROOT / "scripts/start-web")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/robots.txt"
    slow = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _get(url, timeout=5)[0] == 200
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        for _ in range(2):
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # ... and nothing more
            slow.append(client)
        time.sleep(0.5)
        status, seconds = _get(url, timeout=10)
        assert status == 200 and seconds < 3, f"the third request took {seconds:.1f} s"
    finally:
        for client in slow:
            client.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
