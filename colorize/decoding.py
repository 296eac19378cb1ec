"""From a predicted colour distribution to colours, in numpy: vividness and suggested colours.

The distribution networks (ECCV16, compact) predict, at every position of a coarse grid, a
probability for each of K ab bins; their ONNX graphs stop at those scores (``logits``) and hand
over the bins' ab, the model's colour prior (the log of its own mean prediction over training
photos) and its calibrated annealed-mean temperature. Here:

- :func:`decode` turns scores into ab with a vividness: the prior taken out with a strength
  ``s`` (``log p - s * log prior``, Zhang et al.'s class rebalancing done at inference; 0 keeps
  the prediction as trained, where the most likely colours are the common, greyish ones), then
  the annealed mean at temperature ``T`` (``softmax(. / T)`` weighted by the bins' ab);
- :func:`suggestions` finds the few most likely distinct colours of the distribution over a
  small grid of cells, for the hint tool's suggested colours.

:meth:`research.networks.compact.CompactColorizer.decode` is the PyTorch reference of
:func:`decode` (the parity tests hold one to the other). No torch, no Django here.
"""

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from colorize import colour

Float32 = npt.NDArray[np.float32]
AB_SCALE = 110.0
GRID_STEP = 10.0
GRID_LIMIT = 110.0
# Vividness: 0 the most conservative colours, 1 the most vivid. The one definition of its range;
# the form, the API, the CLI and the job model check a value with check_vividness.
VIVIDNESS_RANGE = (0.0, 1.0)
# The engine's default; a site may choose another (COLORIZE_DEFAULT_VIVIDNESS).
DEFAULT_VIVIDNESS = 0.2
VIVIDNESS_ERROR = "vividness must be a number from 0 to 1"


def check_vividness(value: object) -> float:
    """``value`` as a float vividness; ValueError (VIVIDNESS_ERROR) for anything outside the range."""
    low, high = VIVIDNESS_RANGE
    try:
        number = float(value)  # type: ignore[arg-type]  # any object; float() decides
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{VIVIDNESS_ERROR}, not {value!r}") from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ValueError(f"{VIVIDNESS_ERROR}, not {value!r}")
    return number


def grid_bins() -> Float32:
    """(529, 2) normalised ab of a 23x23 grid of bins 10 apart, a-major (compact's and
    SIGGRAPH17's classification bins)."""
    axis = np.arange(-GRID_LIMIT, GRID_LIMIT + 1, GRID_STEP)
    a, b = np.meshgrid(axis, axis, indexing="ij")
    return (np.stack((a.ravel(), b.ravel()), axis=1) / AB_SCALE).astype(np.float32)


@dataclass(frozen=True)
class Vividness:
    """How a vividness ``v`` in [0, 1] decodes a model's distribution: the prior correction's
    strength goes linearly from ``strength[0]`` (v = 0) to ``strength[1]`` (v = 1); the
    temperature geometrically from ``temperature[0]`` to ``temperature[1]`` (None: the
    model's own calibrated temperature at every v)."""

    strength: tuple[float, float] = (0.0, 0.0)
    temperature: tuple[float, float] | None = None
    # The scores are blurred over this many grid cells (a Gaussian's sigma) before decoding: a
    # region then takes one reading instead of a patchwork of confident, contradictory ones.
    smoothing: float = 0.0
    # The temperature of the two decodings the hints' anchoring compares (with and without the
    # hints; None: the temperature at v = 0). A plain mean there: a sharp decoding would turn the
    # network's small far-away shifts into flipped colours.
    anchoring_temperature: float | None = None

    def at(self, vividness: float, model_temperature: float) -> tuple[float, float]:
        """(strength, temperature) for ``vividness`` (clipped to [0, 1])."""
        v = min(1.0, max(0.0, float(vividness)))
        strength = self.strength[0] + v * (self.strength[1] - self.strength[0])
        if self.temperature is None:
            return strength, float(model_temperature)
        low, high = self.temperature
        return strength, float(math.exp(math.log(low) + v * (math.log(high) - math.log(low))))


def log_softmax(scores: npt.NDArray[np.floating], axis: int = 1) -> Float32:
    shifted = scores - scores.max(axis=axis, keepdims=True)
    result: Float32 = (shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))).astype(np.float32, copy=False)
    return result


def softmax(scores: npt.NDArray[np.floating], axis: int = 1) -> Float32:
    shifted = np.exp(scores - scores.max(axis=axis, keepdims=True))
    shifted /= shifted.sum(axis=axis, keepdims=True)
    result: Float32 = shifted.astype(np.float32, copy=False)
    return result


