"""The gallery's ORM records: ``job`` (ColorizationJob, with its files' names and URLs in
``files``), ``worker`` (WorkerModel), ``refused`` (RefusedUpload) and ``lease`` (SweepLease). Everything is importable
from here, as the migrations and the rest of the project name it."""

from gallery.models.files import (
    FILE_FIELDS,
    FILE_KINDS,
    RESULT_FIELDS,
    VARIANT_FIELDS,
    JobFiles,
    original_upload_to,
    preview_upload_to,
    result_upload_to,
    thumbnail_upload_to,
)
from gallery.models.job import ColorizationJob, default_vividness
from gallery.models.lease import SweepLease
from gallery.models.refused import RefusedUpload
from gallery.models.worker import WorkerModel

__all__ = [
    "FILE_FIELDS",
    "FILE_KINDS",
    "RESULT_FIELDS",
    "VARIANT_FIELDS",
    "ColorizationJob",
    "JobFiles",
    "RefusedUpload",
    "SweepLease",
    "WorkerModel",
    "default_vividness",
    "original_upload_to",
    "preview_upload_to",
    "result_upload_to",
    "thumbnail_upload_to",
]
