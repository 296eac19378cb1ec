"""A job's automatic colourings (``ColorizationJob.Variant``), kept by the worker's run of the
network: every variant's colours at the network's resolution (an npz, so picking another
variant later renders it without the network) and their pictures side by side, thumbnail-sized,
for the result page. Used by the worker (``worker``); the web only reads the fields."""

import io
import logging
from typing import Any

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image

from colorize import imaging, pipeline, registry
from gallery.models import ColorizationJob

logger = logging.getLogger(__name__)

Float32 = npt.NDArray[np.float32]


def maps_file(variants: dict[str, Float32], *, model_name: str) -> ContentFile:
    """The variants' colours (normalised ab, float16 is plenty) with the model they are for."""
    buffer = io.BytesIO()
    arrays: dict[str, Any] = {name: np.asarray(ab, dtype=np.float16) for name, ab in variants.items()}
    np.savez_compressed(buffer, model=np.array(model_name), **arrays)
    return ContentFile(buffer.getvalue(), name="variants.npz")


def kept_colours(job: ColorizationJob) -> Float32 | None:
    """The colours of ``job``'s chosen variant as its last run of the network kept them, or None
    when there are none for its model (never run, another model since, unreadable)."""
    if not job.variant_maps:
        return None
    try:
        with job.variant_maps.open("rb") as handle, np.load(io.BytesIO(handle.read()), allow_pickle=False) as kept:
            if str(kept["model"]) != job.model_name or job.variant not in kept.files:
                return None
            return np.asarray(kept[job.variant], dtype=np.float32)
    except (OSError, ValueError, KeyError) as error:
        logger.warning("Job %s: its kept variant colours cannot be read (%s); running the network.", job.pk, error)
        return None


def picture_file(
    image: Image.Image, variants: dict[str, Float32], spec: registry.ModelSpec, *, xmp: bytes
) -> ContentFile:
    """Every variant rendered on a thumbnail-sized copy of ``image``, side by side in the order
    of ColorizationJob.Variant, as one WebP for the result page."""
    small = imaging.downscale(image, settings.GALLERY_THUMBNAIL_SIZE)
    names = ColorizationJob.Variant.values
    strip = Image.new("RGB", (small.width * len(names), small.height))
    for index, name in enumerate(names):
        strip.paste(pipeline.render(small, variants[name], spec).convert("RGB"), (index * small.width, 0))
    return ContentFile(imaging.encode_image(strip, "webp", xmp=xmp), name="variants.webp")
