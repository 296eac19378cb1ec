"""Find, fetch and verify weight files.

Bundled weights live in ``colorize/weights/`` inside the repository; every other model's file
lives in ``settings.COLORIZE_WEIGHTS_DIR``. A file is only ever put in place by an atomic
rename after its sha256 was checked, so a present file is a complete one.
"""

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin, urlparse

from django.conf import settings

from colorize.errors import ColorizeError

BUNDLED_WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
CHUNK = 1024 * 1024


class FetchError(ColorizeError):
    """Fetching a weight file failed; the message says why and what to do."""

    user_message = "The model's weights could not be downloaded."


def weights_dir():
    return Path(settings.COLORIZE_WEIGHTS_DIR)


def weight_path(spec):
    """Where ``spec``'s weight file is (or would be once fetched)."""
    directory = BUNDLED_WEIGHTS_DIR if spec.bundled else weights_dir()
    return directory / spec.weight_file


def is_present(spec):
    path = weight_path(spec)
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _progress(total, initial, label, enabled):
    from tqdm import tqdm

    return tqdm(
        total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024, desc=label, disable=not enabled,
        leave=False,
    )


def _download(url, partial, *, retries, timeout, progress, label):
    """Stream ``url`` into ``partial``, resuming with HTTP Range after a broken transfer."""
    import requests

    last_problem = None
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(min(0.2 * 2**attempt, 5))
        have = partial.stat().st_size if partial.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with requests.get(url, stream=True, timeout=timeout, headers=headers) as response:
                if response.status_code == 404:
                    raise FetchError(f"{url} was not found (HTTP 404). Check the URL or use --source.")
                if response.status_code == 416 and have:
                    # Nothing left to send: the partial file is already complete (or wrong).
                    return
                if response.status_code >= 400:
                    raise FetchError(f"{url} answered HTTP {response.status_code} {response.reason}.")
                if have and response.status_code != 206:
                    have = 0  # the server ignored the Range header: start over
                length = response.headers.get("Content-Length")
                expected = int(length) if length and length.isdigit() else None
                total = have + expected if expected is not None else None
                received = 0
                with open(partial, "ab" if have else "wb") as handle, _progress(total, have, label, progress) as bar:
                    for block in response.iter_content(64 * 1024):
                        handle.write(block)
                        received += len(block)
                        bar.update(len(block))
                if expected is not None and received < expected:
                    last_problem = f"the transfer broke off after {have + received} of {total} bytes"
                    continue
                return
        except FetchError:
            raise
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            if partial.exists() and partial.stat().st_size > have:
                last_problem = f"the transfer broke off ({error.__class__.__name__})"
            elif isinstance(error, requests.exceptions.ChunkedEncodingError):
                last_problem = "the transfer broke off before any data arrived"
            else:
                last_problem = f"could not connect to {urlparse(url).netloc or url}: no network or the server is down"
        except requests.exceptions.RequestException as error:
            last_problem = f"the download failed: {error}"
    raise FetchError(f"Could not download {url}: {last_problem} (tried {retries + 1} times).")


def _source_location(spec, source):
    """The URL or local path to fetch ``spec``'s file from; ``source`` may be a file, a
    directory mirror (local or a URL ending in '/') or another URL."""
    if not source:
        if not spec.url:
            raise FetchError(f"The model {spec.name!r} has no download URL; pass --source with a file or mirror.")
        return spec.url
    scheme = urlparse(str(source)).scheme
    if scheme in ("http", "https"):
        return urljoin(source, spec.weight_file) if str(source).endswith("/") else str(source)
    if scheme == "file":
        source = urlparse(str(source)).path
    path = Path(source).expanduser()
    if path.is_dir():
        path = path / spec.weight_file
    if not path.is_file():
        raise FetchError(f"{path} does not exist or is not a file.")
    return path


def fetch(spec, *, source=None, force=False, retries=3, timeout=30, progress=True):
    """Download (or copy) ``spec``'s weights into place after checking their sha256.

    Returns the final path. Raises FetchError with a clear message on a hash mismatch, a 404,
    no network, or a missing local source; no partial or wrong file is left behind.
    """
    target = weight_path(spec)
    if target.is_file() and not force:
        if not spec.sha256 or sha256_of(target) == spec.sha256:
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    location = _source_location(spec, source)
    partial = target.with_name(target.name + ".part")
    try:
        if isinstance(location, Path):
            with tempfile.NamedTemporaryFile(dir=target.parent, prefix=target.name, suffix=".copy", delete=False) as tmp:
                partial = Path(tmp.name)
                with open(location, "rb") as handle:
                    shutil.copyfileobj(handle, tmp, CHUNK)
        else:
            _download(location, partial, retries=retries, timeout=timeout, progress=progress, label=spec.weight_file)
        if spec.sha256:
            actual = sha256_of(partial)
            if actual != spec.sha256:
                partial.unlink(missing_ok=True)
                raise FetchError(
                    f"The file from {location} is not the expected one: its sha256 is {actual}, expected "
                    f"{spec.sha256}. It was discarded; check the source."
                )
        os.replace(partial, target)
    except BaseException:
        # A broken transfer keeps its .part file so a later run resumes; anything else goes.
        if isinstance(location, Path) and partial.exists():
            partial.unlink(missing_ok=True)
        raise
    return target