def corrected(logits: Float32, log_prior: Float32, strength: float) -> Float32:
    """log p - strength * log prior (1xKxhxw): the distribution with the prior taken out."""
    log_p = log_softmax(np.asarray(logits, dtype=np.float32))
    if strength:
        log_p = log_p - np.float32(strength) * np.asarray(log_prior, dtype=np.float32)[None, :, None, None]
    return log_p


def smoothed(scores: Float32, sigma: float) -> Float32:
    """``scores`` (1xKxhxw) blurred over the grid with a Gaussian of ``sigma`` cells (separable,
    edges repeated); ``sigma`` 0 returns them as they are."""
    if sigma <= 0:
        return scores
    radius = max(1, math.ceil(2 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2).astype(np.float32)
    taps /= taps.sum()
    out = np.asarray(scores, dtype=np.float32)
    for axis in (2, 3):
        size = out.shape[axis]
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in range(4)], mode="edge")
        blurred = np.zeros_like(out)
        for offset, weight in enumerate(taps):
            blurred += weight * np.take(padded, range(offset, offset + size), axis=axis)
        out = blurred
    return out


def decode(
    logits: Float32, bin_ab: Float32, log_prior: Float32, strength: float, temperature: float, smoothing: float = 0.0
) -> Float32:
    """Normalised ab (1x2xhxw): the annealed mean of the prior-corrected distribution.

    The same as the annealed mean of ``softmax(corrected(...) / T)``, in a third of the time (it
    is most of the network's 256x256 budget after the network itself): a softmax ignores a
    pixel's own shift, so the logits need no log-softmax first, and the weights are normalised
    once, after the sum over the bins, instead of bin by bin.
    """
    scores = _corrected_scores(logits, log_prior, strength, smoothing)
    scores /= np.float32(temperature)
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores, out=scores)
    batch, bins, height, width = weights.shape
    flat = weights.reshape(batch, bins, height * width)
    ab = np.matmul(np.asarray(bin_ab, dtype=np.float32).T, flat)  # (n, 2, h*w)
    ab /= flat.sum(axis=1, keepdims=True)
    result: Float32 = ab.reshape(batch, 2, height, width).astype(np.float32, copy=False)
    return result


def _corrected_scores(logits: Float32, log_prior: Float32, strength: float, smoothing: float) -> Float32:
    """A new float32 array: the smoothed logits less ``strength`` times the log prior (1xKxhxw)."""
    scores = np.array(smoothed(logits, smoothing), dtype=np.float32)
    if strength:
        scores -= np.float32(strength) * np.asarray(log_prior, dtype=np.float32)[None, :, None, None]
    return scores


def _distribution_at(
    logits: Float32, log_prior: Float32, strength: float, temperature: float, smoothing: float
) -> Float32:
    """softmax((smoothed logits - strength * log prior) / T) over the bins (1xKxhxw)."""
    return softmax(_corrected_scores(logits, log_prior, strength, smoothing) / np.float32(temperature))


# The second reading looks for colours at least this far (ab units) from the most likely one...
SECOND_READING_SPACING = 25.0
# ...and takes them over fully where they hold at least FULL of the probability, not at all
# below LEAST: where the model was sure, both readings agree.
SECOND_READING_LEAST, SECOND_READING_FULL = 0.2, 0.4


def second_reading(
    logits: Float32, bin_ab: Float32, log_prior: Float32, strength: float, temperature: float, smoothing: float = 0.0
) -> Float32:
    """Normalised ab (1x2xhxw): where the model was torn between colours, the ones it found
    likely apart from its most likely colour (the annealed mean of the distribution with the
    bins near its peak taken out); where it was sure, :func:`decode`'s reading. The weight of
    the second reading is blurred over the grid (two cells), so a region changes as one."""
    probabilities = _distribution_at(logits, log_prior, strength, temperature, smoothing)
    _, bins, height, width = probabilities.shape
    flat = probabilities.reshape(bins, height * width)
    ab_bins = np.asarray(bin_ab, dtype=np.float32)
    first = ab_bins.T @ flat  # (2, h*w); the weights sum to 1
    peak = ab_bins[flat.argmax(axis=0)].T  # (2, h*w)
    distance = np.hypot(ab_bins[:, :1] - peak[:1], ab_bins[:, 1:] - peak[1:])  # (K, h*w)
    others = np.where(distance >= SECOND_READING_SPACING / AB_SCALE, flat, np.float32(0))
    other_mass = others.sum(axis=0)
    second = (ab_bins.T @ others) / np.maximum(other_mass, np.float32(1e-6))
    span = SECOND_READING_FULL - SECOND_READING_LEAST
    weight = np.clip((other_mass - SECOND_READING_LEAST) / span, 0.0, 1.0).astype(np.float32)
    weight = smoothed(weight.reshape(1, 1, height, width), 2.0).reshape(1, height * width)
    mixed = first + weight * (second - first)
    result: Float32 = mixed.reshape(1, 2, height, width).astype(np.float32, copy=False)
    return result


