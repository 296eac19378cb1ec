"""Evaluation of a colorizer on a folder of colour photos, through the real pipeline.

Each photo is colorized from its lightness alone, with 0 or more hints taken from the
ground truth (positions and colours drawn with a fixed seed, so runs compare), and scored
against the truth next to the plain grayscale image (the photo's L with ab = 0).
"""

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from colorize import weights
from colorize.colour import lab_to_rgb, rgb_to_lightness
from colorize.decoding import DEFAULT_VIVIDNESS, Vividness
from colorize.pipeline import Hint, colorize
from colorize.runtime import Model
from research.training.data import list_photos
from research.training.metrics import BLOTCHY_SHARE, ciede2000, colourfulness, loud_wrong_share, psnr
from research.training.simulated_hints import ground_truth_hints

METRICS = ("psnr", "ciede2000", "colourfulness", "loud_wrong")


@dataclass
class Scores:
    values: dict = field(default_factory=lambda: {name: [] for name in METRICS})

    def add(self, result, truth):
        self.values["psnr"].append(psnr(result, truth))
        self.values["ciede2000"].append(ciede2000(result, truth))
        self.values["colourfulness"].append(colourfulness(result))
        self.values["loud_wrong"].append(loud_wrong_share(result, truth))

    def means(self):
        """Means over the photos; for the loud wrong colours also the 90th percentile and the
        share of blotchy photos (more than BLOTCHY_SHARE of their pixels loud and wrong)."""
        means = {name: float(np.mean(values)) for name, values in self.values.items()}
        shares = np.asarray(self.values["loud_wrong"])
        means["loud_wrong_p90"] = float(np.percentile(shares, 90))
        means["blotchy"] = float(np.mean(shares > BLOTCHY_SHARE))
        return means


def grayscale_of(rgb):
    """The photo's own lightness with ab = 0, as 8-bit sRGB."""
    lightness = rgb_to_lightness(np.asarray(rgb) / 255.0)
    lab = np.stack((lightness, np.zeros_like(lightness), np.zeros_like(lightness)), axis=-1)
    return (lab_to_rgb(lab) * 255).round().astype(np.uint8)


def load_truth(path, max_side=None):
    with Image.open(path) as opened:
        image = opened.convert("RGB")
        if max_side and max(image.size) > max_side:
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return np.asarray(image)


def evaluate(paths, model, hint_counts=(0, 1, 10, 50), seed=0, max_side=None, vividness=DEFAULT_VIVIDNESS):
    """Mean scores per hint count, plus 'grayscale' and 'truth' rows for reference."""
    rows = {"grayscale": Scores(), "truth": Scores(), **{count: Scores() for count in hint_counts}}
    for index, path in enumerate(tqdm(paths, desc="evaluating", unit="photo", mininterval=10)):
        truth = load_truth(path, max_side)
        rows["grayscale"].add(grayscale_of(truth), truth)
        rows["truth"].add(truth, truth)
        gray_input = Image.fromarray(grayscale_of(truth))
        for count in hint_counts:
            rng = np.random.default_rng([seed, index, count])
            hints = [Hint(x=x, y=y, color=colour) for x, y, colour in ground_truth_hints(truth, count, rng)]
            result = np.asarray(colorize(gray_input, model=model, hints=hints, vividness=vividness).convert("RGB"))
            rows[count].add(result, truth)
    return {name: scores.means() for name, scores in rows.items()}


def photo_paths(folder, limit=None):
    paths = list_photos(folder)
    return paths[:limit] if limit else paths


def format_table(results, model):
    lines = [
        f"| {model.name} on val | PSNR (dB) | CIEDE2000 | colourfulness | loud wrong (mean / p90) | blotchy photos |",
        "|---|---|---|---|---|---|",
    ]
    for name, means in results.items():
        label = f"{name} hints" if isinstance(name, int) else name
        lines.append(
            f"| {label} | {means['psnr']:.2f} | {means['ciede2000']:.2f} | {means['colourfulness']:.1f} "
            f"| {means['loud_wrong']:.1%} / {means['loud_wrong_p90']:.1%} | {means['blotchy']:.0%} |"
        )
    return "\n".join(lines)


# --- Trying other weights or decoding constants: another Model, no global state ---------------


def with_weights(model: Model, path: str | Path, directory: Path) -> Model:
    """``model`` running the weight file ``path`` (a PyTorch state_dict, e.g. a training
    candidate), converted into ``directory``."""
    path = Path(path)
    spec = replace(model.spec, source_file=path.name, runtime_file=f"{path.stem}.onnx", bundled=False)
    store = weights.Store(directory)
    store.convert(spec, path, weights.sha256_of(path))
    return store.model(spec, model.options)


def with_vividness_rule(model: Model, text: str) -> Model:
    """``model`` mapping vividness with 'S0,S1' or 'S0,S1,T0,T1' (colorize.decoding.Vividness)."""
    values = [float(v) for v in text.split(",")]
    rule = Vividness(strength=(values[0], values[1]), temperature=(values[2], values[3]) if len(values) == 4 else None)
    return replace(model, spec=replace(model.spec, vividness=rule))


def with_smoothing(model: Model, sigma: float) -> Model:
    """``model`` blurring its scores over ``sigma`` grid cells before decoding."""
    rule = replace(model.spec.vividness or Vividness(), smoothing=float(sigma))
    return replace(model, spec=replace(model.spec, vividness=rule))
