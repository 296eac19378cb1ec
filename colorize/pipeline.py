"""colorize(image, model, hints, vividness) -> result image: the one entry point of the engine.

The network sees the photo's lightness at its input size (256x256, resized from the sRGB photo
with PIL's bicubic filter, like the authors' pipeline) and predicts ab there (ONNX Runtime,
``colorize.runtime``): ab directly, or a distribution over ab bins that
``colorize.decoding`` decodes with the job's vividness. With hints, the model's hint anchoring
(``colorize.anchoring``) keeps each hint's colour around where it was put. The result joins
the ORIGINAL full-resolution L with that ab, upsampled bilinearly to the original size, and
converts to sRGB (``colorize.recombination``).

The model is a :class:`colorize.runtime.Model` (its description, its graph's file, how to run
it): the engine reads no configuration of its own; the site's adapter (``colorize.site``)
builds models and limits from its settings.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from colorize import anchoring, colour, decoding, imaging, registry, runtime
from colorize import hints as hint_inputs
from colorize.errors import BadHints
from colorize.hints import Hint
from colorize.recombination import recombine
from colorize.resample import resize_ab
from colorize.runtime import Model

__all__ = [
    "VARIANTS",
    "Colorized",
    "Hint",
    "Model",
    "colorize",
    "colorize_detailed",
    "network_feeds",
    "network_outputs",
    "predict",
    "predict_ab",
    "recombine",
    "render",
]

Float32 = npt.NDArray[np.float32]
AB_SCALE = hint_inputs.AB_SCALE
L_CENTER = 50.0
L_SCALE = 100.0
# The automatic colourings of one network run, for a model that predicts a distribution:
# vividness 0; the job's vividness; VIVID_VIVIDNESS; and the job's vividness with a second
# reading where the model was unsure (decoding.second_reading).
VARIANTS = ("cautious", "balanced", "vivid", "other")
VIVID_VIVIDNESS = 0.5  # 91% of val/'s true colourfulness (compact.md)
_LINEAR64 = colour.srgb_to_linear(np.arange(256, dtype=np.float64) / 255.0)


# --- the entry point ----------------------------------------------------------------------------
def _split_alpha(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """(base "L"/"RGB" image, alpha "L" image or None) for any PIL mode."""
    mode = image.mode
    if mode in ("RGBA", "RGBa", "LA", "La", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA") if mode not in ("RGBA", "LA") else image
        alpha = rgba.getchannel("A")
        base = image.convert("L") if mode in ("LA", "La") else rgba.convert("RGB")
        return base, alpha
    if mode in ("L", "RGB"):
        return image, None
    if mode == "1":
        return image.convert("L"), None
    base = imaging.normalise_mode(image, keep_gray=True)
    return (base if base.mode in ("L", "RGB") else base.convert("RGB")), None


def _lightness64(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """skimage's L (float64) of a small uint8 picture, h x w or h x w x 3."""
    linear = np.take(_LINEAR64, pixels)
    y_row = colour.XYZ_FROM_RGB[1]
    luminance = linear * y_row.sum() if pixels.ndim == 2 else linear @ y_row
    return np.asarray(116.0 * colour.lab_f(luminance) - 16.0, dtype=np.float64)


def network_input(base: Image.Image, size: int) -> Float32:
    """The network's L input (1x1xSxS, normalised), from the photo resized like the reference:
    bicubic on the 8-bit sRGB picture, then L of the resized picture."""
    small = np.asarray(base.resize((size, size), Image.Resampling.BICUBIC))
    l_norm = (_lightness64(small) - L_CENTER) / L_SCALE
    return l_norm.astype(np.float32).reshape(1, 1, size, size)


@dataclass
class Prediction:
    """What the network made of the photo: ab (normalised, 1x2xhxw at its output resolution)
    and, where asked and the model predicts one, the distribution over ab bins the colours
    come from (probabilities 1xKxh'xw', with the bins' normalised ab, Kx2); where asked, every
    variant's ab (normalised, as ``ab_norm``) by name."""

    ab_norm: Float32
    probabilities: Float32 | None = None
    bin_ab: Float32 | None = None
    variants: dict[str, Float32] | None = None


def _strength_and_temperature(
    spec: registry.ModelSpec, outputs: dict[str, Float32], vividness: float
) -> tuple[float, float]:
    """The decoding's prior strength and temperature at ``vividness``, by the model's rule."""
    rule = spec.vividness or decoding.Vividness()
    return rule.at(vividness, float(outputs["decode_temperature"]))


def _decode(
    spec: registry.ModelSpec,
    outputs: dict[str, Float32],
    vividness: float,
    *,
    second: bool = False,
    anchoring: bool = False,
) -> Float32:
    """Normalised ab at ``vividness`` (a model that regresses ab directly has one answer);
    ``second``: the second reading where the model was unsure; ``anchoring``: at the rule's
    temperature for the hints' anchoring."""
    if "logits" not in outputs:
        return outputs["ab_norm"]
    strength, temperature = _strength_and_temperature(spec, outputs, vividness)
    if anchoring and spec.vividness is not None and spec.vividness.anchoring_temperature is not None:
        temperature = spec.vividness.anchoring_temperature
    smoothing = spec.vividness.smoothing if spec.vividness else 0.0
    decode = decoding.second_reading if second else decoding.decode
    return decode(outputs["logits"], outputs["bin_ab"], outputs["bin_log_prior"], strength, temperature, smoothing)


