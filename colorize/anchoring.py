"""Hint anchoring: keep each hint's colour around where it was put, after the network.

A network that sees hints follows them loosely and also changes colours far away; :func:`anchor`
limits each hint's effect to its edge-aware (geodesic) neighbourhood. Nothing here is learned.
The hints arrive as :func:`colorize.hints.grid_points` gives them.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from colorize import decoding
from colorize.resample import resize_ab  # bilinear, the same as the final upsampling

AB_SCALE = decoding.AB_SCALE


@dataclass(frozen=True)
class Anchoring:
    """How a click's colour is kept where it was put (see :func:`anchor`).

    Distances are geodesic, on a ``grid`` x ``grid`` map of the picture: one cell costs 1, plus
    ``lightness_cost`` cells per unit of lightness (L, 0..100) crossed and ``colour_cost``
    cells per ab unit crossed in the prediction without hints, so an edge in either is a wall.
    The clicked colour's own correction falls off as a Gaussian of that distance with
    ``spatial_sigma`` (a fraction of the grid's side); what the network itself changed for the
    hints is kept within ``reach_sigma`` the same way (None: everywhere, as the network made it).
    A vivid decoding of the model's own guesses (``guessed`` in :func:`anchor`) gives way to the
    plain one within ``calm_sigma`` of the hints: where a person put colours, those colours
    decide, not the vividness.

    ``likely_mass`` (low, high), for a model that predicts a distribution: a hint whose colour
    the prediction without hints already found likely at the click (its probability within
    ``likely_radius`` ab of the colour, :func:`plausibility`) keeps the network's response
    everywhere, as with no reach; one below ``low`` keeps it within the reach only; linear in
    between. The network learned its picture-wide response from true colours only, so it is
    worth keeping for a colour it finds plausible and is guesswork for one it does not.
    """

    spatial_sigma: float = 0.2
    lightness_cost: float = 0.5
    colour_cost: float = 0.2
    reach_sigma: float | None = None
    calm_sigma: float = 0.6
    likely_mass: tuple[float, float] | None = None
    likely_radius: float = 15.0
    grid: int = 64

    def trust(self, plausibilities: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
        """Per hint, from 0 (within the reach only) to 1 (everywhere): its plausibility placed
        between ``likely_mass``'s bounds."""
        if self.likely_mass is None:
            return np.zeros(len(plausibilities), dtype=np.float32)
        low, high = self.likely_mass
        trusted: npt.NDArray[np.float32] = np.clip((plausibilities - low) / (high - low), 0.0, 1.0).astype(np.float32)
        return trusted


def plausibility(
    logits: npt.NDArray[np.float32],
    bin_ab: npt.NDArray[np.float32],
    points: Sequence[tuple[float, float, npt.NDArray[np.float32]]],
    radius: float,
) -> npt.NDArray[np.float64]:
    """Per hint (as :func:`grid_points` gives them): the probability the predicted distribution
    (``logits`` 1xKxhxw over the bins' normalised ab ``bin_ab``, Kx2) puts within ``radius`` ab
    of the hint's colour at its cell."""
    cells = [_cell(row, column, logits.shape[2:]) for row, column, _ in points]
    probabilities = decoding.softmax(np.stack([logits[0, :, row, column] for row, column in cells]))  # (P, K)
    colours = np.stack([np.asarray(ab, dtype=np.float64) for *_, ab in points]) * AB_SCALE  # (P, 2)
    bins = np.asarray(bin_ab, dtype=np.float64) * AB_SCALE  # (K, 2)
    near = np.linalg.norm(bins[None] - colours[:, None], axis=2) <= radius  # (P, K)
    found: npt.NDArray[np.float64] = (probabilities * near).sum(axis=1, dtype=np.float64)
    return found


def _cell(row: float, column: float, shape: Sequence[int]) -> tuple[int, int]:
    """The cell of a ``shape`` (rows, columns) grid holding the point at these fractions of
    the picture's height and width."""
    rows, columns = shape[0], shape[1]
    return min(int(row * rows), rows - 1), min(int(column * columns), columns - 1)


def _cell_means(values: npt.NDArray[np.float32], size: tuple[int, int]) -> npt.NDArray[np.float32]:
    """Average pooling of (C, H, W) down to (C, *size); H and W are multiples of size."""
    channels, height, width = values.shape
    rows, columns = size
    means: npt.NDArray[np.float32] = values.reshape(channels, rows, height // rows, columns, width // columns).mean(
        axis=(2, 4)
    )
    return means


def _resize(values: npt.NDArray[np.float32], size: tuple[int, int]) -> npt.NDArray[np.float32]:
    """(C, h, w) -> (C, *size): cell means when shrinking by a whole factor, bilinear (like
    PyTorch's align_corners=False) when growing."""
    if values.shape[1:] == tuple(size):
        return values
    if values.shape[1] >= size[0]:
        return _cell_means(values, size)
    grown: npt.NDArray[np.float32] = resize_ab(values[None].astype(np.float32), *size)[0]
    return grown


# The eight neighbours of a cell and the length of the step to each.
_STEPS = [(dr, dc, math.hypot(dr, dc)) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]


def _shifted(values: npt.NDArray[np.float32], dr: int, dc: int, fill: float) -> npt.NDArray[np.float32]:
    """values[..., r - dr, c - dc] (what the neighbour at (-dr, -dc) holds), ``fill`` outside."""
    out = np.full_like(values, fill)
    rows, columns = values.shape[-2:]
    out[..., max(dr, 0) : rows + min(dr, 0), max(dc, 0) : columns + min(dc, 0)] = values[
        ..., max(-dr, 0) : rows + min(-dr, 0), max(-dc, 0) : columns + min(-dc, 0)
    ]
    return out


def geodesic_distances(
    seeds: list[tuple[int, int]], features: npt.NDArray[np.float32], costs: Sequence[float], limit: float
) -> npt.NDArray[np.float32]:
    """(P, H, W) edge-aware distances from each seed cell (row, column): the cheapest path of
    8-neighbour steps, each costing its length plus ``costs[i]`` times the absolute change of
    ``features[i]`` (C, H, W) along it. Distances beyond ``limit`` are only known to exceed it."""
    _, height, width = features.shape
    distance = np.full((len(seeds), height, width), np.inf, dtype=np.float32)
    for index, (row, column) in enumerate(seeds):
        distance[index, row, column] = 0.0
    step_costs = []
    for dr, dc, length in _STEPS:
        change = np.zeros((height, width), dtype=np.float32)
        for channel, cost in zip(features, costs, strict=False):
            change += np.float32(cost) * np.abs(channel - _shifted(channel, dr, dc, np.nan))
        step_costs.append((dr, dc, np.where(np.isnan(change), np.inf, change + np.float32(length))))
    # Every sweep carries each distance at least one cell further; past ``limit`` none matters.
    for _ in range(int(math.ceil(limit)) + 2):
        before = distance
        for dr, dc, step_cost in step_costs:
            distance = np.minimum(distance, _shifted(distance, dr, dc, np.inf) + step_cost)
        if np.array_equal(before, distance):
            break
    return distance


def _gaussian(distance: npt.NDArray[np.float32], sigma: float) -> npt.NDArray[np.float32]:
    """Each hint's weight ``exp(-d^2 / 2 sigma^2)`` of its distance, (P, h, w)."""
    weights: npt.NDArray[np.float32] = np.exp(-np.square(distance) / np.float32(2 * sigma**2)).astype(np.float32)
    return weights


def _falloff(
    distance: npt.NDArray[np.float32],
    sigma: float,
    shape: tuple[int, int],
    trust: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[np.float32]:
    """The largest over the hints of their weight, at the output's resolution; a hint's
    ``trust`` (0..1 each) lifts its weight towards 1 everywhere."""
    weights = _gaussian(distance, sigma)
    if trust is not None:
        weights = weights + trust[:, None, None] * (1.0 - weights)
    largest: npt.NDArray[np.float32] = _resize(weights, shape).max(axis=0)
    return largest


def anchor(
    hinted: npt.NDArray[np.float32],
    plain: npt.NDArray[np.float32],
    l_norm: npt.NDArray[np.float32],
    points: Sequence[tuple[float, float, npt.NDArray[np.float32]]],
    rule: Anchoring,
    guessed: npt.NDArray[np.float32] | None = None,
    plausibilities: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float32]:
    """Keep the hints' colours where they were put: normalised ab (1x2xhxw) from the network's
    prediction with the hints (``hinted``) and without them (``plain``), both decoded
    cautiously (vividness 0); ``guessed`` is the prediction without hints at the job's vividness (None:
    ``plain``).

    A network that sees hints follows them loosely and also changes colours far away. Here each
    hint reaches only as far as its edge-aware (geodesic) neighbourhood: its weight
    ``w = exp(-d^2 / 2 sigma^2)`` of the geodesic distance ``d`` (lightness and the plain
    prediction's colour edges are walls). The result starts from the guessed colours, which
    give way to the plain ones near the hints (``calm_sigma``); what the hints changed in the
    network's prediction (``hinted - plain``) is added where the hints reach (``reach_sigma``;
    everywhere for a hint as likely as ``likely_mass`` asks, given its ``plausibilities``);
    then what still separates each hint's own cell from its colour is added, spread by the
    weights (``sum w_i r_i / max(1, sum w_i)``), so the click shows its colour. ``points`` are
    (row fraction, column fraction, ab) from :func:`grid_points`. Nothing here is learned.
    """
    if not points:
        return hinted if guessed is None else guessed
    size = (min(rule.grid, hinted.shape[2]), min(rule.grid, hinted.shape[3]))
    lightness = _cell_means(l_norm[0], size) * 100.0  # L units
    plain_cells = _resize(plain[0], size) * AB_SCALE  # ab units
    features = np.concatenate((lightness, plain_cells)).astype(np.float32)
    costs = (rule.lightness_cost, rule.colour_cost, rule.colour_cost)
    seeds = [_cell(r, c, size) for r, c, _ in points]
    side = max(size)
    sigmas = [rule.spatial_sigma, rule.calm_sigma, rule.reach_sigma or 0.0]
    distance = geodesic_distances(seeds, features, costs, limit=4 * side * max(sigmas))
    out_shape = (hinted.shape[2], hinted.shape[3])
    result = plain[0]
    if guessed is not None:
        result = guessed[0] + _falloff(distance, rule.calm_sigma * side, out_shape) * (plain[0] - guessed[0])
    effect = hinted[0] - plain[0]
    if rule.reach_sigma is not None:
        trust = None if plausibilities is None else rule.trust(plausibilities)
        effect = _falloff(distance, rule.reach_sigma * side, out_shape, trust) * effect
    result = result + effect
    full = _resize(_gaussian(distance, rule.spatial_sigma * side), out_shape)  # (P, h, w)
    residuals = np.stack([ab - result[:, *_cell(r, c, out_shape)] for r, c, ab in points])  # (P, 2)
    correction = np.einsum("phw,pc->chw", full, residuals) / np.maximum(full.sum(axis=0), 1.0)
    anchored: npt.NDArray[np.float32] = (result + correction)[None].astype(np.float32)
    return anchored
