"""Test fixtures for the engine, registered for the whole suite (conftest.py's pytest_plugins): real networks with seeded random weights in a private weights directory,
installed the way production installs them (a PyTorch file converted for the runtime)."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from django.conf import settings
from PIL import Image

from colorize import registry, weights
from research.networks import build_network

# Small reference files the tests need ship with them (copies of ../shared/models/).
DATA = Path(__file__).resolve().parent.parent / "colorize" / "tests" / "data"
PTS_IN_HULL = DATA / "pts_in_hull.npy"


def seeded_state_dict(name, seed=0):
    """A seeded random state_dict for a registry network, its BatchNorm layers set to keep the
    activations alive (so the output depends visibly on the input and on hints)."""
    torch.manual_seed(seed)
    network = build_network(name)
    state = network.state_dict()
    generator = torch.Generator().manual_seed(seed + 1)
    for key, value in state.items():
        if key.endswith("running_var"):
            value.copy_(torch.rand(value.shape, generator=generator) * 0.02 + 0.01)
        elif key.endswith("running_mean"):
            value.copy_(torch.rand(value.shape, generator=generator) * 0.1)
    if "log_prior" in state:
        # Compact version 2: a peaked colour prior for vividness to take out, and a live context.
        state["log_prior"].copy_(torch.log_softmax(torch.randn(529, generator=generator) * 2, dim=0))
        state["context.3.weight"].normal_(0, 0.05, generator=generator)
    if name == "eccv16":
        # Like the official file: the decoding conv holds the ab bin centres (normalised), and
        # sharper class scores give colours of a real photo's strength.
        centres = torch.from_numpy(np.load(PTS_IN_HULL)).float() / 110.0
        state["model_out.weight"].copy_(centres.T.reshape(2, 313, 1, 1))
        state["model8.6.weight"].mul_(20)
    return state


def measured_state_dict(name, photos, seed=0):
    """Seeded random weights whose BatchNorm statistics are measured on ``photos`` (PIL
    images), so every layer keeps a live signal of a photo's own range, as in a trained
    network (and, for eccv16, the ab bin centres in the decoding layer like the official file):
    the colours depend on the photo, and precision matters as it would with real weights."""
    from colorize import pipeline

    torch.manual_seed(seed)
    network = build_network(name)
    if name == "eccv16":
        state = network.state_dict()  # shares the parameters' storage
        with torch.no_grad():
            state["model_out.weight"].copy_(
                torch.from_numpy(np.load(PTS_IN_HULL)).float().T.reshape(2, 313, 1, 1) / 110
            )
            state["model8.6.weight"].mul_(20)
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # a plain average over the photos
    network.train()
    with torch.no_grad():
        for photo in photos:
            network(torch.from_numpy(pipeline.network_input(photo.convert("L"), 256)))
    return network.state_dict()


def install_seeded(spec, directory, seed=0, state=None):
    """Install ``spec`` in ``directory`` from a seeded random PyTorch file (or ``state``),
    converted for the runtime exactly as fetch_weights converts the authors' files."""
    state = seeded_state_dict(spec.network, seed=seed) if state is None else state
    source = Path(directory) / spec.source_file
    torch.save(state, source)
    weights.Store(Path(directory)).convert(spec, source, hashlib.sha256(source.read_bytes()).hexdigest())
    return state


@pytest.fixture(scope="session")
def random_weights_dir(tmp_path_factory):
    directory = Path(tmp_path_factory.mktemp("engine-weights"))
    for name in ("eccv16", "siggraph17"):
        install_seeded(registry.get_spec(name), directory)
    return directory


@pytest.fixture
def engine_weights(settings, random_weights_dir):
    """eccv16 and siggraph17 installed (seeded random weights); no default model configured."""
    settings.COLORIZE_WEIGHTS_DIR = random_weights_dir
    settings.COLORIZE_DEFAULT_MODEL = ""
    return random_weights_dir


@pytest.fixture
def no_weights(settings, tmp_path, monkeypatch):
    """No model installed at all: an empty weights directory and no bundled file."""
    settings.COLORIZE_WEIGHTS_DIR = tmp_path / "no-weights"
    settings.COLORIZE_DEFAULT_MODEL = ""
    monkeypatch.setattr("colorize.weights.BUNDLED_WEIGHTS_DIR", tmp_path / "no-bundled")


def photo(width=96, height=64, seed=0):
    """A small colour test photo: smooth gradients plus a few blocks, as uint8 RGB."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        (255 * x / max(1, width - 1), 255 * y / max(1, height - 1), 128 + 100 * np.sin(x / 7.0) * np.cos(y / 5.0)), -1
    )
    rgb[height // 4 : height // 2, width // 4 : width // 2] = rng.integers(0, 256, 3)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


@pytest.fixture(scope="session")
def official_layouts():
    """Every key and shape of the authors' two state_dicts (eccv16: 82 tensors, siggraph17: 107)."""
    return json.loads((DATA / "official_layouts.json").read_text())


@pytest.fixture(scope="session")
def sample_photo_paths():
    """The small well-known test photos of the shared data sets (settings.SHARED_DATA_DIR); the
    test is skipped, saying where they were looked for, when they are absent."""
    folder = Path(settings.SHARED_DATA_DIR) / "datasets" / "samples"
    paths = sorted(folder.glob("*.jpg")) + sorted(folder.glob("*.png"))
    if len(paths) < 4:
        pytest.skip(f"the sample photos are missing from {folder} (set COLORSITE_SHARED_DIR to the shared data folder)")
    return paths


@pytest.fixture(scope="session")
def sample_photos(sample_photo_paths):
    """The first four sample photos as uint8 RGB arrays."""
    return [np.asarray(Image.open(path).convert("RGB")) for path in sample_photo_paths[:4]]


def int8_report(store, spec, *, mean_ab=0.5, p99_ab=2.0, psnr_db=45.0, float_ms=100.0, int8_ms=40.0, graph=True):
    """A made-up int8 self-check for ``spec``'s float32 graph installed in ``store``, on this CPU
    and ONNX Runtime, with these numbers (one check photo); ``graph``: a stand-in int8 graph
    (a copy of the float32 one) beside it. For tests of what reads reports."""
    import shutil

    from colorize import cpu, int8

    Path(store.directory).mkdir(parents=True, exist_ok=True)
    if graph:
        shutil.copyfile(store.runtime_path(spec), store.int8_path(spec))
    report = int8.Report(
        model=spec.name,
        int8_sha256=weights.graph_sha256(store.int8_path(spec)) or "",
        float_sha256=weights.graph_sha256(store.runtime_path(spec)) or "",
        cpu=cpu.description(),
        onnxruntime=int8.onnxruntime_version(),
        made_at="2026-12-05T00:00:00+00:00",
        calibration_photos=["camera"],
        float_ms=float_ms,
        int8_ms=int8_ms,
        photos=[int8.PhotoDifference("chelsea", 0, mean_ab, p99_ab, psnr_db)],
    )
    store.int8_report_path(spec).write_text(report.to_json())
    return report
