"""colorize(image, model, hints) -> result image: the one entry point of the engine.

The network sees the photo's lightness at its input size (256x256, resized from the sRGB photo
with PIL's bicubic filter, like the authors' pipeline) and predicts ab there. The result joins
the ORIGINAL full-resolution L with that ab, upsampled bilinearly to the original size, and
converts to sRGB. The full-resolution part runs in horizontal strips in float32, computing only
L from the photo (through a lookup table), so a 12 MP photo needs little memory beyond the
input and the output pictures.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from colorize import colour, imaging, registry
from colorize.errors import ModelFailed, ModelNotInstalled

AB_SCALE = 110.0
L_CENTER = 50.0
L_SCALE = 100.0
# Pixels per strip of the full-resolution recombination: small enough to stay in cache-sized
# working sets and keep peak memory low, large enough for the ops to run in parallel.
STRIP_PIXELS = 1 << 19
_COLOUR_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class Hint:
    """A colour hint: a point in original-image pixels and the sRGB colour wanted there."""

    x: float
    y: float
    color: str


def parse_colour(color):
    """'#rrggbb' -> (r, g, b) integers; ValueError for anything else."""
    match = _COLOUR_RE.match(str(color).strip())
    if not match:
        raise ValueError(f"a hint colour must look like '#a0522d', not {color!r}")
    value = match.group(1)
    return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))


def _hint_ab(color):
    """The ab of an sRGB colour (its L is not used: the photo decides lightness)."""
    rgb = torch.tensor(parse_colour(color), dtype=torch.float64).view(3, 1, 1) / 255.0
    lab = colour.rgb_to_lab(rgb)
    return lab[1:, 0, 0].float()


def hint_tensors(hints, image_size, input_size=256):
    """Hints -> (ab_norm 1x2xSxS, mask 1x1xSxS) for a network whose input is SxS.

    As in SIGGRAPH17: the hint's ab (from its sRGB colour), normalised by 110, fills a small
    square patch (3x3 at 256) around the point mapped from original-image pixels; the mask
    is 1 on that patch and 0 elsewhere.
    """
    width, height = image_size
    size = int(input_size)
    radius = max(1, round(size / 256))
    ab = torch.zeros((1, 2, size, size), dtype=torch.float32)
    mask = torch.zeros((1, 1, size, size), dtype=torch.float32)
    for hint in hints:
        x, y = float(hint.x), float(hint.y)
        if not (0 <= x <= width and 0 <= y <= height):
            raise ValueError(f"hint ({hint.x}, {hint.y}) lies outside the {width}x{height} image")
        column = min(int(x * size / width), size - 1)
        row = min(int(y * size / height), size - 1)
        rows = slice(max(0, row - radius), row + radius + 1)
        columns = slice(max(0, column - radius), column + radius + 1)
        ab[0, :, rows, columns] = (_hint_ab(hint.color) / AB_SCALE).view(2, 1, 1)
        mask[0, :, rows, columns] = 1.0
    return ab, mask


# --- colour maths on uint8 pictures -----------------------------------------------------------
def _lightness_from_linear_luminance(luminance):
    return 116.0 * colour._lab_f(luminance) - 16.0


def _build_tables():
    levels = torch.arange(256, dtype=torch.float64) / 255.0
    linear = colour.srgb_to_linear(levels)
    # A gray level's luminance is its linear value (the Y row of the matrix sums to 1).
    luminance = linear * colour._XYZ_FROM_RGB[1].sum()
    gray_lightness = _lightness_from_linear_luminance(luminance)
    return linear.float(), gray_lightness.float()


_LINEAR_LUT, _GRAY_L_LUT = _build_tables()
_Y_WEIGHTS = colour._XYZ_FROM_RGB[1].float()
_RGB_FROM_XYZ_WHITE = (colour._RGB_FROM_XYZ * colour._WHITE_D65).float()


def _lightness(pixels):
    """L (float32, HxW) of a uint8 array: HxW (gray) or HxWx3 (sRGB)."""
    index = torch.from_numpy(pixels.astype(np.int32))
    if pixels.ndim == 2:
        return _GRAY_L_LUT[index]
    linear = _LINEAR_LUT[index]
    luminance = linear @ _Y_WEIGHTS
    return _lightness_from_linear_luminance(luminance)


def _lab_to_srgb8(lightness, ab):
    """L (h, w) and ab (2, h, w), float32 -> uint8 sRGB (h, w, 3), skimage's formulas."""
    fy = (lightness + 16.0) / 116.0
    fx = fy + ab[0] / 500.0
    fz = (fy - ab[1] / 200.0).clamp_min_(0.0)
    f = torch.stack((fx, fy, fz), dim=-1)
    xyz = torch.where(f > 0.2068966, f * f * f, (f - colour._OFFSET) / colour._KAPPA)
    linear = xyz @ _RGB_FROM_XYZ_WHITE.T
    srgb = colour.linear_to_srgb(linear)
    return srgb.mul_(255.0).clamp_(0.0, 255.0).round_().to(torch.uint8)


