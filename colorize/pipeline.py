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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from colorize import colour, imaging, registry
from colorize.errors import ModelFailed, ModelNotInstalled

AB_SCALE = 110.0
L_CENTER = 50.0
L_SCALE = 100.0
# Pixels per strip of the full-resolution recombination: below torch's parallel grain size
# (32768), so each op runs on the calling thread with its data in cache.
STRIP_PIXELS = 1 << 15
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
def _lab_f_inverse(f):
    """skimage's inverse of the Lab companding, on float64 (used for the lookup tables)."""
    return torch.where(f > 0.2068966, f**3, (f - colour._OFFSET) / colour._KAPPA)


def _build_tables():
    levels = torch.arange(256, dtype=torch.float64) / 255.0
    linear = colour.srgb_to_linear(levels)
    weights = colour._XYZ_FROM_RGB[1]
    # A gray level's luminance is its linear value times the sum of the Y row (1.000002).
    gray_fy = colour._lab_f(linear * weights.sum())
    # Y as the reference gets it back from L, so gray pixels match it to float precision.
    gray_y = _lab_f_inverse(gray_fy)
    luminance_parts = (linear[None, :] * weights[:, None]).float()  # 3 x 256: Y share of R, G, B
    srgb = colour.linear_to_srgb(torch.linspace(0.0, 1.0, GAMMA_STEPS, dtype=torch.float64))
    gamma = (srgb * 255.0).round().to(torch.uint8)
    return gray_fy.float(), gray_y.float(), luminance_parts, gamma


# linear RGB -> 8-bit sRGB through a table of 65536 steps: within 0.05 of a level everywhere.
GAMMA_STEPS = 1 << 16
_GRAY_FY, _GRAY_Y, _Y_PARTS, _GAMMA = (table.numpy() for table in _build_tables())
_RGB_FROM_XYZ_WHITE = (colour._RGB_FROM_XYZ * colour._WHITE_D65).tolist()


def _f_inverse_(f):
    """In place on float32: f -> f^3 above the knee, (f - 16/116) / 7.787 below."""
    cube = f * f * f
    return torch.where(f > 0.2068966, cube, f.sub_(colour._OFFSET).mul_(1.0 / colour._KAPPA), out=cube)


def _fy_and_y(pixels):
    """Lab's f(Y) and Y (float32, h x w) of a uint8 strip: h x w (gray) or h x w x 3 (sRGB)."""
    # numpy's take is several times faster than torch's indexing for these small tables.
    if pixels.ndim == 2:
        return torch.from_numpy(np.take(_GRAY_FY, pixels)), torch.from_numpy(np.take(_GRAY_Y, pixels))
    luminance = np.take(_Y_PARTS[0], pixels[..., 0])
    luminance += np.take(_Y_PARTS[1], pixels[..., 1])
    luminance += np.take(_Y_PARTS[2], pixels[..., 2])
    luminance = torch.from_numpy(luminance)
    fy = torch.where(luminance > colour._EPSILON, luminance.pow(1.0 / 3.0), luminance * colour._KAPPA + colour._OFFSET)
    return fy, _f_inverse_(fy.clone())


def _strip_to_srgb8(pixels, a, b):
    """One strip: the photo's own L (from uint8 ``pixels``) joined with ``a``, ``b`` (float32,
    h x w, Lab units), to uint8 sRGB h x w x 3 with skimage's lab2rgb formulas."""
    fy, y = _fy_and_y(pixels)
    x = _f_inverse_(a.mul_(1.0 / 500.0).add_(fy))
    z = _f_inverse_(b.mul_(-1.0 / 200.0).add_(fy).clamp_min_(0.0))
    out = np.empty((*fy.shape, 3), dtype=np.uint8)
    for channel, (mx, my, mz) in enumerate(_RGB_FROM_XYZ_WHITE):
        linear = x * mx
        linear.add_(y, alpha=my).add_(z, alpha=mz)
        index = linear.clamp_(0.0, 1.0).mul_(GAMMA_STEPS - 1).add_(0.5).to(torch.int32)
        out[..., channel] = np.take(_GAMMA, index.numpy())
    return out


