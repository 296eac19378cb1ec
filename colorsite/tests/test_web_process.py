"""The web tier as a process: it never loads an ML runtime (importing the URLconf and the admin
and serving the pages imports neither torch nor onnxruntime; only the task worker loads models),
and scripts/start-web's gunicorn, really started (colorsite.tests.servers), serves slow clients,
refuses oversized bodies unread, closes connections whose body went unread, sweeps its upload
spool, and survives or explains a database that went away."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import uuid4

import pytest
from django.db import connection

from colorsite.tests.servers import free_port, migrate, wait_for, web_server

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


def _get(url, timeout):
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, time.monotonic() - started


def _fetch(url, timeout=10):
    """(status, headers, body) of a GET, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def test_two_slow_clients_do_not_block_a_third_request(tmp_path):
    """scripts/start-web, as run locally and on Elastic Beanstalk, with a single worker process:
    two clients that send half a request and then wait hold a thread each, and a third request
    is still answered at once."""
    slow = []
    with web_server(tmp_path) as server:
        try:
            for _ in range(2):
                client = socket.create_connection(("127.0.0.1", server.port))
                client.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # ... and nothing more
                slow.append(client)
            time.sleep(0.5)  # the two are read as far as they go
            status, seconds = _get(server.url("/robots.txt"), timeout=10)
            assert status == 200
            assert seconds < 3, f"the third request took {seconds:.1f} s"
        finally:
            for client in slow:
                client.close()


def test_an_oversized_upload_is_refused_at_once_and_nothing_is_spooled(tmp_path):
    """A website POST announcing 200 MB gets the upload page with the reason, 413, before its
    body is read: with only 1 KB of it sent, the answer comes within a second and the upload
    spool (FILE_UPLOAD_TEMP_DIR) stays empty."""
    migrate(tmp_path)  # the page lists the gallery's latest photos
    with web_server(tmp_path) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
            head = (
                "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
            )
            started = time.monotonic()
            client.sendall(head.encode() + b"--x\r\n" + b"a" * 1024)
            response = http.client.HTTPResponse(client)
            response.begin()
            seconds = time.monotonic() - started
            body = response.read().decode()
        assert response.status == 413, body[:2000]
        assert seconds < 1, f"the 413 took {seconds:.2f} s"
        assert "largest photo we accept" in body
        assert response.getheader("Connection") == "close"
        assert list((tmp_path / "upload-tmp").iterdir()) == []


def _refused_post(conn, path, size):
    """POST ``size`` bytes without an API key or a CSRF token: refused, the body never read."""
    conn.request("POST", path, body=b"a" * size, headers={"Content-Type": "application/octet-stream"})
    response = conn.getresponse()
    response.read()
    return response


@pytest.mark.parametrize(("path", "status"), [("/api/v1/jobs", 401), ("/", 403)])
def test_a_large_body_refused_unread_is_answered_connection_close(tmp_path, path, status):
    """gunicorn will not drain more than 64 KB of a body the application did not read, and
    closes the connection instead: the answer says so (colorsite/gunicorn_config.py's
    pre_request), and the client's next request opens a new connection that works."""
    with web_server(tmp_path) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            response = _refused_post(conn, path, 300 * 1024)
            assert response.status == status
            assert response.getheader("Connection") == "close"
            assert response.will_close
            conn.request("GET", "/robots.txt")  # http.client opens a new connection
            assert conn.getresponse().status == 200
        finally:
            conn.close()


def test_a_small_body_refused_unread_keeps_the_connection(tmp_path):
    """A body gunicorn can drain (under 64 KB) keeps the connection alive: the next request on
    the same socket is answered."""
    with web_server(tmp_path) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            response = _refused_post(conn, "/api/v1/jobs", 16 * 1024)
            assert response.status == 401
            assert response.getheader("Connection", "").lower() != "close"
            assert not response.will_close
            same_socket = conn.sock
            conn.request("GET", "/robots.txt")
            second = conn.getresponse()
            assert second.status == 200
            assert b"User-agent" in second.read()
            assert conn.sock is same_socket
        finally:
            conn.close()


