"""The upload page's writes (``gallery.views.uploads``): one photo makes one job; a batch makes
one job per file, in order, within the queue caps and the batch's pixel budget, and keeps the
files it refused with their reasons for the batch page."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from colorize import imaging
from colorize.forms import ValidatedUpload
from gallery.models import ColorizationJob
from gallery.services import web


@dataclass(frozen=True)
class UploadChoices:
    """What the uploader chose for every photo of one upload."""

    model_name: str
    gallery_requested: bool
    vividness: float | None
    client: str  # gallery.ratelimits.client_key: for the queue caps


def photo_upload(*, upload: ValidatedUpload, choices: UploadChoices, batch: UUID | None = None) -> ColorizationJob:
    """One job for one checked photo (``batch``: the id of the batch upload it belongs to)."""
    return web.job_create(
        image=upload.image,
        display_name=upload.filename,
        model_name=choices.model_name,
        uploaded_bytes=upload.size,
        gallery_requested=choices.gallery_requested,
        vividness=choices.vividness,
        client=choices.client,
        batch=batch,
    )


def batch_upload(
    *,
    files: Sequence[UploadedFile],
    choices: UploadChoices,
    photo_check: Callable[[UploadedFile], ValidatedUpload],
) -> tuple[list[ColorizationJob], list[tuple[str, str]]]:
    """One job per file, in order. The batch counted as one job request (with the request);
    each file must find room in the queue, and once the queue is full the rest are refused with
    the reason. ``photo_check`` decodes and checks one file or raises a ValidationError. When
    any job was made, the refused files are recorded for the batch page. Returns
    (jobs, [(file name, reason), ...])."""
    batch = uuid.uuid4()
    jobs: list[ColorizationJob] = []
    refused: list[tuple[str, str]] = []
    stop = None
    pixels = 0  # in the photos accepted so far
    for file in files:
        name = file.name or "photo"
        if stop is None:
            stop = _queue_refusal(client=choices.client)
        if stop is not None:
            refused.append((name, stop))
            continue
        over_budget = _pixel_budget_refusal(file, used=pixels)
        if over_budget:
            refused.append((name, over_budget))
            continue
        try:
            upload = photo_check(file)
        except ValidationError as error:
            refused.append((name, " ".join(error.messages)))
            continue
        try:
            jobs.append(photo_upload(upload=upload, choices=choices, batch=batch))
        except web.NotStored:
            stop = "we could not store it just now (our storage is full or unreachable); please send it again later."
            refused.append((name, stop))
            continue
        pixels += upload.image.width * upload.image.height
        del upload  # one decoded photo in memory at a time
    if jobs:
        web.batch_refusals_record(batch=batch, refused=refused)
    return jobs, refused


def _queue_refusal(*, client: str) -> str | None:
    """Why the next file is refused when the queue has no room for it, else None."""
    try:
        web.queue_room_check(client=client)
    except web.QueueFull as error:
        if error.scope == "client":
            return (
                f"you already have {error.active} photos waiting or being colorized, the most at once; "
                "send it again when some are done."
            )
        return "we are busy just now; please send it again in a few minutes."
    return None


def _pixel_budget_refusal(file: UploadedFile, *, used: int) -> str | None:
    """Why ``file`` is refused when the batch's photos so far (``used`` pixels) and its own
    would pass GALLERY_BATCH_MAX_PIXELS, read from its header before anything decodes it; a
    few kilobytes can declare 50 megapixels, and each costs seconds to decode and colorize."""
    limit = settings.GALLERY_BATCH_MAX_PIXELS
    file.seek(0)
    declared = imaging.declared_pixels(file.read(64 * 1024))
    file.seek(0)
    if not limit or declared is None or used + declared <= limit:
        return None
    return (
        f"the photos before it already add up to {used / 1e6:.3g} megapixels, and at most "
        f"{limit / 1e6:.3g} are colorized from one upload; send it again on its own."
    )
