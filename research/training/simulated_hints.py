"""Simulated user hints, the way the SIGGRAPH17 paper trains and evaluates with them.

A hint is a small square patch whose colour is the ground truth averaged over the patch;
the number of points is geometric and their positions are drawn around the image centre.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F


def _point(rng, height, width):
    """A position from a 2D Gaussian around the centre (sigma = a quarter of the side), clipped."""
    y = int(np.clip(rng.normal(height / 2, height / 4), 0, height - 1))
    x = int(np.clip(rng.normal(width / 2, width / 4), 0, width - 1))
    return y, x


def simulate_hints(ab_norm, generator, *, no_hint_probability=0.5, geometric_p=1 / 8, max_points=60, max_patch=5):
    """Hint maps for a batch: ab_norm (N, 2, H, W) -> (hint_ab (N, 2, H, W), mask (N, 1, H, W)).

    Drawn with ``generator`` on ab_norm's device, for the whole batch at once (a GPU would
    otherwise wait on one small copy per point). Where two patches overlap, the hint there is
    the mean of their colours.
    """
    batch, _, height, width = ab_norm.shape
    device = ab_norm.device

    def uniform(*shape):
        return torch.rand(shape, generator=generator, device=device)

    # Geometric on 1, 2, ... by inversion, then capped; some photos get no hint at all.
    counts = (torch.log1p(-uniform(batch)) / math.log1p(-geometric_p)).floor().long() + 1
    counts = counts.clamp(max=max_points).masked_fill(uniform(batch) < no_hint_probability, 0)
    active = torch.arange(max_points, device=device) < counts[:, None]
    sizes = torch.randint(1, max_patch + 1, (batch, max_points), generator=generator, device=device)
    ys = _around_centre(height - sizes + 1, generator)
    xs = _around_centre(width - sizes + 1, generator)

    n, point = torch.nonzero(active, as_tuple=True)
    y, x, size = ys[n, point], xs[n, point], sizes[n, point]
    # Every patch size at once, in float64 so that sums of many pixels stay exact: each patch's
    # mean colour from a summed-area table of the photo, and the patches spread over their
    # pixels by a 2-D difference array and its running sums. (A box filter per patch size was
    # most of the time these hints took on a CPU.)
    table = F.pad(ab_norm.double().cumsum(2).cumsum(3), (1, 0, 1, 0))
    means = (
        table[n, :, y + size, x + size] - table[n, :, y, x + size] - table[n, :, y + size, x] + table[n, :, y, x]
    ) / (size[:, None] ** 2)
    patches = torch.cat((torch.ones_like(means[:, :1]), means), dim=1)  # (points, count + colour)
    difference = torch.zeros((batch, height + 1, width + 1, 3), dtype=torch.float64, device=device)
    for sign, (corner_y, corner_x) in (
        (1, (y, x)),
        (-1, (y + size, x)),
        (-1, (y, x + size)),
        (1, (y + size, x + size)),
    ):
        difference.index_put_((n, corner_y, corner_x), sign * patches, accumulate=True)
    sums = difference.cumsum(1).cumsum(2)[:, :height, :width].permute(0, 3, 1, 2)
    covered, colour_sum = sums[:, :1], sums[:, 1:]
    mask = (covered > 0.5).to(ab_norm.dtype)
    return (colour_sum / covered.clamp_min(1) * mask).to(ab_norm.dtype), mask


def _around_centre(span, generator):
    """Positions in 0..span-1 from a Gaussian around the centre (sigma = a quarter of the span),
    clipped: the SIGGRAPH17 paper's draw, as :func:`_point` makes it with numpy."""
    draw = span / 2 + span / 4 * torch.randn(span.shape, generator=generator, device=span.device)
    return draw.clamp(torch.zeros_like(span), span - 1).long()


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
