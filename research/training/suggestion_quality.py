"""How useful the hint tool's suggested colours are, measured on colour photos.

Each photo is colorized from its lightness (no hints) through the real pipeline, which also
gives the suggestion grid a job keeps (``colorize_detailed``). For every cell of the grid, the
swatches as a user sees them (their sRGB colours, back in Lab) are compared with the truth's
mean ab over the same cell of the network's input: a cell is a hit when one swatch lies
within ``within`` ab units of it. Cells whose true colour is saturated (chroma over
``saturated``) are counted on their own, since there grey is no answer.
"""

import numpy as np
from PIL import Image
from tqdm import tqdm

from colorize import colour
from colorize.hints import hint_ab
from colorize.pipeline import colorize_detailed
from research.training.evaluate import grayscale_of, load_truth


def _true_cell_ab(truth: np.ndarray, size: int, cells: int) -> np.ndarray:
    """(cells * cells, 2): the truth's mean ab per cell of the network's square input."""
    square = np.asarray(Image.fromarray(truth).resize((size, size), Image.Resampling.BICUBIC)) / 255.0
    ab = colour.rgb_to_lab(square)[..., 1:]
    step = size // cells
    return ab.reshape(cells, step, cells, step, 2).mean(axis=(1, 3)).reshape(cells * cells, 2)


def measure(paths, model, *, within=10.0, saturated=15.0, max_side=None):
    """{"cells", "suggestions per cell", "hit", "saturated cells", "hit where saturated"}."""
    if not paths:
        raise ValueError("no photos to measure the suggestions on")
    spec = model.spec
    counts, hits, colourful = [], [], []
    for path in tqdm(paths, desc="suggestions", unit="photo", mininterval=10):
        truth = load_truth(path, max_side)
        grid = colorize_detailed(Image.fromarray(grayscale_of(truth)), model=model).suggestions
        if grid is None:
            raise ValueError(f"the model {model.name!r} suggests no colours")
        true_ab = _true_cell_ab(truth, spec.input_size, grid["rows"])
        for cell, target in zip(grid["cells"], true_ab, strict=True):
            swatches = [hint_ab(hex_colour) for hex_colour, _ in cell]
            nearest = min((float(np.hypot(*(ab - target))) for ab in swatches), default=float(np.hypot(*target)))
            counts.append(len(swatches))
            hits.append(nearest <= within)
            colourful.append(float(np.hypot(*target)) > saturated)
    hits_array, colourful_array = np.array(hits), np.array(colourful)
    return {
        "cells": len(hits),
        "suggestions per cell": float(np.mean(counts)),
        "hit": float(hits_array.mean()),
        "saturated cells": int(colourful_array.sum()),
        "hit where saturated": float(hits_array[colourful_array].mean()) if colourful_array.any() else float("nan"),
    }


def format_summary(summary, model, within=10.0):
    return "\n".join(
        [
            f"| {model}: suggested colours | value |",
            "|---|---|",
            f"| cells | {summary['cells']} |",
            f"| suggestions per cell (mean) | {summary['suggestions per cell']:.2f} |",
            f"| cells whose true colour is within {within:g} ab of a suggestion | {summary['hit']:.1%} |",
            f"| the same, cells with a saturated true colour ({summary['saturated cells']}) | "
            f"{summary['hit where saturated']:.1%} |",
        ]
    )