def _row_weights(out_size, in_size):
    """Bilinear source rows (align_corners=False, like F.interpolate) for each output row."""
    scale = in_size / out_size
    source = ((torch.arange(out_size, dtype=torch.float64) + 0.5) * scale - 0.5).clamp_min(0.0)
    low = source.floor().long().clamp_max(in_size - 1)
    high = (low + 1).clamp_max(in_size - 1)
    weight = (source - low).float().clamp(0.0, 1.0)
    return low, high, weight


def recombine(base, ab_small, *, workers=None):
    """Full-resolution result from the photo's own L and the network's ab (1x2xhxw, in Lab
    units): ab upsampled bilinearly (as F.interpolate), joined with L, converted to sRGB.

    ``base`` is an "L" or "RGB" PIL image; returns an "RGB" PIL image of the same size. Works
    in strips small enough for each tensor op to stay single-threaded and in cache; strips
    run on a few threads (torch releases the GIL), so no op waits on a busy core's barrier.
    """
    width, height = base.size
    ab_small = ab_small.float()
    # Along the width once for all rows of the small map; along the height per strip.
    ab_wide = torch.nn.functional.interpolate(ab_small, size=(ab_small.shape[2], width), mode="bilinear")[0]
    low, high, weight = _row_weights(height, ab_small.shape[2])
    result = Image.new("RGB", (width, height))
    rows_per_strip = max(1, STRIP_PIXELS // width)

    def strip(top):
        bottom = min(height, top + rows_per_strip)
        pixels = np.asarray(base.crop((0, top, width, bottom)))
        w = weight[top:bottom].view(-1, 1)
        lo, hi = low[top:bottom], high[top:bottom]
        a = torch.lerp(ab_wide[0, lo], ab_wide[0, hi], w)
        b = torch.lerp(ab_wide[1, lo], ab_wide[1, hi], w)
        result.paste(Image.fromarray(_strip_to_srgb8(pixels, a, b), "RGB"), (0, top))

    tops = range(0, height, rows_per_strip)
    workers = workers or min(torch.get_num_threads(), 8)
    # Always on pool threads, even one: from the main thread, torch's intra-op thread pool can
    # turn every small op into a fork/join that crawls when the cores are busy elsewhere.
    with ThreadPoolExecutor(max(1, min(workers, len(tops)))) as pool:
        list(pool.map(strip, tops))
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


def _lightness64(pixels):
    """skimage's L (float64) of a small uint8 picture, h x w or h x w x 3, in numpy."""
    linear = np.take(_LINEAR64, pixels)
    luminance = linear * _Y_ROW64.sum() if pixels.ndim == 2 else linear @ _Y_ROW64
    f = np.where(luminance > colour._EPSILON, np.cbrt(luminance), colour._KAPPA * luminance + colour._OFFSET)
    return 116.0 * f - 16.0


_LINEAR64 = colour.srgb_to_linear(torch.arange(256, dtype=torch.float64) / 255.0).numpy()
_Y_ROW64 = colour._XYZ_FROM_RGB[1].numpy()


def _network_input(base, size):
    """The network's L input (1x1xSxS, normalised), from the photo resized like the reference:
    bicubic on the 8-bit sRGB picture, then L of the resized picture."""
    small = np.asarray(base.resize((size, size), Image.Resampling.BICUBIC))
    l_norm = (_lightness64(small) - L_CENTER) / L_SCALE
    return torch.from_numpy(l_norm.astype(np.float32)).view(1, 1, size, size)


def resolve_model(model):
    """The registry spec for ``model`` (or the default model); ModelNotInstalled if unknown."""
    name = model or registry.default_model_name(required=True)
    try:
        return registry.get_spec(name)
    except registry.UnknownModel as error:
        raise ModelNotInstalled(str(error), user_message=f"There is no model called {name!r}.") from None


def predict_ab(network, spec, l_norm, hints, image_size):
    """Run the network: ab in Lab units, 1x2xSxS, checked finite."""
    registry.use_torch_threads()
    bf16 = registry.use_bf16(spec)
    try:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
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