def _row_weights(out_size, in_size):
    """Bilinear source rows (align_corners=False, like F.interpolate) for each output row."""
    scale = in_size / out_size
    source = ((torch.arange(out_size, dtype=torch.float64) + 0.5) * scale - 0.5).clamp_min(0.0)
    low = source.floor().long().clamp_max(in_size - 1)
    high = (low + 1).clamp_max(in_size - 1)
    weight = (source - low).float().clamp(0.0, 1.0)
    return low, high, weight


def recombine(base, ab_small):
    """Full-resolution result from the photo's own L and the network's ab (1x2xhxw, in Lab
    units): upsampled bilinearly, joined, converted to sRGB, strip by strip. ``base`` is an
    "L" or "RGB" PIL image; returns an "RGB" PIL image of the same size."""
    width, height = base.size
    ab_small = ab_small.float()
    # Along the width once for all rows of the small map; along the height per strip.
    ab_wide = torch.nn.functional.interpolate(ab_small, size=(ab_small.shape[2], width), mode="bilinear")[0]
    low, high, weight = _row_weights(height, ab_small.shape[2])
    result = Image.new("RGB", (width, height))
    rows_per_strip = max(1, STRIP_PIXELS // width)
    for top in range(0, height, rows_per_strip):
        bottom = min(height, top + rows_per_strip)
        pixels = np.asarray(base.crop((0, top, width, bottom)))
        lightness = _lightness(pixels)
        w = weight[top:bottom].view(1, -1, 1)
        ab = torch.lerp(ab_wide[:, low[top:bottom]], ab_wide[:, high[top:bottom]], w)
        rgb = _lab_to_srgb8(lightness, ab)
        result.paste(Image.fromarray(rgb.numpy(), "RGB"), (0, top))
    return result


# --- the entry point ----------------------------------------------------------------------------
def _split_alpha(image):
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
    base = imaging._normalise_mode(image, keep_gray=True)
    return (base if base.mode in ("L", "RGB") else base.convert("RGB")), None


def _network_input(base, size):
    """The network's L input (1x1xSxS, normalised), from the photo resized like the reference:
    bicubic on the 8-bit sRGB picture, then L of the resized picture."""
    small = base.resize((size, size), Image.Resampling.BICUBIC)
    pixels = torch.from_numpy(np.asarray(small).astype(np.float64) / 255.0)
    if pixels.ndim == 2:
        lightness = colour.rgb_to_lightness(pixels.expand(3, -1, -1))
    else:
        lightness = colour.rgb_to_lightness(pixels.permute(2, 0, 1))
    return ((lightness.float() - L_CENTER) / L_SCALE).view(1, 1, size, size)


def resolve_model(model):
    """The registry spec for ``model`` (or the default model); ModelNotInstalled if unknown."""
    name = model or registry.default_model_name(required=True)
    try:
        return registry.get_spec(name)
    except registry.UnknownModel as error:
        raise ModelNotInstalled(str(error), user_message=f"There is no model called {name!r}.") from None


def predict_ab(network, spec, l_norm, hints, image_size):
    """Run the network: ab in Lab units, 1x2xSxS, checked finite."""
    try:
        with torch.inference_mode():
            l_input = l_norm.contiguous(memory_format=torch.channels_last)
            if spec.takes_hints:
                hint_ab, mask = hint_tensors(hints, image_size, spec.input_size)
                output = network(l_input, hint_ab, mask)
            else:
                output = network(l_input)
    except (RuntimeError, ValueError, TypeError, IndexError) as error:
        raise ModelFailed(f"{spec.name} raised {error.__class__.__name__}: {error}") from error
    if output.ndim != 4 or output.shape[1] != 2:
        raise ModelFailed(f"{spec.name} returned a tensor of shape {tuple(output.shape)}, not Nx2xHxW")
    if not torch.isfinite(output).all():
        raise ModelFailed(f"{spec.name} produced non-finite values")
    return output.float() * AB_SCALE


def colorize(image: Image.Image, model: str | None = None, hints: Sequence[Hint] = ()) -> Image.Image:
    """Colorize ``image`` (any PIL mode; a colour photo is colorized from its lightness alone)
    with ``model`` (the default model if None), steered by ``hints`` where the model takes
    them. Returns an "RGB" image of the same size, or "RGBA" with the input's alpha."""
    spec = resolve_model(model)
    hints = tuple(hints or ())
    if hints and not spec.takes_hints:
        takers = ", ".join(s.name for s in registry.MODELS.values() if s.takes_hints)
        raise ValueError(f"The model {spec.name!r} does not take colour hints; use one that does ({takers}).")
    for hint in hints:
        parse_colour(hint.color)
    hint_tensors(hints, image.size, 8)  # validates the positions before any heavy work
    network = registry.load_model(spec.name)
    base, alpha = _split_alpha(image)
    l_norm = _network_input(base, spec.input_size)
    ab_small = predict_ab(network, spec, l_norm, hints, image.size)
    result = recombine(base, ab_small)
    if alpha is not None:
        result.putalpha(alpha)
    return result
