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

    covered = torch.zeros((batch, 1, height, width), dtype=ab_norm.dtype, device=device)
    colour_sum = torch.zeros_like(ab_norm)
    for size in range(1, max_patch + 1):
        n, point = torch.nonzero(active & (sizes == size), as_tuple=True)
        if not len(n):
            continue
        y, x = ys[n, point], xs[n, point]
        # The patch's mean colour, read at its top-left corner from a size x size box filter.
        means = F.avg_pool2d(ab_norm, size, stride=1)[n, :, y, x]
        corners = torch.zeros_like(covered)
        corners[:, 0].index_put_((n, y, x), torch.ones_like(y, dtype=ab_norm.dtype), accumulate=True)
        colours = torch.zeros_like(ab_norm)
        colours.permute(0, 2, 3, 1).index_put_((n, y, x), means, accumulate=True)
        # Spread each corner over its patch: a box sum over the size x size window ending there.
        covered += _box_sum(corners, size)
        colour_sum += _box_sum(colours, size)
    mask = (covered > 0).to(ab_norm.dtype)
    return colour_sum / covered.clamp_min(1), mask


def _around_centre(span, generator):
    """Positions in 0..span-1 from a Gaussian around the centre (sigma = a quarter of the span),
    clipped: the SIGGRAPH17 paper's draw, as :func:`_point` makes it with numpy."""
    draw = span / 2 + span / 4 * torch.randn(span.shape, generator=generator, device=span.device)
    return draw.clamp(torch.zeros_like(span), span - 1).long()


def _box_sum(corners, size):
    padded = F.pad(corners, (size - 1, 0, size - 1, 0))
    return F.avg_pool2d(padded, size, stride=1, divisor_override=1)


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
