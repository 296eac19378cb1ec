"""Choosing the compact model's decoding temperature on photos held out of training.

A lower annealed-mean temperature gives more vivid but riskier colours. The chosen one is
the most colourful whose PSNR stays within ``margin`` dB of the grayscale image's, measured
at the network's resolution on the held-out training photos (never on val/).
"""

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from colorize.colour import lab_to_rgb
from research.networks.zhang import AB_SCALE, L_CENTER, L_SCALE
from research.training.data import load_square
from research.training.metrics import colourfulness, psnr
from research.training.train import to_lab_norm


def holdout_images(work_dir, size):
    paths = json.loads((Path(work_dir) / "holdout.json").read_text())
    return np.stack([load_square(p, size) for p in paths])


def _as_rgb(l_norm, ab_norm):
    lab = torch.cat((l_norm * L_SCALE + L_CENTER, ab_norm * AB_SCALE), dim=1).permute(0, 2, 3, 1).numpy()
    return (lab_to_rgb(lab) * 255).round().astype(np.uint8)


@torch.inference_mode()
def sweep(model, images, temperatures, input_size):
    """Mean PSNR and colourfulness at each temperature, with the grayscale and truth baselines."""
    l_norm, _ = to_lab_norm(images)
    small = F.interpolate(l_norm, size=(input_size, input_size), mode="bilinear", align_corners=False)
    logits = torch.cat(
        [
            model.logits(chunk, torch.zeros_like(chunk).expand(-1, 2, -1, -1), torch.zeros_like(chunk))
            for chunk in small.split(25)
        ]
    )
    gray = _as_rgb(l_norm, torch.zeros_like(l_norm).expand(-1, 2, -1, -1))
    rows = {
        "grayscale": (np.mean([psnr(g, t) for g, t in zip(gray, images, strict=False)]), 0.0),
        "truth": (float("inf"), np.mean([colourfulness(t) for t in images])),
    }
    for temperature in temperatures:
        model.temperature.fill_(temperature)
        ab_norm = F.interpolate(model.decode(logits), size=images.shape[1:3], mode="bilinear", align_corners=False)
        results = _as_rgb(l_norm, ab_norm)
        rows[temperature] = (
            np.mean([psnr(r, t) for r, t in zip(results, images, strict=False)]),
            np.mean([colourfulness(r) for r in results]),
        )
    return rows


def choose_temperature(rows, margin):
    floor = rows["grayscale"][0] - margin
    candidates = [(colour, t) for t, (quality, colour) in rows.items() if isinstance(t, float) and quality >= floor]
    if candidates:
        return max(candidates)[1]
    return max((quality, t) for t, (quality, _) in rows.items() if isinstance(t, float))[1]
