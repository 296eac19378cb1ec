"""A job's stored files, shared by the web's, the moderators', the worker's and the sweep's
writes: reading the original back, web-sized previews, deleting files, cleaning the upload
spool.

A failed deletion is logged, never raised: a stray file costs storage, a crash costs a request."""

import io
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from PIL import Image

from colorize import imaging
from gallery.models import FILE_FIELDS, ColorizationJob

logger = logging.getLogger(__name__)


def delete_names(names: Iterable[str], storage: Storage) -> None:
    """Delete the files called ``names`` (empty names skipped) from ``storage``."""
    for name in names:
        if name:
            try:
                storage.delete(name)
            except Exception:
                logger.exception("Could not delete %s", name)


def job_files_deleter(job: ColorizationJob, field_names: Iterable[str] = FILE_FIELDS) -> Callable[[], None]:
    """Note ``job``'s stored files now (from ``field_names``); the returned function deletes
    them later, e.g. once the row's deletion commits."""
    stored = [(field.name, field.storage) for field in (getattr(job, name) for name in field_names) if field]
    # What a killed run was writing (never a current file: those are in the fields).
    stored += [(name, job.original.storage) for name in job.pending_files or [] if isinstance(name, str)]

    def delete() -> None:
        for name, storage in stored:
            delete_names([name], storage)

    return delete


def delete_job_files(job: ColorizationJob, field_names: Iterable[str] = FILE_FIELDS) -> None:
    """Delete ``job``'s stored files (from ``field_names``) now."""
    job_files_deleter(job, field_names)()


def load_original(job: ColorizationJob) -> Image.Image:
    """The job's stored original, decoded. The upload limits were checked on what the user
    sent; the stored PNG may well be larger (a 10 MB JPEG can become a 50 MB PNG), so a job
    that was accepted is read with no byte or pixel limit of ours (Pillow's own
    decompression-bomb guard still applies). Raises a ColorizeError if it cannot be read."""
    with job.original.open("rb") as handle:
        return imaging.load_image(io.BytesIO(handle.read()), max_bytes=0, max_pixels=0, keep_gray=True)


def preview(image: Image.Image, *, xmp: bytes | None = None) -> ContentFile:
    """A web-sized WebP copy of ``image`` (long side GALLERY_PREVIEW_SIZE) for the pages: of
    the original (no metadata) or of a result (``xmp``: the result's provenance)."""
    small = imaging.downscale(image, settings.GALLERY_PREVIEW_SIZE)
    return ContentFile(imaging.encode_image(small, "webp", xmp=xmp), name="preview.webp")


def upload_spool_clean(directory: str | Path, *, max_age_seconds: float = 3600, now: float | None = None) -> int:
    """Delete Django's upload temporary files (``*.upload*``) in ``directory`` older than
    ``max_age_seconds``: what a web worker killed mid-request left behind (a live upload's
    file is written to as it arrives, so it never looks that old). Returns how many."""
    now = time.time() if now is None else now
    removed = 0
    try:
        entries = list(Path(directory).iterdir())
    except FileNotFoundError:
        return 0
    for path in entries:
        try:
            if ".upload" in path.name and path.is_file() and now - path.stat().st_mtime > max_age_seconds:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # its request finished meanwhile
        except OSError:
            logger.exception("Could not delete the stale upload file %s", path)
    return removed


def thumbnail(image: Image.Image, xmp: bytes) -> ContentFile:
    thumb = image.convert("RGB")
    size = settings.GALLERY_THUMBNAIL_SIZE
    thumb.thumbnail((size, size))
    return ContentFile(imaging.encode_image(thumb, "jpeg", xmp=xmp), name="thumbnail.jpg")


def result_files(result: Image.Image, xmp: bytes) -> tuple[bytes, bytes, ContentFile, ContentFile]:
    """(PNG, JPEG, thumbnail, preview) of ``result``, side by side on threads: Pillow lets go of
    the GIL while it encodes and resizes, and at 12 MP the PNG alone takes a second."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        png = pool.submit(imaging.encode_image, result, "png", xmp=xmp)
        jpeg = pool.submit(lambda: imaging.encode_image(result.convert("RGB"), "jpeg", xmp=xmp))
        small = pool.submit(thumbnail, result, xmp)
        result_preview = pool.submit(preview, result, xmp=xmp)
        return png.result(), jpeg.result(), small.result(), result_preview.result()