def _distribution(
    spec: registry.ModelSpec, outputs: dict[str, Float32], vividness: float
) -> tuple[Float32, Float32] | tuple[None, None]:
    """(probabilities, bins' ab) the colours come from, or (None, None) for a model without one."""
    if "logits" in outputs:
        # The suggested colours: the distribution with the prior taken out as for the colours.
        strength, _ = _strength_and_temperature(spec, outputs, vividness)
        probabilities = decoding.softmax(decoding.corrected(outputs["logits"], outputs["bin_log_prior"], strength))
        return probabilities, outputs["bin_ab"]
    if "class_logits" in outputs:  # SIGGRAPH17's classification branch
        return decoding.softmax(outputs["class_logits"]), decoding.grid_bins()
    return None, None


def network_feeds(
    spec: registry.ModelSpec, l_norm: Float32, hints: Sequence[Hint], image_size: tuple[int, int]
) -> dict[str, Float32]:
    """What the network's graph is fed: the photo's L and, for a hint model, the hints' inputs."""
    inputs = {"l_norm": l_norm}
    if spec.takes_hints:
        inputs["hint_ab"], inputs["hint_mask"] = hint_inputs.network_inputs(hints, image_size, l_norm.shape[-1])
    return inputs


def downscaled(l_norm: Float32, size: int) -> Float32:
    """The network's L input at ``size``, a divisor of its side: the mean of each block."""
    factor = l_norm.shape[-1] // size
    blocks = l_norm.reshape(1, 1, size, factor, size, factor)
    return np.asarray(blocks.mean(axis=(3, 5)), dtype=np.float32)


def network_outputs(
    model: Model, l_norm: Float32, hints: Sequence[Hint], image_size: tuple[int, int]
) -> dict[str, Float32]:
    """The network's outputs for the photo's L (at the model's input size) and ``hints``. For a
    model with extra input sizes, its ``logits`` are the mean of all views' (in effect their
    mean log-probabilities)."""
    spec = model.spec
    outputs = runtime.run(model, network_feeds(spec, l_norm, hints, image_size))
    if not spec.extra_input_sizes:
        return outputs
    views = [
        runtime.run(model, network_feeds(spec, downscaled(l_norm, size), hints, image_size))["logits"]
        for size in spec.extra_input_sizes
    ]
    return {**outputs, "logits": runtime.mean_of_views(outputs["logits"], views, model.options)}


def _plausibilities(
    spec: registry.ModelSpec,
    outputs: dict[str, Float32],
    points: Sequence[tuple[float, float, Float32]],
) -> npt.NDArray[np.float64] | None:
    """How likely the prediction without hints found each hint's colour, where the model's
    anchoring asks (anchoring.Anchoring.likely_mass) and it predicts a distribution."""
    if spec.anchoring is None or spec.anchoring.likely_mass is None or "logits" not in outputs:
        return None
    return anchoring.plausibility(outputs["logits"], outputs["bin_ab"], points, spec.anchoring.likely_radius)


def _variant_settings(name: str, vividness: float) -> tuple[float, bool]:
    """(vividness, second reading) of the variant ``name`` for a job at ``vividness``."""
    if name not in VARIANTS:
        raise ValueError(f"there is no variant {name!r}; the variants are {', '.join(VARIANTS)}")
    return {"cautious": 0.0, "vivid": VIVID_VIVIDNESS}.get(name, vividness), name == "other"


def predict(
    model: Model,
    l_norm: Float32,
    hints: Sequence[Hint],
    image_size: tuple[int, int],
    vividness: float,
    *,
    distribution: bool = False,
    variant: str = "balanced",
    variants: bool = False,
) -> Prediction:
    """Run the network once, decode ``variant`` (by default: at ``vividness``) and anchor the
    hints (at the network's output resolution, before any upsampling); ``variants``: decode
    every variant from the same run as well, where the model has a vividness to vary."""
    spec = model.spec
    hinted_outputs = network_outputs(model, l_norm, hints, image_size)
    rule = spec.anchoring if hints else None
    plain_outputs = network_outputs(model, l_norm, (), image_size) if rule is not None else None
    anchored: dict[str, Float32] = {}

    def colours(name: str) -> Float32:
        variant_vividness, second = _variant_settings(name, vividness)
        if rule is None or plain_outputs is None:
            return _decode(spec, hinted_outputs, variant_vividness, second=second)
        # Vividness is for the colours the model guesses: what the hints change, and the colours
        # near them, come from the cautious decoding (vividness 0; a vivid one would amplify the
        # network's small far-away shifts into new colours).
        if not anchored:
            anchored["hinted"] = _decode(spec, hinted_outputs, 0.0, anchoring=True)
            anchored["plain"] = _decode(spec, plain_outputs, 0.0, anchoring=True)
        guessed = _decode(spec, plain_outputs, variant_vividness, second=second)
        points = hint_inputs.grid_points(hints, image_size)
        return anchoring.anchor(
            anchored["hinted"],
            anchored["plain"],
            l_norm,
            points,
            rule,
            guessed,
            _plausibilities(spec, plain_outputs, points),
        )

    prediction = Prediction(colours(variant))
    if variants and spec.vividness is not None:
        prediction.variants = {name: prediction.ab_norm if name == variant else colours(name) for name in VARIANTS}
    if distribution:
        prediction.probabilities, prediction.bin_ab = _distribution(spec, hinted_outputs, vividness)
    return prediction


