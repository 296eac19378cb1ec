"""Image-quality measures for colorization, on uint8 sRGB arrays of shape (H, W, 3)."""

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab


def psnr(result, truth):
    """Peak signal-to-noise ratio in dB over 8-bit sRGB."""
    error = np.mean((result.astype(np.float64) - truth.astype(np.float64)) ** 2)
    return float("inf") if error == 0 else float(10 * np.log10(255.0**2 / error))


def ciede2000(result, truth):
    """Mean CIEDE2000 colour difference per pixel."""
    return float(np.mean(deltaE_ciede2000(rgb2lab(truth), rgb2lab(result))))


def colourfulness(rgb):
    """Hasler and Suesstrunk's colourfulness metric (2003)."""
    red, green, blue = (rgb[..., channel].astype(np.float64) for channel in range(3))
    rg = red - green
    yb = 0.5 * (red + green) - blue
    spread = np.sqrt(rg.std() ** 2 + yb.std() ** 2)
    mean = np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return float(spread + 0.3 * mean)