def test_the_web_process_sweeps_its_upload_spool(tmp_path):
    """What a killed request left in the upload spool over an hour ago is deleted by the web
    process itself (each one sweeps every GALLERY_SPOOL_SWEEP_SECONDS); a fresh file, maybe a
    live upload's, stays."""
    spool = tmp_path / "upload-tmp"
    spool.mkdir()
    stale, fresh = spool / "abc.upload.jpg", spool / "fresh.upload.jpg"
    stale.write_bytes(b"left by a killed worker")
    fresh.write_bytes(b"an upload arriving now")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(stale, (two_hours_ago, two_hours_ago))
    with web_server(tmp_path, GALLERY_SPOOL_SWEEP_SECONDS="0.5") as server:
        wait_for(lambda: not stale.exists(), timeout=10, what="the stale spool file to be deleted", log=server.log)
        assert fresh.exists()


def _postgres_url(application_name):
    """The URL of the database this test uses, its connections named ``application_name``."""
    if connection.vendor != "postgresql":
        pytest.skip(f"terminating the server's connections needs PostgreSQL, not {connection.vendor}")
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host, port = db["HOST"] or "localhost", db["PORT"] or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}?application_name={application_name}"


def _backends(application_name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_connections_the_database_dropped_cost_no_request_a_500(tmp_path):
    """The web process keeps its database connections (CONN_MAX_AGE); when the database ends
    them (a restart, a failover, an idle timeout), CONN_HEALTH_CHECKS notices before a request
    uses one, and every request is still answered."""
    name = f"colorsite-test-web-{uuid4().hex[:12]}"
    url = _postgres_url(name)
    with web_server(tmp_path, DATABASE_URL=url) as server, ThreadPoolExecutor(max_workers=8) as pool:

        def statuses(count):
            return list(pool.map(lambda _: _fetch(server.url("/"))[0], range(count)))

        assert statuses(16) == [200] * 16
        assert _backends(name) >= 1, "the server kept no connection"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", [name])
            assert all(terminated for (terminated,) in cursor.fetchall())
        wait_for(lambda: _backends(name) == 0, timeout=10, what="the server's connections to end")
        answers = statuses(40)
        assert answers == [200] * 40, server.log()


def test_a_database_that_does_not_answer_gives_a_503_page_that_says_so(tmp_path):
    """No database where DATABASE_URL points (nothing listens on that port): the upload page is
    a 503 that says the database cannot be reached, with Retry-After, and the load balancer's
    /healthz is a 503 too."""
    with web_server(tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/nothing") as server:
        status, headers, body = _fetch(server.url("/"))
        assert status == 503, body[:2000]
        assert headers["Retry-After"]
        assert "cannot reach our database" in body.decode()
        assert _fetch(server.url("/healthz"))[0] == 503


def test_a_request_to_the_real_server_writes_one_json_access_line_with_its_id(tmp_path):
    """Production's format (LOG_FORMAT=json) through scripts/start-web: the site's access line,
    no second one of gunicorn's, and no client address."""

    migrate(tmp_path)
    with web_server(tmp_path, LOG_FORMAT="json") as server:
        response = urllib.request.urlopen(f"{server.base_url}/robots.txt", timeout=10)
        request_id = response.headers["X-Request-ID"]
        time.sleep(0.5)
        lines = [json.loads(line) for line in server.log_path.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "request" and line["path"] == "/robots.txt"]
    assert len(access) >= 1
    assert access[-1]["request_id"] == request_id
    assert access[-1]["status"] == 200
    mine = [line for line in lines if line.get("request_id") == request_id]
    assert len([line for line in mine if line["event"] == "request"]) == 1
    assert not [line for line in lines if line.get("logger") == "gunicorn.access"]
    assert "127.0.0.1 - -" not in server.log_path.read_text()
