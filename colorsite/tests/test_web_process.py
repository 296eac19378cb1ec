"""The web tier never loads an ML runtime: importing the URLconf and the admin and serving the
pages imports neither torch nor onnxruntime (only the task worker loads models)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIMES = ("torch", "onnxruntime", "onnx")

SERVE_PAGES = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
statuses = {path: client.get(path).status_code for path in ("/", "/gallery/", "/admin/login/")}
print(json.dumps({"statuses": statuses, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in %r)}))
""" % (RUNTIMES,)


def test_serving_pages_loads_no_model_runtime(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["COLORSITE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", SERVE_PAGES], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["statuses"] == {"/": 200, "/gallery/": 200, "/admin/login/": 200}
    assert report["loaded"] == []
