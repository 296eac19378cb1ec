"""fetch_weights against a real HTTP server on loopback: good, wrong, truncated, 404, no network,
plus local files, directory mirrors, --sha256 and the conversion for the runtime."""

import hashlib
import io
import socket
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import torch
from django.core.management import CommandError, call_command
from PIL import Image

from colorize import pipeline, registry, runtime, site, weights
from colorize.errors import ColorizeError
from colorize.hints import network_inputs
from research.testing import seeded_state_dict


def _saved(state):
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


# A real weight file in the compact network's layout (about 5 MB): what the server hands out.
PAYLOAD = _saved(seeded_state_dict("compact"))
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Handler(BaseHTTPRequestHandler):
    """/good.pth: the payload (honours Range); /wrong.pth: other bytes; /flaky.pth: breaks off
    the first ``flaky_breaks`` times, then serves the rest with Range; /short.pth: always breaks."""

    def log_message(self, *args):
        pass

    def _send(self, body, *, total=None, start=0, break_after=None):
        total = len(body) if total is None else total
        if start:
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(total - start))
        self.end_headers()
        chunk = body[start:]
        if break_after is not None:
            self.wfile.write(chunk[:break_after])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(chunk)

    def do_GET(self):
        server = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        start = 0
        if self.headers.get("Range", "").startswith("bytes="):
            start = int(self.headers["Range"][6:].split("-")[0])
        name = self.path.rsplit("/", 1)[-1]
        if name == "good.pth" or self.path == "/mirror/tiny.pth":
            self._send(PAYLOAD, start=start)
        elif name == "wrong.pth":
            self._send(PAYLOAD[::-1], start=start)
        elif name == "flaky.pth":
            if server.flaky_breaks > 0:
                server.flaky_breaks -= 1
                self._send(PAYLOAD, start=start, break_after=100_000)
            else:
                self._send(PAYLOAD, start=start)
        elif name == "short.pth":
            self._send(PAYLOAD, start=start, break_after=1000)
        else:
            self.send_error(404)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.requests = []
    httpd.flaky_breaks = 2
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def base_url(server):
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def tiny_model(settings, tmp_path, monkeypatch, base_url):
    """A registry model whose weights are a 512 KiB file served on loopback."""
    settings.COLORIZE_WEIGHTS_DIR = tmp_path / "weights"
    spec = replace(
        registry.get_spec("compact"),
        name="tiny",
        bundled=False,
        source_file="tiny.pth",
        runtime_file="tiny.onnx",
        sha256=SHA,
        url=f"{base_url}/good.pth",
    )
    monkeypatch.setitem(registry.MODELS, "tiny", spec)
    return spec


def use_url(spec, monkeypatch, path):
    changed = replace(spec, url=spec.url.rsplit("/", 1)[0] + "/" + path)
    monkeypatch.setitem(registry.MODELS, spec.name, changed)
    return changed


def left_in(directory):
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_good_download_is_verified_and_installed(tiny_model, capsys):
    assert "tiny" not in [spec.name for spec in site.installed_models()]
    call_command("fetch_weights", "tiny", verbosity=0)
    target = site.weights_store().source_path(tiny_model)
    assert target.read_bytes() == PAYLOAD
    assert "tiny" in [spec.name for spec in site.installed_models()]
    assert f"sha256 {SHA} verified" in capsys.readouterr().out
    assert left_in(target.parent) == ["tiny.onnx", "tiny.pth"]


def test_wrong_hash_fails_clearly_and_leaves_nothing(tiny_model, monkeypatch):
    use_url(tiny_model, monkeypatch, "wrong.pth")
    with pytest.raises(CommandError):
        call_command("fetch_weights", "tiny", verbosity=0)
    with pytest.raises(weights.FetchError, match="not the expected one.*sha256"):
        site.weights_store().fetch(registry.get_spec("tiny"), progress=False)
    assert left_in(site.weights_store().source_path(tiny_model).parent) == []
    assert "tiny" not in [spec.name for spec in site.installed_models()]


def test_broken_transfer_resumes_with_range(tiny_model, monkeypatch, server):
    spec = use_url(tiny_model, monkeypatch, "flaky.pth")
    assert site.weights_store().fetch(spec, retries=3, progress=False) == site.weights_store().runtime_path(spec)
    assert site.weights_store().source_path(spec).read_bytes() == PAYLOAD
    ranges = [header for _, header in server.requests]
    assert len(ranges) == 3
    assert ranges[0] is None
    offsets = [int(header[6:-1]) for header in ranges[1:]]
    assert 0 < offsets[0] < offsets[1] < len(PAYLOAD)


