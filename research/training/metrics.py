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


# A pixel is loud and wrong when the result's chroma is at least LOUD_CHROMA and its (a*, b*)
# lies at least WRONG_DISTANCE from the true photo's; a photo with more than BLOTCHY_SHARE of
# its pixels so is blotchy (a visible patch of confident wrong colour).
LOUD_CHROMA = 20.0
WRONG_DISTANCE = 30.0
BLOTCHY_SHARE = 0.10


def loud_wrong_share(result, truth):
    """The share of the result's pixels that are loud and wrong (issue #25's measure)."""
    result_ab, truth_ab = rgb2lab(result)[..., 1:], rgb2lab(truth)[..., 1:]
    loud = np.hypot(result_ab[..., 0], result_ab[..., 1]) >= LOUD_CHROMA
    wrong = np.hypot(*(result_ab - truth_ab).transpose(2, 0, 1)) >= WRONG_DISTANCE
    return float(np.mean(loud & wrong))
