"""requirements.lock is requirements.txt's whole tree, every package with its files' sha256
(issue #35: 41 direct pins against 142 installed packages, no hashes, while every autoscaled
instance ran pip on its own). Made by `make lock`; these tests fail until it is run again after
requirements.txt changes."""

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path):
    """{name: version} of the lines NAME[extras]==VERSION in a requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[canonical(match[1])] = match[3]
    return found


def locked_entries():
    """[(name, version, hashes)] of requirements.lock."""
    text = (ROOT / "requirements.lock").read_text()
    entries = []
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if match:
            entries.append((canonical(match[1]), match[3], re.findall(r"--hash=sha256:([0-9a-f]{64})", block)))
    return entries


def test_every_direct_pin_is_locked_at_its_version():
    locked = {name: version for name, version, _ in locked_entries()}
    direct = pins(ROOT / "requirements.txt")
    assert direct
    assert {name: locked.get(name) for name in direct} == direct


def test_every_locked_package_has_its_hashes():
    entries = locked_entries()
    assert len(entries) > len(pins(ROOT / "requirements.txt"))  # the whole tree, not the direct pins
    assert [name for name, _, hashes in entries if not hashes] == []


def test_the_lock_holds_no_pytorch():
    assert not [name for name, _, _ in locked_entries() if name.startswith(("torch", "nvidia", "triton"))]


def test_the_lock_says_how_to_make_it_again():
    assert "make lock" in (ROOT / "requirements.lock").read_text().splitlines()[1]
    assert "uv pip compile requirements.txt" in (ROOT / "Makefile").read_text()


def test_the_prebuild_hook_points_the_platforms_install_at_the_lock(tmp_path):
    """EB runs `pip install -r requirements.txt` after the prebuild hooks: in the staged bundle
    that file then asks for the lock, with hashes required."""
    root = tmp_path / "staging"
    shutil.copytree(ROOT / ".platform", root / ".platform")
    for name in ("requirements.txt", "requirements.lock"):
        shutil.copy(ROOT / name, root / name)
    hook = root / ".platform" / "hooks" / "prebuild" / "01-install-from-lock.sh"
    run = subprocess.run([hook], cwd="/", capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    lines = [line for line in (root / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    assert lines == ["--require-hashes", "-r requirements.lock"]
