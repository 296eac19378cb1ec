"""The web tier as it really runs, for the tests: scripts/start-web (gunicorn) in a subprocess of
its own, on a free port of 127.0.0.1, with one worker process."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, *, timeout: float, what: str, log=lambda: "") -> None:
    """Until ``condition()`` is true, or an AssertionError naming ``what`` (and ``log()``) after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{log()}")
        time.sleep(0.05)


def site_environment(data_dir: Path, **overrides: str | None) -> dict[str, str]:
    """This process's environment for a run of the site keeping its files in ``data_dir``: no
    database, Redis or storage of the shell's (SQLite in ``data_dir`` unless ``overrides`` name
    a DATABASE_URL), the test settings. An override of None removes that variable."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "REDIS_", "AWS_"))}
    env.update(
        COLORSITE_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="colorsite.settings.test",
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
        SITE_VENV=sys.prefix,  # scripts/start-* run the tests' own interpreter
        PYTHONUNBUFFERED="1",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def migrate(data_dir: Path, **overrides: str | None) -> None:
    """``manage.py migrate`` for the site run with the same arguments (its SQLite file in ``data_dir``)."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=site_environment(data_dir, **overrides),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@dataclass
class WebServer:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]


def _answers(server: WebServer) -> bool:
    if server.process.poll() is not None:
        raise AssertionError(f"gunicorn exited ({server.process.returncode}) before it answered\n{server.log()}")
    try:
        with urllib.request.urlopen(server.url("/robots.txt"), timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def web_server(data_dir: Path, **overrides: str | None) -> Iterator[WebServer]:
    """scripts/start-web with HOST=127.0.0.1, a free PORT and WEB_CONCURRENCY=1, its files in
    ``data_dir`` (the environment of ``site_environment``, ``overrides`` last), once GET
    /robots.txt answers. Its output goes to ``data_dir``/gunicorn.log; on exit
    its process group gets SIGTERM (gunicorn's graceful stop) and is waited for."""
    port = free_port()
    env = site_environment(data_dir, **{"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1", **overrides})
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "gunicorn.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(ROOT / "scripts/start-web")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = WebServer(process=process, port=port, log_path=log_path)
    try:
        wait_for(lambda: _answers(server), timeout=START_TIMEOUT, what="gunicorn to answer", log=server.log)
        yield server
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@contextmanager
def moto_s3(monkeypatch) -> Iterator[str]:
    """moto's real standalone S3 server on loopback, with test credentials in the environment;
    yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


class TcpProxy:
    """A TCP proxy on a port of 127.0.0.1 to ``target`` (host, port), which can be cut and
    restored: ``down()`` closes its listening socket and every connection through it (a
    database that went away, refusing new connections), ``up()`` listens on the same port again.
    A stand-in for stopping a shared server that other processes use."""

    def __init__(self, target: tuple[str, int]) -> None:
        import threading

        self.target = target
        self.port = free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self.up()

    def up(self) -> None:
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._open = self._open, []
        if listener is not None:
            listener.close()
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        import threading

        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@contextmanager
def silent_server() -> Iterator[str]:
    """An HTTP endpoint on loopback that accepts connections and never answers; yields its URL."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        with suppress(OSError):
            while True:
                held.append(listener.accept()[0])  # read nothing, answer nothing

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for sock in held:
            sock.close()


@contextmanager
def instance_metadata(region: str) -> Iterator[str]:
    """A stand-in for EC2's instance metadata service (IMDSv2: PUT /latest/api/token, then with
    the token GET /latest/meta-data/placement/availability-zone/, which botocore reads, or
    .../placement/region) on loopback; yields its URL, for AWS_EC2_METADATA_SERVICE_ENDPOINT."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    token = "test-token"

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            self._answer(200 if self.path == "/latest/api/token" else 404, token)

        def do_GET(self) -> None:
            answers = {
                "/latest/meta-data/placement/region": region,
                "/latest/meta-data/placement/availability-zone/": f"{region}a",
                "/latest/meta-data/placement/availability-zone": f"{region}a",
            }
            if self.path not in answers:
                self._answer(404, "")
            elif self.headers.get("X-aws-ec2-metadata-token") != token:
                self._answer(401, "")
            else:
                self._answer(200, answers[self.path])

        def _answer(self, status: int, text: str) -> None:
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
