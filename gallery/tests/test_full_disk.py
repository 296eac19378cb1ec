"""A full disk (issue #34): an upload gets a clear 503, leaves no file and no row behind, and
the next upload, once there is room again, goes through. On a real, small tmpfs."""

import io
import os
import subprocess

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from colorsite.testing.helpers import post_upload
from gallery.models import ColorizationJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI and the development machines run as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True, text=True, check=False
    )
    if mounted.returncode:
        pytest.skip(f"could not mount a tmpfs here: {mounted.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk, *, leave):
    """Fill ``disk`` but ``leave`` bytes; returns the filler's path."""
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    filler.write_bytes(b"\0" * max(free - leave, 0))
    return filler


def noisy_photo(size=300):
    """A grey PNG that does not compress (about 90 KB)."""
    pixels = np.random.default_rng(0).integers(0, 255, (size, size), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "L").save(buffer, "PNG")
    return buffer.getvalue()


def stored_files(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_an_upload_on_a_full_disk_is_a_clear_503_that_keeps_nothing(
    settings, small_disk, engine_model, recaptcha_passes
):
    settings.MEDIA_ROOT = small_disk / "media"
    fill(small_disk, leave=32 * 1024)
    response = post_upload(Client(), noisy_photo(), model=engine_model)
    assert response.status_code == 503
    assert "We could not store your photo just now" in response.content.decode()
    assert stored_files(small_disk) == ["filler"]
    assert not ColorizationJob.objects.exists()


def test_the_next_upload_goes_through_once_there_is_room(settings, small_disk, engine_model, recaptcha_passes):
    settings.MEDIA_ROOT = small_disk / "media"
    filler = fill(small_disk, leave=32 * 1024)
    post_upload(Client(), noisy_photo(), model=engine_model)
    filler.unlink()
    response = post_upload(Client(), noisy_photo(), model=engine_model)
    assert response.status_code == 302
    assert ColorizationJob.objects.count() == 1


def test_an_upload_spool_on_a_full_disk_is_a_503_that_says_so(settings, small_disk, engine_model, recaptcha_passes):
    settings.FILE_UPLOAD_TEMP_DIR = str(small_disk)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # every upload is spooled to the disk
    fill(small_disk, leave=16 * 1024)
    response = post_upload(Client(raise_request_exception=False), noisy_photo(), model=engine_model)
    assert response.status_code == 503
    assert "out of storage space" in response.content.decode()
    assert stored_files(small_disk) == ["filler"]
