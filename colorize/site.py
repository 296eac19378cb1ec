"""The engine as this site configures it: the one module of the engine that reads Django's
settings (with the upload form and the management commands, the app's web and command-line
layers).

The engine itself (imaging, hints, pipeline, runtime, weights...) takes its configuration as
arguments: a :class:`colorize.weights.Store` for the weights folder, a
:class:`colorize.runtime.Model` to run, limits and defaults as values. This module builds those
from the COLORIZE_* settings, read on every call (a test's override_settings applies at once).
"""

from pathlib import Path

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.utils.module_loading import import_string
from PIL import Image

from colorize import decoding, imaging, int8, registry, weights
from colorize.errors import ModelNotInstalled
from colorize.registry import ModelSpec
from colorize.runtime import Model, RuntimeOptions


def weights_store() -> weights.Store:
    return weights.Store(Path(settings.COLORIZE_WEIGHTS_DIR))


def runtime_options() -> RuntimeOptions:
    return RuntimeOptions(threads=int(settings.COLORIZE_THREADS), memory_arena=bool(settings.COLORIZE_MEMORY_ARENA))


def int8_allowed() -> bool:
    return bool(settings.COLORIZE_INT8)


def precision(spec: ModelSpec) -> int8.Choice:
    """Which of ``spec``'s graphs this site runs, float32 or int8, and why in words."""
    return weights_store().precision(spec, int8_allowed=int8_allowed())


def max_hints() -> int:
    return int(settings.COLORIZE_MAX_HINTS)


def max_upload_bytes() -> int:
    return int(settings.COLORIZE_MAX_UPLOAD_BYTES)


def default_vividness() -> float:
    return float(settings.COLORIZE_DEFAULT_VIVIDNESS)


def load_upload(source: imaging.ImageSource, *, keep_gray: bool = True) -> Image.Image:
    """A photo from outside, decoded within the site's limits (imaging.load_image)."""
    return imaging.load_image(
        source, max_bytes=max_upload_bytes(), max_pixels=int(settings.COLORIZE_MAX_PIXELS), keep_gray=keep_gray
    )


def installed_models() -> list[ModelSpec]:
    """Models whose runtime file is on this machine."""
    return weights_store().installed_models()


def available_models() -> list[ModelSpec]:
    """Models a job may ask for: installed here, or installed by a worker that is alive.

    On Elastic Beanstalk the web tier's disk holds only the bundled model; the workers fetch
    the others. settings.COLORIZE_WORKER_MODELS names a function that returns the models the
    live workers reported (the site's: gallery.selectors.worker_model_names); unset, only this
    disk counts."""
    names = {spec.name for spec in installed_models()}
    if getattr(settings, "COLORIZE_WORKER_MODELS", ""):
        names |= set(import_string(settings.COLORIZE_WORKER_MODELS)())
    return [spec for spec in registry.MODELS.values() if spec.name in names]


def default_model_name(*, required: bool = False, among: list[ModelSpec] | None = None) -> str | None:
    """settings.COLORIZE_DEFAULT_MODEL if set (UnknownModel for a name no model has: the system
    check ``colorize.E001`` stops the site at start-up first), else the first of
    registry.DEFAULT_PREFERENCE that is installed (or is in ``among``: the web passes
    available_models()). With none: None, or ModelNotInstalled when ``required``."""
    configured = settings.COLORIZE_DEFAULT_MODEL
    if configured:
        return registry.get_spec(configured).name
    name = registry.preferred(spec.name for spec in (installed_models() if among is None else among))
    if name is None and required:
        raise ModelNotInstalled(
            "No colorization model is installed. Fetch one with: python manage.py fetch_weights eccv16 "
            "(or siggraph17), or set COLORIZE_WEIGHTS_DIR to a folder that holds the weights.",
            user_message="No colorization model is installed yet.",
        )
    return name


def model(name: str | None = None, *, float32: bool = False) -> Model:
    """The model called ``name`` (None: the default model) as this site runs it: its graph in the
    site's weights folder (int8 where it passed its self-check and COLORIZE_INT8 allows), its
    threads and memory settings; ``float32``: float32 whatever the setting.
    ModelNotInstalled for a name no model has, or for None with no model installed."""
    name = name or default_model_name(required=True)
    try:
        spec = registry.get_spec(str(name))
    except registry.UnknownModel as error:
        raise ModelNotInstalled(str(error), user_message=f"There is no model called {name!r}.") from None
    return weights_store().model(spec, runtime_options(), int8_allowed=int8_allowed() and not float32)


def settings_check(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """A COLORIZE_* setting the engine cannot use stops every command (and the deploy) at start-up."""
    errors: list[CheckMessage] = []
    configured = settings.COLORIZE_DEFAULT_MODEL
    if configured and configured not in registry.MODELS:
        errors.append(
            Error(
                f"COLORIZE_DEFAULT_MODEL is {configured!r}, which no model is called.",
                hint=f"Leave it empty for the best installed model, or name one of: {', '.join(registry.MODELS)}.",
                id="colorize.E001",
            )
        )
    try:
        decoding.check_vividness(settings.COLORIZE_DEFAULT_VIVIDNESS)
    except ValueError as error:
        errors.append(Error(f"COLORIZE_DEFAULT_VIVIDNESS: {error}.", id="colorize.E002"))
    return errors
