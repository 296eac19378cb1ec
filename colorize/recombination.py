"""The full-resolution result: the photo's own lightness joined with the network's colours.

8-bit Lab through lookup tables, in horizontal strips small enough to stay in cache, on a few
threads (numpy releases the GIL): only L is computed from the photo, so a 12 MP photo needs
little memory beyond the input and the output pictures. The formulas are skimage's lab2rgb.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
from PIL import Image

from colorize import colour
from colorize.resample import bilinear_weights, lerp
from colorize.runtime import cpus

Float32 = npt.NDArray[np.float32]
# Pixels per strip of the full-resolution recombination: small enough to stay in cache.
STRIP_PIXELS = 1 << 15
# linear RGB -> 8-bit sRGB through a table of 65536 steps: within 0.05 of a level everywhere.
GAMMA_STEPS = 1 << 16


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
    workers = workers or min(cpus(), 8)
    with ThreadPoolExecutor(max(1, min(workers, len(tops)))) as pool:
        list(pool.map(strip, tops))
    return result
