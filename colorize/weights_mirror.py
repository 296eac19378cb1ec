"""A copy of the published weight files in the site's own S3 bucket (COLORIZE_WEIGHTS_MIRROR,
``s3://BUCKET/PREFIX``): a new worker instance takes them from there, over AWS's network,
instead of ~250 MB from the authors' servers; the first instance to fetch a file from the
internet puts it there. What comes from the mirror is verified like any download (the
sha256), so the mirror is a cache, never trusted.

A mirror that cannot be reached (no bucket, no permission) is logged and skipped: the
published URL still works."""

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from colorize.int8 import Report
    from colorize.registry import ModelSpec
    from colorize.weights import Store

logger = logging.getLogger(__name__)


def _location(mirror: str, filename: str) -> tuple[str, str]:
    parts = urlsplit(mirror)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"a weights mirror is s3://BUCKET/PREFIX, not {mirror!r}")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/{filename}" if prefix else filename


def _client(endpoint_url: str | None) -> Any:  # boto3 has no type stubs here
    import boto3

    return boto3.client("s3", endpoint_url=endpoint_url or None)


def download(mirror: str, filename: str, directory: Path, *, endpoint_url: str | None = None) -> Path | None:
    """The mirror's copy of ``filename`` (a key under the mirror's prefix), downloaded into
    ``directory``; None when the mirror has none or cannot be reached (logged)."""
    bucket, key = _location(mirror, filename)
    target = directory / Path(filename).name
    try:
        _client(endpoint_url).download_file(bucket, key, str(target))
    except Exception as error:  # noqa: BLE001  (boto3 and the network raise many types; the mirror is optional)
        logger.info("Weights mirror: no %s at s3://%s/%s (%s)", filename, bucket, key, type(error).__name__)
        target.unlink(missing_ok=True)
        return None
    return target


def upload(mirror: str, path: Path, *, endpoint_url: str | None = None) -> bool:
    """Put a verified weight file in the mirror for the next instance; False if it could not
    (logged)."""
    return _put(mirror, "", path, endpoint_url)


# --- int8 graphs, shared between workers of one kind (issue #35) ----------------------------------
# An int8 graph and its self-check depend on the float32 graph, the CPU and ONNX Runtime's
# version (colorize.int8.stale): the first worker of a kind that makes them puts them in the
# mirror under a key of exactly those three, and the next one of that kind takes them from there,
# the graph verified against the sha256 its report names, instead of making them again (a minute
# of calibration and up to 1.5 GB). The report goes up last, so a reader never finds a report
# without its graph.


def int8_folder(float_sha256: str) -> str:
    """``int8/ORT_VERSION/CPU_KEY/FLOAT_SHA256``: CPU_KEY the first 16 hex digits of the sha256
    of this machine's CPU description (colorize.cpu.description)."""
    import hashlib

    from colorize import cpu, int8

    cpu_key = hashlib.sha256(cpu.description().encode()).hexdigest()[:16]
    return f"int8/{int8.onnxruntime_version()}/{cpu_key}/{float_sha256}"


def int8_fetch(mirror: str, store: "Store", spec: "ModelSpec", *, endpoint_url: str | None = None) -> "Report | None":
    """Install ``spec``'s int8 graph and report from the mirror when a worker of this kind made
    them for this float32 graph; the report (an ``int8.Report``) or None (none there, not for
    this machine, or a graph that is not the one its report checked: logged)."""
    import os
    import tempfile

    from colorize import int8
    from colorize.files import graph_sha256, sha256_of, write_atomically

    float_sha256 = graph_sha256(store.runtime_path(spec))
    if float_sha256 is None:
        return None
    folder = int8_folder(float_sha256)
    graph, report_file = store.int8_path(spec), store.int8_report_path(spec)
    Path(store.directory).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.directory) as scratch:
        fetched = download(mirror, f"{folder}/{report_file.name}", Path(scratch), endpoint_url=endpoint_url)
        report = int8.read_report(fetched) if fetched else None
        if report is None or int8.stale(report, float_sha256) is not None:
            return None
        if not report.problems():
            copy = download(mirror, f"{folder}/{graph.name}", Path(scratch), endpoint_url=endpoint_url)
            if copy is None or sha256_of(copy) != report.int8_sha256:
                logger.warning("Weights mirror: the int8 graph at %s is not the one its report checked", folder)
                return None
            os.replace(copy, graph)
        write_atomically(report_file, report.to_json().encode())
    return report


def int8_share(mirror: str, store: "Store", spec: "ModelSpec", *, endpoint_url: str | None = None) -> bool:
    """Put ``spec``'s int8 graph (when it passed) and then its report in the mirror for the next
    worker of this kind; False when there is nothing current to share or it could not (logged)."""
    from colorize import int8
    from colorize.files import graph_sha256

    report = store.int8_report(spec)
    float_sha256 = graph_sha256(store.runtime_path(spec))
    if report is None or float_sha256 is None or int8.stale(report, float_sha256) is not None:
        return False
    folder = int8_folder(float_sha256)
    graph = store.int8_path(spec)
    if not report.problems() and not (
        graph_sha256(graph) == report.int8_sha256 and _put(mirror, folder, graph, endpoint_url)
    ):
        return False
    return _put(mirror, folder, store.int8_report_path(spec), endpoint_url)


def _put(mirror: str, folder: str, path: Path, endpoint_url: str | None) -> bool:
    """Upload ``path`` as ``folder``/its name in the mirror ("" : at its top); False if it could
    not (logged)."""
    bucket, key = _location(mirror, f"{folder}/{path.name}" if folder else path.name)
    try:
        _client(endpoint_url).upload_file(str(path), bucket, key)
    except Exception as error:  # noqa: BLE001  (boto3 and the network raise many types; the mirror is optional)
        logger.warning("Weights mirror: could not put %s at s3://%s/%s (%s)", path.name, bucket, key, error)
        return False
    return True
