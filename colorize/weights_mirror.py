"""A copy of the published weight files in the site's own S3 bucket (COLORIZE_WEIGHTS_MIRROR,
``s3://BUCKET/PREFIX``): a new worker instance takes them from there, over AWS's network,
instead of ~250 MB from the authors' servers; the first instance to fetch a file from the
internet puts it there. What comes from the mirror is verified like any download (the
sha256), so the mirror is a cache, never trusted.

A mirror that cannot be reached (no bucket, no permission) is logged and skipped: the
published URL still works."""

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    """The mirror's copy of ``filename``, downloaded into ``directory``; None when the mirror
    has none or cannot be reached (logged)."""
    bucket, key = _location(mirror, filename)
    target = directory / filename
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
    bucket, key = _location(mirror, path.name)
    try:
        _client(endpoint_url).upload_file(str(path), bucket, key)
    except Exception as error:  # noqa: BLE001  (boto3 and the network raise many types; the mirror is optional)
        logger.warning("Weights mirror: could not put %s at s3://%s/%s (%s)", path.name, bucket, key, error)
        return False
    return True
