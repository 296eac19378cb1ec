import factory
import numpy as np
from django.core.files.base import ContentFile
from django.utils import timezone

from gallery.models import ColorizationJob
from gallery.services.variants import maps_file
from gallery.tests.images import grey_photo


def variant_colours():
    """Each variant a flat colour (normalised ab at an 8x8 grid), cautious to vivid."""
    return {
        name: np.broadcast_to(np.float32([0.05 * (index + 1), 0.1])[None, :, None, None], (1, 2, 8, 8))
        for index, name in enumerate(ColorizationJob.Variant.values)
    }


class ColorizationJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ColorizationJob

    model_name = "compact"
    display_name = factory.Sequence(lambda n: f"Old photo {n}")
    original = factory.LazyFunction(lambda: ContentFile(grey_photo(48, 32), name="original.png"))
    original_width = 48
    original_height = 32
    original_bytes = factory.LazyAttribute(lambda job: job.original.size)
    status = ColorizationJob.Status.QUEUED
    variant = ColorizationJob.Variant.BALANCED

    class Params:
        succeeded = factory.Trait(
            status=ColorizationJob.Status.SUCCEEDED,
            started_at=factory.LazyFunction(timezone.now),
            finished_at=factory.LazyFunction(timezone.now),
            attempts=1,
            shown_variant=factory.SelfAttribute("variant"),
            result=factory.LazyFunction(lambda: ContentFile(grey_photo(48, 32, mode="RGB"), name="result.png")),
            result_jpeg=factory.LazyFunction(
                lambda: ContentFile(grey_photo(48, 32, fmt="JPEG", mode="RGB"), name="result.jpg")
            ),
            thumbnail=factory.LazyFunction(
                lambda: ContentFile(grey_photo(48, 32, fmt="JPEG", mode="RGB"), name="thumb.jpg")
            ),
            original_preview=factory.LazyFunction(
                lambda: ContentFile(grey_photo(48, 32, fmt="WEBP", mode="RGB"), name="preview.webp")
            ),
            result_preview=factory.LazyFunction(
                lambda: ContentFile(grey_photo(48, 32, fmt="WEBP", mode="RGB"), name="preview.webp")
            ),
            variants=factory.LazyFunction(
                lambda: ContentFile(grey_photo(4 * 48, 32, fmt="WEBP", mode="RGB"), name="variants.webp")
            ),
            variant_maps=factory.LazyAttribute(lambda job: maps_file(variant_colours(), model_name=job.model_name)),
        )
        failed = factory.Trait(
            status=ColorizationJob.Status.FAILED,
            started_at=factory.LazyFunction(timezone.now),
            finished_at=factory.LazyFunction(timezone.now),
            attempts=1,
            error_message="The model could not colorize this photo.",
        )
        public = factory.Trait(
            succeeded=True,
            gallery_requested=True,
            gallery_review=ColorizationJob.Review.APPROVED,
            gallery_reviewed_at=factory.LazyFunction(timezone.now),
        )
