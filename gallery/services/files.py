"""Deleting a job's stored files: shared by the web's, the moderators' and the worker's writes.

A failed deletion is logged, never raised: a stray file costs storage, a crash costs a request."""

import logging
from collections.abc import Callable, Iterable

from django.core.files.storage import Storage

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

    def delete() -> None:
        for name, storage in stored:
            delete_names([name], storage)

    return delete


def delete_job_files(job: ColorizationJob, field_names: Iterable[str] = FILE_FIELDS) -> None:
    """Delete ``job``'s stored files (from ``field_names``) now."""
    job_files_deleter(job, field_names)()