def test_transfer_that_keeps_breaking_fails_clearly(tiny_model, monkeypatch, server):
    spec = use_url(tiny_model, monkeypatch, "short.pth")
    with pytest.raises(weights.FetchError, match="broke off.*tried 3 times"):
        site.weights_store().fetch(spec, retries=2, progress=False)
    assert len(server.requests) == 3
    assert not site.weights_store().source_path(spec).exists()


def test_404_fails_clearly(tiny_model, monkeypatch):
    spec = use_url(tiny_model, monkeypatch, "missing.pth")
    with pytest.raises(weights.FetchError, match="404"):
        site.weights_store().fetch(spec, progress=False)
    with pytest.raises(CommandError, match="1 of 1 downloads failed"):
        call_command("fetch_weights", "tiny", verbosity=0)


def test_no_network_fails_clearly(tiny_model, monkeypatch):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = replace(tiny_model, url=f"http://127.0.0.1:{port}/x.pth")
    with pytest.raises(weights.FetchError, match="could not connect.*no network"):
        site.weights_store().fetch(spec, retries=1, timeout=2, progress=False)
    assert left_in(site.weights_store().source_path(spec).parent) == []


def test_source_url_overrides_the_registry_url(tiny_model, monkeypatch, base_url):
    spec = use_url(tiny_model, monkeypatch, "missing.pth")
    call_command("fetch_weights", "tiny", "--source", f"{base_url}/good.pth", verbosity=0)
    assert site.weights_store().source_path(spec).read_bytes() == PAYLOAD


def test_source_url_of_a_directory_mirror(tiny_model, monkeypatch, base_url, server):
    use_url(tiny_model, monkeypatch, "missing.pth")
    call_command("fetch_weights", "tiny", "--source", f"{base_url}/mirror/", verbosity=0)
    assert site.weights_store().source_path(tiny_model).read_bytes() == PAYLOAD
    assert server.requests[-1][0] == "/mirror/tiny.pth"


def test_source_local_file(tiny_model, tmp_path):
    source = tmp_path / "download.bin"
    source.write_bytes(PAYLOAD)
    call_command("fetch_weights", "tiny", "--source", str(source), verbosity=0)
    assert site.weights_store().source_path(tiny_model).read_bytes() == PAYLOAD