# --- Suggested colours -----------------------------------------------------------------------


# A colour whose neighbourhood holds less of the probability than this is not worth suggesting.
MIN_COLOUR_MASS = 0.02
# Suggested colours lie at least this far apart (ab units), so each swatch is a real choice.
COLOUR_SPACING = 20.0


def _neighbour_index(bin_ab: Float32) -> npt.NDArray[np.intp]:
    """(K, 8): for each bin, its neighbours on the 10-unit grid (the 8-neighbourhood), padded
    with K (an index past the end) where a bin has fewer."""
    ab = np.asarray(bin_ab, dtype=np.float64) * AB_SCALE
    distance = np.abs(ab[:, None, :] - ab[None, :, :]).max(axis=-1)
    near = (distance > 0.5) & (distance < GRID_STEP * 1.5)
    index = np.full((len(ab), 8), len(ab), dtype=np.intp)
    for bin_index, row in enumerate(near):
        found = np.flatnonzero(row)[:8]
        index[bin_index, : len(found)] = found
    return index


def likely_colours(
    probabilities: npt.NDArray[np.floating],
    bin_ab: Float32,
    count: int,
    *,
    min_mass: float = MIN_COLOUR_MASS,
    spacing: float = COLOUR_SPACING,
) -> list[list[tuple[Float32, float]]]:
    """Up to ``count`` likely and distinct colours of each distribution over the bins, (K, N)
    -> N lists of (normalised ab, mass). Each bin is scored by the mass of its 3x3
    neighbourhood and stands for that neighbourhood's mass-weighted mean ab; the strongest are
    taken first, each at least ``spacing`` ab units from those already taken, down to
    ``min_mass``. The distribution's peaks come first, then the other colours it leaves room
    for (the authors' desktop tool clustered samples of the distribution for the same end)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    bins, columns = probabilities.shape
    neighbours = _neighbour_index(bin_ab)
    padded = np.concatenate((probabilities, np.zeros((1, columns))))
    weights = np.concatenate((probabilities[:, None], padded[neighbours]), axis=1)  # (K, 9, N)
    ab = np.concatenate((np.asarray(bin_ab, dtype=np.float64), np.zeros((1, 2))))
    member_ab = ab[np.concatenate((np.arange(bins)[:, None], neighbours), axis=1)]  # (K, 9, 2)
    mass = weights.sum(axis=1)  # (K, N)
    mean_ab = np.einsum("kmn,kmc->knc", weights, member_ab) / np.maximum(mass, 1e-12)[..., None]
    limit = spacing / AB_SCALE
    found = []
    for column in range(columns):
        chosen: list[tuple[Float32, float]] = []
        for candidate in np.argsort(-mass[:, column], kind="stable"):
            if mass[candidate, column] < min_mass or len(chosen) == count:
                break
            centre = mean_ab[candidate, column].astype(np.float32)
            if all(np.hypot(*(centre - other)) >= limit for other, _ in chosen):
                chosen.append((centre, float(mass[candidate, column])))
        found.append(chosen)
    return found


def _hex(lightness: float, ab_norm: Float32) -> str:
    lab = np.array([lightness, *(np.asarray(ab_norm, dtype=np.float64) * AB_SCALE)])
    red, green, blue = np.round(colour.lab_to_rgb(lab) * 255).astype(int)
    return f"#{red:02x}{green:02x}{blue:02x}"


def suggestions(
    probabilities: Float32, bin_ab: Float32, lightness: Float32, *, cells: int = 16, count: int = 4
) -> dict[str, object]:
    """Suggested colours over a ``cells`` x ``cells`` grid: for each cell (row-major), up to
    ``count`` likely colours of the cell's mean distribution as ``[colour, probability]``, the colour
    shown at the cell's mean lightness. ``probabilities`` is 1xKxhxw (h, w multiples of
    ``cells``), ``lightness`` the network's input L (in L units) at any multiple of h, w."""
    _, bins, height, width = probabilities.shape
    pooled = probabilities[0].reshape(bins, cells, height // cells, cells, width // cells).mean(axis=(2, 4))
    l_rows, l_columns = lightness.shape[-2:]
    light = (
        np.asarray(lightness, dtype=np.float64).reshape(cells, l_rows // cells, cells, l_columns // cells).mean((1, 3))
    )
    found = likely_colours(pooled.reshape(bins, cells * cells), bin_ab, count)
    grid = [
        [[_hex(light.flat[index], ab), round(mass, 3)] for ab, mass in cell_colours]
        for index, cell_colours in enumerate(found)
    ]
    return {"rows": cells, "columns": cells, "cells": grid}
