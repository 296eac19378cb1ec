"""Simulated user hints, the way the SIGGRAPH17 paper trains and evaluates with them.

A hint is a small square patch whose colour is the ground truth averaged over the patch;
the number of points is geometric and their positions are drawn around the image centre.
"""

import numpy as np
import torch


def _point(rng, height, width):
    """A position from a 2D Gaussian around the centre (sigma = a quarter of the side), clipped."""
    y = int(np.clip(rng.normal(height / 2, height / 4), 0, height - 1))
    x = int(np.clip(rng.normal(width / 2, width / 4), 0, width - 1))
    return y, x


def simulate_hints(ab_norm, rng, *, no_hint_probability=0.5, geometric_p=1 / 8, max_points=60, max_patch=5):
    """Hint maps for a batch: ab_norm (N, 2, H, W) -> (hint_ab (N, 2, H, W), mask (N, 1, H, W))."""
    batch, _, height, width = ab_norm.shape
    hint_ab = torch.zeros_like(ab_norm)
    mask = torch.zeros((batch, 1, height, width), dtype=ab_norm.dtype)
    for index in range(batch):
        count = 0 if rng.random() < no_hint_probability else min(int(rng.geometric(geometric_p)), max_points)
        for _ in range(count):
            size = int(rng.integers(1, max_patch + 1))
            y, x = _point(rng, height - size + 1, width - size + 1)
            patch = (slice(y, y + size), slice(x, x + size))
            hint_ab[index, :, patch[0], patch[1]] = ab_norm[index, :, patch[0], patch[1]].mean(dim=(1, 2), keepdim=True)
            mask[index, :, patch[0], patch[1]] = 1.0
    return hint_ab, mask


def ground_truth_hints(rgb, count, rng, *, patch_fraction=1 / 64):
    """``count`` hints for a full-size uint8 RGB array: (x, y, '#rrggbb') from the truth.

    The colour is the photo's own colour averaged over a patch around the point, as a person
    picking a colour for that spot would choose it.
    """
    height, width = rgb.shape[:2]
    radius = max(1, int(round(min(height, width) * patch_fraction / 2)))
    hints = []
    for _ in range(count):
        y, x = _point(rng, height, width)
        patch = rgb[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1].reshape(-1, 3)
        red, green, blue = np.round(patch.mean(axis=0)).astype(int)
        hints.append((x, y, f"#{red:02x}{green:02x}{blue:02x}"))
    return hints