def test_source_directory_mirror(tiny_model, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tiny.pth").write_bytes(PAYLOAD)
    call_command("fetch_weights", "tiny", "--source", str(mirror), verbosity=0)
    assert site.weights_store().source_path(tiny_model).read_bytes() == PAYLOAD


def test_source_local_file_with_the_wrong_hash(tiny_model, tmp_path):
    source = tmp_path / "bad.bin"
    source.write_bytes(b"not the weights")
    with pytest.raises(CommandError):
        call_command("fetch_weights", "tiny", "--source", str(source), verbosity=0)
    assert left_in(site.weights_store().source_path(tiny_model).parent) == []


def test_missing_local_source(tiny_model, tmp_path):
    with pytest.raises(weights.FetchError, match="does not exist"):
        site.weights_store().fetch(tiny_model, source=tmp_path / "nowhere.pth", progress=False)


def test_unknown_model_name():
    with pytest.raises(CommandError, match="unknown model"):
        call_command("fetch_weights", "nope", verbosity=0)


def test_the_installed_model_runs_like_the_published_network(tiny_model):
    call_command("fetch_weights", "tiny", verbosity=0)
    l_norm = pipeline.network_input(Image.linear_gradient("L").resize((64, 64)), 256)
    hint_ab, hint_mask = network_inputs((), (64, 64))
    ours = runtime.run(site.model("tiny"), {"l_norm": l_norm, "hint_ab": hint_ab, "hint_mask": hint_mask})["logits"]
    assert np.abs(ours - torch_compact_logits(l_norm, hint_ab, hint_mask)).max() < 1e-4


def torch_compact_logits(*inputs):
    from research.networks import build_network

    model = build_network("compact").eval()
    model.load_state_dict(torch.load(io.BytesIO(PAYLOAD), weights_only=True))
    with torch.inference_mode():
        return model.logits(*(torch.from_numpy(x) for x in inputs)).numpy()


def test_installed_and_verified_is_not_fetched_again(tiny_model, server, capsys):
    call_command("fetch_weights", "tiny", verbosity=0)
    requests = len(server.requests)
    call_command("fetch_weights", "tiny", verbosity=0)
    assert len(server.requests) == requests
    assert "already installed" in capsys.readouterr().out


def test_sha256_option_installs_another_file_in_the_same_layout(tiny_model, tmp_path, capsys):
    finetuned = _saved(seeded_state_dict("compact", seed=7))
    source = tmp_path / "finetuned.pth"
    source.write_bytes(finetuned)
    digest = hashlib.sha256(finetuned).hexdigest()
    with pytest.raises(CommandError):
        call_command("fetch_weights", "tiny", "--source", str(source), verbosity=0)
    call_command("fetch_weights", "tiny", "--source", str(source), "--sha256", digest.upper(), verbosity=0)
    out = capsys.readouterr().out
    assert f"expecting sha256 {digest} from --sha256, NOT the published file's {SHA}" in out
    assert site.weights_store().installed_sha256(tiny_model) == digest


def test_sha256_option_still_refuses_a_different_file(tiny_model, tmp_path):
    source = tmp_path / "other.pth"
    source.write_bytes(PAYLOAD)
    with pytest.raises(CommandError):
        call_command("fetch_weights", "tiny", "--source", str(source), "--sha256", "ab" * 32, verbosity=0)
    assert "tiny" not in [spec.name for spec in site.installed_models()]


def test_a_file_in_another_layout_is_refused_with_a_reason(tiny_model, tmp_path):
    wrong = _saved(seeded_state_dict("siggraph17"))
    source = tmp_path / "siggraph17.pth"
    source.write_bytes(wrong)
    with pytest.raises(ColorizeError, match="not a compact weight file"):
        site.weights_store().fetch(tiny_model, source=source, sha256=hashlib.sha256(wrong).hexdigest(), progress=False)
    assert not site.weights_store().runtime_path(tiny_model).exists()


def test_a_file_without_batch_norms_step_counters_installs(tiny_model, tmp_path):
    """Issue #23: torch's own strict load accepts a file saved without version metadata that
    lacks BatchNorm's num_batches_tracked buffers; so does the converter (the graph never reads
    them)."""
    state = {
        key: value for key, value in seeded_state_dict("compact").items() if not key.endswith("num_batches_tracked")
    }
    old = _saved(state)
    source = tmp_path / "old.pth"
    source.write_bytes(old)
    call_command(
        "fetch_weights", "tiny", "--source", str(source), "--sha256", hashlib.sha256(old).hexdigest(), verbosity=0
    )
    assert tiny_model in site.installed_models()
    assert site.weights_store().installed_sha256(tiny_model) == hashlib.sha256(old).hexdigest()


def mirrored_keys(client):
    return [item["Key"] for item in client.list_objects_v2(Bucket="colorsite-media").get("Contents", [])]


def test_the_first_instance_puts_the_verified_file_in_the_mirror(tiny_model, s3_mirror, capsys):
    call_command("fetch_weights", "tiny", verbosity=0)
    assert mirrored_keys(s3_mirror) == ["weights/tiny.pth"]
    body = s3_mirror.get_object(Bucket="colorsite-media", Key="weights/tiny.pth")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == SHA
    assert "put a copy in s3://colorsite-media/weights" in capsys.readouterr().out


def test_a_new_instance_takes_the_file_from_the_mirror(tiny_model, s3_mirror, server, settings, tmp_path, monkeypatch):
    s3_mirror.put_object(Bucket="colorsite-media", Key="weights/tiny.pth", Body=PAYLOAD)
    use_url(tiny_model, monkeypatch, "gone.pth")  # the authors' server would answer 404
    call_command("fetch_weights", "tiny", verbosity=0)
    assert registry.get_spec("tiny") in site.installed_models()
    assert not [path for path, _range in server.requests if path.endswith("gone.pth")]


def test_a_corrupt_mirror_copy_is_fetched_again_from_the_published_url(tiny_model, s3_mirror, server):
    s3_mirror.put_object(Bucket="colorsite-media", Key="weights/tiny.pth", Body=PAYLOAD[::-1])
    call_command("fetch_weights", "tiny", verbosity=0)
    assert site.weights_store().installed_sha256(tiny_model) == SHA
    assert [path for path, _range in server.requests if path.endswith("good.pth")]


def test_an_unreachable_mirror_falls_back_to_the_published_url(tiny_model, settings):
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens
    settings.COLORIZE_WEIGHTS_MIRROR = "s3://colorsite-media/weights"
    call_command("fetch_weights", "tiny", "--retries", "0", verbosity=0)
    assert site.weights_store().installed_sha256(tiny_model) == SHA
