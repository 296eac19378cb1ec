"""How a job's photo is colorized: the job's model as this worker runs it (int8 or float32,
colorize.site), its colour variants kept for next time (gallery.services.variants)."""

import logging

from PIL import Image

from colorize import pipeline, site
from colorize.errors import ModelFailed, ModelNotInstalled
from colorize.hints import parse_hints
from gallery.models import ColorizationJob
from gallery.services import variants

logger = logging.getLogger(__name__)


def _colorized(job: ColorizationJob, image: Image.Image, model: pipeline.Model) -> tuple[pipeline.Colorized, bool]:
    """(the result, whether the network ran): the job's chosen variant from the colours its last
    run of the network kept (what picking another variant does), else from a run of the network
    that keeps every variant's colours (and the suggested colours) for next time."""
    kept = variants.kept_colours(job)
    if kept is not None:
        return pipeline.Colorized(pipeline.render(image, kept, model.spec)), False
    colorized = pipeline.colorize_detailed(
        image,
        model=model,
        hints=parse_hints(job.hints),
        vividness=job.vividness,
        variant=job.variant,
        variants=True,
    )
    return colorized, True


def job_colorized(job: ColorizationJob, image: Image.Image) -> tuple[pipeline.Colorized, bool, pipeline.Model]:
    """(the result, whether the network ran, the model that made it) with the job's model as the
    site runs it; where its int8 graph fails (replaced by an install meanwhile, say), the job
    runs float32 instead of failing."""
    model = site.model(job.model_name)
    try:
        return (*_colorized(job, image, model), model)
    except (ModelNotInstalled, ModelFailed) as error:
        if model.precision == "float32":
            raise
        logger.warning("int8 graph failed (%s); running float32", error, extra={"event": "job.int8_fallback"})
        model = site.model(job.model_name, float32=True)
        return (*_colorized(job, image, model), model)
