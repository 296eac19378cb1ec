"""colorize(image, model, hints, vividness) -> result image: the one entry point of the engine.

The network sees the photo's lightness at its input size (256x256, resized from the sRGB photo
with PIL's bicubic filter, like the authors' pipeline) and predicts ab there (ONNX Runtime,
``colorize.runtime``): ab directly, or a distribution over ab bins that
``colorize.decoding`` decodes with the job's vividness. With hints, the model's hint anchoring
(``colorize.hints.anchor``) keeps each hint's colour around where it was put. The result joins the ORIGINAL full-resolution L with that ab,
upsampled bilinearly to the original size, and converts to sRGB. The full-resolution part
runs in horizontal strips in float32 numpy on a few threads (numpy releases the GIL),
computing only L from the photo (through lookup tables), so a 12 MP photo needs little memory
beyond the input and the output pictures.
"""

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.conf import settings
from PIL import Image

from colorize import colour, decoding, imaging, registry, runtime
from colorize import hints as hint_inputs
from colorize.errors import BadHints, ModelNotInstalled
from colorize.hints import Hint
from colorize.resample import bilinear_weights, lerp, resize_ab

__all__ = [
    "VARIANTS",
    "Colorized",
    "Hint",
    "colorize",
    "colorize_detailed",
    "network_outputs",
    "predict",
    "predict_ab",
    "recombine",
    "render",
    "resolve_model",
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
# Pixels per strip of the full-resolution recombination: small enough to stay in cache.
STRIP_PIXELS = 1 << 15
# linear RGB -> 8-bit sRGB through a table of 65536 steps: within 0.05 of a level everywhere.
GAMMA_STEPS = 1 << 16


# --- colour maths on uint8 pictures -----------------------------------------------------------
def _build_tables() -> tuple[Float32, Float32, Float32, npt.NDArray[np.uint8]]:
    levels = np.arange(256, dtype=np.float64) / 255.0
    linear = colour.srgb_to_linear(levels)
    y_row = colour.XYZ_FROM_RGB[1]
    # A gray level's luminance is its linear value times the sum of the Y row (1.000002).
    gray_fy = colour.lab_f(linear * y_row.sum())
    # Y as the reference gets it back from L, so gray pixels match it to float precision.
    gray_y = colour.lab_f_inverse(gray_fy)
    luminance_parts = linear[None, :] * y_row[:, None]  # 3 x 256: Y share of R, G, B
    srgb = colour.linear_to_srgb(np.linspace(0.0, 1.0, GAMMA_STEPS))
    gamma = np.round(srgb * 255.0).astype(np.uint8)
    return gray_fy.astype(np.float32), gray_y.astype(np.float32), luminance_parts.astype(np.float32), gamma


_GRAY_FY, _GRAY_Y, _Y_PARTS, _GAMMA = _build_tables()
_RGB_FROM_XYZ_WHITE = (colour.RGB_FROM_XYZ * colour.WHITE_D65).astype(np.float32)
_LINEAR64 = colour.srgb_to_linear(np.arange(256, dtype=np.float64) / 255.0)


def _f_inverse(f: Float32) -> Float32:
    """f -> f^3 above the knee, (f - 16/116) / 7.787 below (float32, may reuse ``f``)."""
    cube = f * f
    cube *= f
    below = f > colour.F_KNEE
    f -= colour.OFFSET
    f *= 1.0 / colour.KAPPA
    return np.where(below, cube, f)


def _fy_and_y(pixels: npt.NDArray[np.uint8]) -> tuple[Float32, Float32]:
    """Lab's f(Y) and Y (float32, h x w) of a uint8 strip: h x w (gray) or h x w x 3 (sRGB)."""
    if pixels.ndim == 2:
        return np.take(_GRAY_FY, pixels), np.take(_GRAY_Y, pixels)
    luminance = np.take(_Y_PARTS[0], pixels[..., 0])
    luminance += np.take(_Y_PARTS[1], pixels[..., 1])
    luminance += np.take(_Y_PARTS[2], pixels[..., 2])
    fy = np.where(luminance > colour.EPSILON, np.cbrt(luminance), luminance * colour.KAPPA + colour.OFFSET)
    return fy.astype(np.float32, copy=False), _f_inverse(fy.astype(np.float32))


def _strip_to_srgb8(pixels: npt.NDArray[np.uint8], a: Float32, b: Float32) -> npt.NDArray[np.uint8]:
    """One strip: the photo's own L (from uint8 ``pixels``) joined with ``a``, ``b`` (float32,
    h x w, Lab units), to uint8 sRGB h x w x 3 with skimage's lab2rgb formulas."""
    fy, y = _fy_and_y(pixels)
    a *= 1.0 / 500.0
    a += fy
    x = _f_inverse(a)
    b *= -1.0 / 200.0
    b += fy
    np.maximum(b, 0.0, out=b)
    z = _f_inverse(b)
    out = np.empty((*fy.shape, 3), dtype=np.uint8)
    linear = np.empty_like(fy)
    for channel, (mx, my, mz) in enumerate(_RGB_FROM_XYZ_WHITE):
        np.multiply(x, mx, out=linear)
        linear += y * my
        linear += z * mz
        np.clip(linear, 0.0, 1.0, out=linear)
        linear *= GAMMA_STEPS - 1
        linear += 0.5
        out[..., channel] = np.take(_GAMMA, linear.astype(np.int32))
    return out


def recombine(base: Image.Image, ab_small: Float32, *, workers: int | None = None) -> Image.Image:
    """Full-resolution result from the photo's own L and the network's ab (1x2xhxw, in Lab
    units): ab upsampled bilinearly (as PyTorch's interpolate), joined with L, converted to sRGB.

    ``base`` is an "L" or "RGB" PIL image; returns an "RGB" PIL image of the same size. Works
    in strips small enough to stay in cache, on a few threads.
    """
    width, height = base.size
    ab = np.asarray(ab_small, dtype=np.float32)
    # Along the width once for all rows of the small map; along the height per strip.
    low, high, weight = bilinear_weights(width, ab.shape[3])
    ab_wide = lerp(ab[0][..., low], ab[0][..., high], weight)
    low, high, weight = bilinear_weights(height, ab.shape[2])
    result = Image.new("RGB", (width, height))
    rows_per_strip = max(1, STRIP_PIXELS // width)

    def strip(top: int) -> None:
        bottom = min(height, top + rows_per_strip)
        pixels = np.asarray(base.crop((0, top, width, bottom)))
        w = weight[top:bottom, None]
        lo, hi = low[top:bottom], high[top:bottom]
        a = lerp(ab_wide[0, lo], ab_wide[0, hi], w)
        b = lerp(ab_wide[1, lo], ab_wide[1, hi], w)
        result.paste(Image.fromarray(_strip_to_srgb8(pixels, a, b), "RGB"), (0, top))

    tops = range(0, height, rows_per_strip)
    workers = workers or min(runtime.cpus(), 8)
    with ThreadPoolExecutor(max(1, min(workers, len(tops)))) as pool:
        list(pool.map(strip, tops))
    return result


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


def resolve_model(model: str | None) -> registry.ModelSpec:
    """The registry spec for ``model`` (or the default model); ModelNotInstalled if unknown."""
    name = model or registry.default_model_name(required=True)
    try:
        return registry.get_spec(str(name))
    except registry.UnknownModel as error:
        raise ModelNotInstalled(str(error), user_message=f"There is no model called {name!r}.") from None


def resolve_vividness(vividness: float | None) -> float:
    """``vividness`` (0..1), or settings.COLORIZE_DEFAULT_VIVIDNESS for None; ValueError outside."""
    value = float(settings.COLORIZE_DEFAULT_VIVIDNESS if vividness is None else vividness)
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"vividness must be between 0 and 1, not {vividness!r}")
    return value


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


def _network_inputs(
    spec: registry.ModelSpec, l_norm: Float32, hints: Sequence[Hint], image_size: tuple[int, int]
) -> dict[str, Float32]:
    inputs = {"l_norm": l_norm}
    if spec.takes_hints:
        inputs["hint_ab"], inputs["hint_mask"] = hint_inputs.network_inputs(hints, image_size, l_norm.shape[-1])
    return inputs


def _downscaled(l_norm: Float32, size: int) -> Float32:
    """The network's L input at ``size``, a divisor of its side: the mean of each block."""
    factor = l_norm.shape[-1] // size
    blocks = l_norm.reshape(1, 1, size, factor, size, factor)
    return np.asarray(blocks.mean(axis=(3, 5)), dtype=np.float32)


def network_outputs(
    spec: registry.ModelSpec, l_norm: Float32, hints: Sequence[Hint], image_size: tuple[int, int]
) -> dict[str, Float32]:
    """The network's outputs for the photo's L (at the model's input size) and ``hints``. For a
    model with extra input sizes, its ``logits`` are the mean of all views' (in effect their
    mean log-probabilities)."""
    outputs = runtime.run(spec, _network_inputs(spec, l_norm, hints, image_size))
    if not spec.extra_input_sizes:
        return outputs
    views = [
        runtime.run(spec, _network_inputs(spec, _downscaled(l_norm, size), hints, image_size))["logits"]
        for size in spec.extra_input_sizes
    ]
    return {**outputs, "logits": runtime.mean_of_views(outputs["logits"], views)}


def _plausibilities(
    spec: registry.ModelSpec,
    outputs: dict[str, Float32],
    points: Sequence[tuple[float, float, Float32]],
) -> npt.NDArray[np.float64] | None:
    """How likely the prediction without hints found each hint's colour, where the model's
    anchoring asks (hint_inputs.Anchoring.likely_mass) and it predicts a distribution."""
    if spec.anchoring is None or spec.anchoring.likely_mass is None or "logits" not in outputs:
        return None
    return hint_inputs.plausibility(outputs["logits"], outputs["bin_ab"], points, spec.anchoring.likely_radius)


def _variant_settings(name: str, vividness: float) -> tuple[float, bool]:
    """(vividness, second reading) of the variant ``name`` for a job at ``vividness``."""
    if name not in VARIANTS:
        raise ValueError(f"there is no variant {name!r}; the variants are {', '.join(VARIANTS)}")
    return {"cautious": 0.0, "vivid": VIVID_VIVIDNESS}.get(name, vividness), name == "other"


def predict(
    spec: registry.ModelSpec,
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
    hinted_outputs = network_outputs(spec, l_norm, hints, image_size)
    anchoring = spec.anchoring if hints else None
    plain_outputs = network_outputs(spec, l_norm, (), image_size) if anchoring is not None else None
    anchored: dict[str, Float32] = {}

    def colours(name: str) -> Float32:
        variant_vividness, second = _variant_settings(name, vividness)
        if anchoring is None or plain_outputs is None:
            return _decode(spec, hinted_outputs, variant_vividness, second=second)
        # Vividness is for the colours the model guesses: what the hints change, and the colours
        # near them, come from the cautious decoding (vividness 0; a vivid one would amplify the
        # network's small far-away shifts into new colours).
        if not anchored:
            anchored["hinted"] = _decode(spec, hinted_outputs, 0.0, anchoring=True)
            anchored["plain"] = _decode(spec, plain_outputs, 0.0, anchoring=True)
        guessed = _decode(spec, plain_outputs, variant_vividness, second=second)
        points = hint_inputs.grid_points(hints, image_size)
        return hint_inputs.anchor(
            anchored["hinted"],
            anchored["plain"],
            l_norm,
            points,
            anchoring,
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
    spec: registry.ModelSpec,
    l_norm: Float32,
    hints: Sequence[Hint],
    image_size: tuple[int, int],
    vividness: float | None = None,
) -> Float32:
    """Run the network (decoding, hint anchoring): ab in Lab units, 1x2xSxS."""
    return _input_sized_ab(predict(spec, l_norm, hints, image_size, resolve_vividness(vividness)).ab_norm, spec)


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
    model: str | None = None,
    hints: Sequence[Hint] = (),
    vividness: float | None = None,
) -> Image.Image:
    """Colorize ``image`` (any PIL mode; a colour photo is colorized from its lightness alone)
    with ``model`` (the default model if None), steered by ``hints`` where the model takes
    them, at ``vividness`` (0 the most conservative colours, 1 the most vivid; None: the
    default). Returns an "RGB" image of the same size, or "RGBA" with the input's alpha.
    Raises a ColorizeError (BadHints, ModelNotInstalled, ModelFailed) with a user message."""
    return colorize_detailed(image, model, hints, vividness, suggestions=False).image


def colorize_detailed(
    image: Image.Image,
    model: str | None = None,
    hints: Sequence[Hint] = (),
    vividness: float | None = None,
    *,
    suggestions: bool = True,
    variant: str = "balanced",
    variants: bool = False,
) -> Colorized:
    """:func:`colorize`, plus the suggested colours of the prediction (what a job keeps for the
    hint tool) when ``suggestions`` and the model has a distribution to suggest from. The
    picture is the colouring ``variant`` (one of VARIANTS); ``variants``: every variant's
    colours too, from the same network run."""
    spec = resolve_model(model)
    vividness = resolve_vividness(vividness)
    _variant_settings(variant, vividness)
    hints = hint_inputs.parse_hints(list(hints), image_size=image.size) if hints else ()
    if hints and not spec.takes_hints:
        takers = ", ".join(s.title for s in registry.hint_models())
        raise BadHints(
            f"the model {spec.name!r} does not take colour hints",
            user_message=f"The model {spec.title} does not take colour points; choose one that does ({takers}).",
        )
    runtime.load(spec)  # a missing model fails before any heavy work
    base, alpha = _split_alpha(image)
    l_norm = network_input(base, spec.input_size)
    prediction = predict(
        spec, l_norm, hints, image.size, vividness, distribution=suggestions, variant=variant, variants=variants
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
