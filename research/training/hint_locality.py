"""How well colour hints stay where they are put, through the real pipeline.

For every photo of a folder (colorized from its lightness alone), one seeded random point gets
one random saturated colour (the most saturated colour of a random hue that sRGB can show at
the photo's lightness there, so a perfect engine could reproduce it exactly). Measured:

- **far pixels moved**: of the pixels farther from the click than ``far`` (35%) of the image's
  diagonal, the fraction whose ab moved by more than ``moved`` (10) units between the result
  without the hint and the result with it (per photo; the mean and the 90th percentile over
  the photos);
- **error at the click**: the ab distance between the hint's colour and the result's mean ab
  over the 3x3 pixels at the click;
- **10-hint PSNR**: the PSNR with 10 hints taken from the ground truth, drawn exactly as
  ``evaluate_model`` draws them (same seed), next to the grayscale image's.
"""

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from tqdm import tqdm

from colorize import colour
from colorize.hints import Hint, hint_ab
from colorize.pipeline import colorize
from research.training.evaluate import grayscale_of, load_truth
from research.training.metrics import psnr
from research.training.simulated_hints import ground_truth_hints

FAR_FRACTION = 0.35
MOVED_AB = 10.0
MAX_CHROMA = 100.0


def _unclipped_rgb(lab):
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16) / 116
    fxyz = np.stack((fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200), axis=-1)
    return colour.lab_f_inverse(fxyz) @ (colour.RGB_FROM_XYZ * colour.WHITE_D65).T


def max_chroma(lightness, hue, limit=MAX_CHROMA):
    """The largest chroma sRGB can show at this L and hue angle (radians), by bisection."""
    low, high = 0.0, float(limit)
    direction = np.array([math.cos(hue), math.sin(hue)])
    for _ in range(30):
        middle = (low + high) / 2
        linear = _unclipped_rgb([lightness, *(middle * direction)])
        if np.all(linear >= 0.0) and np.all(linear <= 1.0):
            low = middle
        else:
            high = middle
    return low


def saturated_colour(lightness, rng):
    """A random hue at 90% of the most saturated chroma sRGB shows at ``lightness``, as '#rrggbb'."""
    hue = float(rng.uniform(0, 2 * math.pi))
    chroma = 0.9 * max_chroma(lightness, hue)
    lab = np.array([lightness, chroma * math.cos(hue), chroma * math.sin(hue)])
    red, green, blue = np.round(colour.lab_to_rgb(lab) * 255).astype(int)
    return f"#{red:02x}{green:02x}{blue:02x}"


def ab_of(rgb_uint8):
    return colour.rgb_to_lab(np.asarray(rgb_uint8) / 255.0)[..., 1:]


@dataclass
class PhotoResult:
    far_moved: float
    click_error: float
    psnr_gray: float
    psnr_10: float | None


def measure_photo(truth, model, rng, *, vividness=None, ten_hint_rng=None):
    """One photo: (fraction of far pixels moved, ab error at the click, grey PSNR, 10-hint PSNR)."""
    height, width = truth.shape[:2]
    gray = grayscale_of(truth)
    gray_image = Image.fromarray(gray)
    options = {} if vividness is None else {"vividness": vividness}
    plain = np.asarray(colorize(gray_image, model=model, **options).convert("RGB"))
    x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
    lightness = float(colour.rgb_to_lightness(gray[y, x] / 255.0))
    hint = Hint(x=x, y=y, color=saturated_colour(lightness, rng))
    hinted = np.asarray(colorize(gray_image, model=model, hints=[hint], **options).convert("RGB"))

    moved = np.linalg.norm(ab_of(hinted) - ab_of(plain), axis=-1) > MOVED_AB
    rows, columns = np.mgrid[0:height, 0:width]
    far = np.hypot(rows - y, columns - x) > FAR_FRACTION * math.hypot(height, width)
    patch = hinted[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2]
    click_error = float(np.linalg.norm(ab_of(patch).reshape(-1, 2).mean(axis=0) - hint_ab(hint.color)))

    psnr_10 = None
    if ten_hint_rng is not None:
        hints = [Hint(x=hx, y=hy, color=c) for hx, hy, c in ground_truth_hints(truth, 10, ten_hint_rng)]
        psnr_10 = psnr(np.asarray(colorize(gray_image, model=model, hints=hints, **options).convert("RGB")), truth)
    return PhotoResult(float(moved[far].mean()), click_error, psnr(gray, truth), psnr_10)


def evaluate_hints(paths, model, *, seed=0, max_side=None, vividness=None, ten_hints=True):
    """Per-photo results and the summary (means, 90th percentiles) over ``paths``."""
    results = []
    for index, path in enumerate(tqdm(paths, desc="hints", unit="photo", mininterval=10)):
        truth = load_truth(path, max_side)
        rng = np.random.default_rng([seed, index, 1001])
        # The same draw as evaluate_model's 10-hint row for this photo.
        ten = np.random.default_rng([seed, index, 10]) if ten_hints else None
        results.append(measure_photo(truth, model, rng, vividness=vividness, ten_hint_rng=ten))
    return results, summarise(results)


def summarise(results):
    far = np.array([r.far_moved for r in results])
    error = np.array([r.click_error for r in results])
    summary = {
        "photos": len(results),
        "far_moved_mean": float(far.mean()),
        "far_moved_p90": float(np.percentile(far, 90)),
        "click_error_mean": float(error.mean()),
        "click_error_median": float(np.median(error)),
        "click_error_p90": float(np.percentile(error, 90)),
        "psnr_gray": float(np.mean([r.psnr_gray for r in results])),
    }
    ten = [r.psnr_10 for r in results if r.psnr_10 is not None]
    if ten:
        summary["psnr_10_hints"] = float(np.mean(ten))
        summary["psnr_10_hints_over_gray"] = summary["psnr_10_hints"] - summary["psnr_gray"]
    return summary


def format_summary(summary, model):
    lines = [
        f"| {model}, {summary['photos']} photos | value |",
        "|---|---|",
        f"| far pixels moved by one click (mean) | {100 * summary['far_moved_mean']:.2f}% |",
        f"| far pixels moved by one click (90th percentile) | {100 * summary['far_moved_p90']:.2f}% |",
        f"| ab error at the click (mean / median / 90th pct.) | {summary['click_error_mean']:.2f} / "
        f"{summary['click_error_median']:.2f} / {summary['click_error_p90']:.2f} |",
    ]
    if "psnr_10_hints" in summary:
        lines.append(
            f"| PSNR with 10 hints (grey {summary['psnr_gray']:.2f} dB) | {summary['psnr_10_hints']:.2f} dB "
            f"({summary['psnr_10_hints_over_gray']:+.2f}) |"
        )
    return "\n".join(lines)
