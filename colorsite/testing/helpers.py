"""Plain helpers the tests share (no fixtures: those are in colorsite.testing.fixtures)."""

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from uuid import uuid4

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from colorize import registry, site
from research.testing import install_seeded

ROOT = Path(settings.BASE_DIR)
# The worker's heartbeat and timeout in WorkerProcess: a dead run is noticed within seconds.
HEARTBEAT, TIMEOUT = 0.2, 2
# The Redis the rate-limit tests use (database 15; each test under a key prefix of its own).
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def use_random_weights(settings, directory, name):
    """Seeded random weights for ``name`` (made once per session) in a private weights folder:
    the tests still run the real network, only untrained."""
    spec = registry.get_spec(name)
    if not (directory / spec.runtime_file).exists():
        install_seeded(spec, directory)
    settings.COLORIZE_WEIGHTS_DIR = directory
    assert spec in site.installed_models()


def create_api_key(name="test pipeline") -> str:
    """A key from `manage.py create_api_key NAME`: the last line it prints."""
    out = StringIO()
    call_command("create_api_key", name, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def create_job(engine_model, **kwargs):
    """A job made as an upload makes it (gallery.services.web.job_create), from a small grey photo."""
    from gallery.services import web
    from gallery.tests.images import grey_image

    kwargs.setdefault("display_name", "Grandma's wedding (1952).jpg")
    return web.job_create(image=grey_image(), model_name=engine_model, uploaded_bytes=1234, **kwargs)


def own(client, *jobs):
    """Make ``client``'s browser the owner of ``jobs``, as if it had uploaded them (the session's
    My photos list, gallery.mine): only the owner may change a photo."""
    from gallery import mine

    session = client.session
    session[mine.SESSION_KEY] = [str(job.public_id) for job in jobs] + mine.remembered_in(session)
    session.save()
    return jobs[0] if len(jobs) == 1 else jobs


def post_upload(client, content, *, model, name="photo.png", **extra):
    """POST one photo (``content``, bytes) to the upload page, with the other fields in ``extra``
    (``headers``: the request's)."""
    data = {"image": SimpleUploadedFile(name, content), "model": model, "g-recaptcha-response": "token", **extra}
    return client.post(reverse("gallery:upload"), data, **extra.pop("headers", {}))


def post_batch(client, files, *, model, **extra):
    """POST a batch (``files``, uploaded files) to the upload page, with the other fields in
    ``extra``."""
    data = {"image": files, "model": model, "g-recaptcha-response": "token", **extra}
    return client.post(reverse("gallery:upload"), data)


def post_hints(client, job, hints, *, model):
    """POST colour points (``hints``, JSON text) for ``job`` to its page's re-colorize form."""
    return client.post(reverse("gallery:job_recolorize", args=[job.public_id]), {"hints": hints, "model": model})


def wait_for(condition, *, timeout, what, worker=None):
    """Poll ``condition`` until it is true; past ``timeout`` seconds fail, with the end of
    ``worker``'s log (a WorkerProcess)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            log = worker.output()[-3000:] if worker else ""
            raise AssertionError(f"timed out waiting for {what}\n{log}")
        time.sleep(0.02)


def database_url(application_name):
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor != "postgresql":
        pytest.skip(f"no subprocess database URL for {connection.vendor}")
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}?application_name={application_name}"


class WorkerProcess:
    """``manage.py gallery_worker`` as production runs it (scripts/start-worker's options),
    with a short heartbeat and timeout so a dead run is noticed within seconds."""

    def __init__(self, tmp_path, engine_model, *extra, env=None):
        """``env``: variables to set (None: to remove) after the defaults."""
        self.name = f"colorsite-test-worker-{uuid4().hex[:12]}"
        self.log = tmp_path / f"{self.name}.log"
        overrides = env or {}
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "REDIS_", "DATABASE_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="colorsite.settings.test",
            DATABASE_URL=database_url(self.name),
            COLORSITE_DATA_DIR=str(tmp_path / "worker-data"),
            DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
            COLORIZE_WEIGHTS_DIR=str(settings.COLORIZE_WEIGHTS_DIR),
            COLORIZE_DEFAULT_MODEL=engine_model,
            GALLERY_HEARTBEAT_SECONDS=str(HEARTBEAT),
            GALLERY_JOB_TIMEOUT_SECONDS=str(TIMEOUT),
            PYTHONUNBUFFERED="1",
            AWS_EC2_METADATA_DISABLED="true",  # never ask 169.254.169.254 from a test
        )
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        command = [
            sys.executable,
            "manage.py",
            "gallery_worker",
            "--no-reload",
            "--interval",
            "0.2",
            "--queue-name",
            "default",
            "--no-startup-delay",
            "--sweep-interval",
            "0.5",
            *extra,
        ]
        self.handle = open(self.log, "w")  # noqa: SIM115 (closed in stop(), after the process)
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.handle, stderr=subprocess.STDOUT)

    def output(self):
        return self.log.read_text()

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        self.handle.close()