def predict_ab(
    model: Model,
    l_norm: Float32,
    hints: Sequence[Hint],
    image_size: tuple[int, int],
    vividness: float = decoding.DEFAULT_VIVIDNESS,
) -> Float32:
    """Run the network (decoding, hint anchoring): ab in Lab units, 1x2xSxS."""
    prediction = predict(model, l_norm, hints, image_size, decoding.check_vividness(vividness))
    return _input_sized_ab(prediction.ab_norm, model.spec)


def _input_sized_ab(ab_norm: Float32, spec: registry.ModelSpec) -> Float32:
    """Normalised ab at the network's output resolution -> ab in Lab units at its input size."""
    ab = np.asarray(ab_norm, dtype=np.float32)
    if spec.output_stride > 1:
        ab = resize_ab(ab, *(side * spec.output_stride for side in ab.shape[2:]))
    return ab * np.float32(AB_SCALE)


@dataclass
class Colorized:
    """A result picture and, for a model that predicts colour distributions, the suggested
    colours at each cell of a small grid (``colorize.decoding.suggestions``) and, where asked,
    every variant's colours (normalised ab at the network's output resolution, for
    :func:`render`), else None."""

    image: Image.Image
    suggestions: dict[str, Any] | None = None
    variants: dict[str, Float32] | None = None


def colorize(
    image: Image.Image,
    model: Model,
    hints: Sequence[Hint] = (),
    vividness: float = decoding.DEFAULT_VIVIDNESS,
) -> Image.Image:
    """Colorize ``image`` (any PIL mode; a colour photo is colorized from its lightness alone)
    with ``model``, steered by ``hints`` where the model takes them, at ``vividness`` (0 the
    most conservative colours, 1 the most vivid). Returns an "RGB" image of the same size, or "RGBA" with the input's alpha.
    Raises a ColorizeError (BadHints, ModelNotInstalled, ModelFailed) with a user message."""
    return colorize_detailed(image, model, hints, vividness, suggestions=False).image


def colorize_detailed(
    image: Image.Image,
    model: Model,
    hints: Sequence[Hint] = (),
    vividness: float = decoding.DEFAULT_VIVIDNESS,
    *,
    suggestions: bool = True,
    variant: str = "balanced",
    variants: bool = False,
) -> Colorized:
    """:func:`colorize`, plus the suggested colours of the prediction (what a job keeps for the
    hint tool) when ``suggestions`` and the model has a distribution to suggest from. The
    picture is the colouring ``variant`` (one of VARIANTS); ``variants``: every variant's
    colours too, from the same network run."""
    spec = model.spec
    vividness = decoding.check_vividness(vividness)
    _variant_settings(variant, vividness)
    hints = hint_inputs.parse_hints(list(hints), image_size=image.size) if hints else ()
    if hints and not spec.takes_hints:
        takers = ", ".join(s.title for s in registry.hint_models())
        raise BadHints(
            f"the model {spec.name!r} does not take colour hints",
            user_message=f"The model {spec.title} does not take colour points; choose one that does ({takers}).",
        )
    runtime.load(model)  # a missing model fails before any heavy work
    base, alpha = _split_alpha(image)
    l_norm = network_input(base, spec.input_size)
    prediction = predict(
        model, l_norm, hints, image.size, vividness, distribution=suggestions, variant=variant, variants=variants
    )
    suggested = None
    if prediction.probabilities is not None and prediction.bin_ab is not None:
        suggested = decoding.suggestions(prediction.probabilities, prediction.bin_ab, l_norm[0, 0] * L_SCALE + L_CENTER)
    return Colorized(_rendered(base, alpha, prediction.ab_norm, spec), suggested, prediction.variants)


def render(image: Image.Image, ab_norm: Float32, spec: registry.ModelSpec) -> Image.Image:
    """The result picture of ``image`` (any PIL mode, any size) with the colours ``ab_norm``
    (normalised, at ``spec``'s output resolution): the photo's own lightness at full resolution,
    the alpha kept. Also how a kept variant becomes the result without running the network."""
    return _rendered(*_split_alpha(image), ab_norm, spec)


def _rendered(base: Image.Image, alpha: Image.Image | None, ab_norm: Float32, spec: registry.ModelSpec) -> Image.Image:
    result = recombine(base, _input_sized_ab(ab_norm, spec))
    if alpha is not None:
        result.putalpha(alpha)
    return result
