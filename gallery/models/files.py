"""A job's files: their fields and URL kinds, the names they are stored under, and the URLs
and pictures the pages show of them (JobFiles, a part of ColorizationJob)."""

import uuid
from functools import partialmethod
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from colorize import site

# A job's files, as model fields and as the kinds in their URLs (result_jpeg -> result-jpeg).
# The previews are web-sized (long side GALLERY_PREVIEW_SIZE): what the pages show.
FILE_FIELDS = (
    "original",
    "original_preview",
    "result",
    "result_jpeg",
    "result_preview",
    "thumbnail",
    "variants",
    "variant_maps",
)
RESULT_FIELDS = ("result", "result_jpeg", "result_preview", "thumbnail")  # what every run writes
VARIANT_FIELDS = ("variants", "variant_maps")  # what a run of the network writes besides
FILE_KINDS = {field.replace("_", "-"): field for field in FILE_FIELDS}


def _generated_name(folder, filename):
    """A storage name that keeps nothing of the user's file name: a fresh random id plus the
    extension the site chose itself. Never reused, so a URL always means one picture."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in {".png", ".jpg", ".webp"}:
        suffix = ".png"
    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def original_upload_to(instance, filename):
    return _generated_name("originals", filename)


def result_upload_to(instance, filename):
    return _generated_name("results", filename)


def thumbnail_upload_to(instance, filename):
    return _generated_name("thumbnails", filename)


def preview_upload_to(instance, filename):
    return _generated_name("previews", filename)


def _url_property(kind, *, view="job_file"):
    return property(lambda job: job.file_url(kind, view=view))


def _display_property(name, *, view="job_file"):
    return property(lambda job: job.display_picture(name, view=view))


class JobFiles:
    """The URLs of a job's files and the pictures its pages show (a mixin of ColorizationJob,
    which has the fields)."""

    if TYPE_CHECKING:  # the fields and properties of ColorizationJob this reads
        pk: Any
        public_id: uuid.UUID
        original_width: int
        original_height: int
        result: Any
        model_name: str
        display_name: str
        vividness: float
        hints: list[dict[str, Any]]

        @property
        def has_vividness(self) -> bool: ...

        def upload(self) -> "JobFiles": ...

    def download_name(self, extension):
        """The name a download gets: the photo's, then what this version is, where it differs
        from a plain run (e.g. "migrant_mother-colorized-vivid-0.25-10-points.png")."""
        suffix = []
        if self.model_name != self.upload().model_name:
            suffix.append(self.model_name)
        if self.has_vividness and abs(self.vividness - site.default_vividness()) > 1e-9:
            suffix.append(f"vivid-{self.vividness:.2f}")
        if self.hints:
            suffix.append(f"{len(self.hints)}-points")
        return "-".join([f"{self.display_name}-colorized", *suffix]) + f".{extension}"

    def file_url(self, kind, *, view="job_file"):
        """The immutable URL of one of the job's files (``kind`` is one of FILE_KINDS), as served
        by ``view``: job_file or job_download under the job's private link, gallery_file from
        the public gallery (which never shows that link). The URL ends with the file's storage
        name, which changes whenever the file does; "" while there is no such file."""
        field = getattr(self, FILE_KINDS[kind])
        if not field:
            return ""
        key = self.pk if view == "gallery_file" else self.public_id
        return reverse(f"gallery:{view}", args=[key, kind, PurePosixPath(field.name).name])

    gallery_file_url = partialmethod(file_url, view="gallery_file")

    def _scaled_width(self, long_side):
        scale = min(1.0, long_side / max(self.original_width, self.original_height, 1))
        return max(1, round(self.original_width * scale))

    def display_picture(self, name, *, view="job_file"):
        """What a page shows of the "original" or the "result": {"src", "srcset"}. The src is
        the web-sized preview (the full-resolution file only for a job made before previews
        existed); the result's srcset adds the gallery thumbnail for small screens. Downloads
        and the "full resolution" links use the full files."""
        preview = self.file_url(f"{name}-preview", view=view)
        if not preview:
            return {"src": self.file_url(name, view=view), "srcset": ""}
        width = self._scaled_width(settings.GALLERY_PREVIEW_SIZE)
        candidates = [f"{preview} {width}w"]
        thumbnail = self.file_url("thumbnail", view=view) if name == "result" else ""
        thumbnail_width = self._scaled_width(settings.GALLERY_THUMBNAIL_SIZE)
        if thumbnail and thumbnail_width < width:  # a smaller picture, not the same one twice
            candidates.insert(0, f"{thumbnail} {thumbnail_width}w")
        return {"src": preview, "srcset": ", ".join(candidates)}

    @property
    def result_file_name(self):
        """The result's storage name alone (the last part of its URLs)."""
        return PurePosixPath(str(self.result.name)).name if self.result else ""

    # The URLs the templates show (a template cannot pass arguments to file_url).
    original_url = _url_property("original")
    result_url = _url_property("result")
    thumbnail_url = _url_property("thumbnail")
    original_preview_url = _url_property("original-preview")
    result_preview_url = _url_property("result-preview")
    variants_url = _url_property("variants")
    png_download_url = _url_property("result", view="job_download")
    jpeg_download_url = _url_property("result-jpeg", view="job_download")
    gallery_original_url = _url_property("original", view="gallery_file")
    gallery_result_url = _url_property("result", view="gallery_file")
    gallery_thumbnail_url = _url_property("thumbnail", view="gallery_file")
    original_picture = _display_property("original")
    result_picture = _display_property("result")
    gallery_original_picture = _display_property("original", view="gallery_file")
    gallery_result_picture = _display_property("result", view="gallery_file")
