"""colorize.decoding: vividness on a predicted distribution, and suggested colours."""

import numpy as np
import pytest
import torch

from colorize import decoding
from colorize.decoding import Vividness
from research.networks.compact import CompactColorizer

BINS = decoding.grid_bins()


def logits_peaked_at(*peaks, size=4, spread=20.0):
    """1xKxsizexsize scores: a mixture of Gaussian bumps at (a, b, weight) in ab units."""
    ab = BINS * 110
    scores = np.full(len(BINS), -30.0)
    for a, b, weight in peaks:
        scores = np.logaddexp(scores, np.log(weight) - ((ab - [a, b]) ** 2).sum(1) / (2 * spread**2))
    return np.broadcast_to(scores[None, :, None, None], (1, len(BINS), size, size)).astype(np.float32).copy()


def test_the_grid_bins_are_the_compact_networks():
    assert np.array_equal(BINS, CompactColorizer((8, 8, 8, 8)).bin_centres.numpy())


def test_decode_matches_the_pytorch_reference():
    torch.manual_seed(0)
    network = CompactColorizer((8, 8, 8, 8)).eval()
    network.log_prior.copy_(torch.log_softmax(torch.randn(529) * 2, dim=0))
    logits = torch.randn(1, 529, 5, 6) * 3
    for strength, temperature in ((0.0, 1.0), (0.7, 0.5), (1.3, 2.0)):
        expected = network.decode(logits, strength, temperature).numpy()
        got = decoding.decode(logits.numpy(), BINS, network.log_prior.numpy(), strength, temperature)
        assert np.abs(got - expected).max() < 1e-5


def test_taking_the_prior_out_makes_colours_more_saturated():
    """A prediction that leans to grey because grey is common: the correction undoes that."""
    logits = logits_peaked_at((0, 0, 0.6), (40, 50, 0.4))
    log_prior = decoding.log_softmax(logits_peaked_at((0, 0, 1.0), spread=15)[:, :, 0, 0])[0]
    chroma = [np.linalg.norm(decoding.decode(logits, BINS, log_prior, s, 1.0)[0, :, 0, 0]) * 110 for s in (0, 0.5, 1)]
    assert chroma[0] < chroma[1] < chroma[2]


def test_a_uniform_prior_leaves_only_the_temperature():
    logits = logits_peaked_at((20, 30, 1.0))
    uniform = np.full(len(BINS), -np.log(len(BINS)), np.float32)
    assert np.allclose(
        decoding.decode(logits, BINS, uniform, 1.0, 1.0), decoding.decode(logits, BINS, uniform, 0.0, 1.0), atol=1e-6
    )


@pytest.mark.parametrize(
    ("rule", "vividness", "expected"),
    [
        (Vividness(strength=(0.0, 1.0)), 0.25, (0.25, 0.7)),  # the model's own temperature
        (Vividness(temperature=(1.0, 0.25)), 0.5, (0.0, 0.5)),  # geometric: sqrt(1 * 0.25)
        (Vividness(strength=(0.2, 0.8), temperature=(1.0, 0.5)), 1.0, (0.8, 0.5)),
        (Vividness(strength=(0.0, 1.0)), 7.0, (1.0, 0.7)),  # clipped to [0, 1]
    ],
)
def test_vividness_maps_onto_strength_and_temperature(rule, vividness, expected):
    assert rule.at(vividness, 0.7) == pytest.approx(expected)


def test_likely_colours_start_with_the_peaks_strongest_first():
    probabilities = decoding.softmax(logits_peaked_at((0, 0, 0.2), (50, 30, 0.5), (-40, -60, 0.3), spread=6))[
        0, :, 0, 0
    ]
    (found,) = decoding.likely_colours(probabilities[:, None], BINS, 3)
    assert [tuple(np.round(ab * 110)) for ab, _ in found] == [(50, 30), (-40, -60), (0, 0)]
    assert [round(mass, 1) for _, mass in found] == [0.5, 0.3, 0.2]


def test_a_broad_peak_also_offers_neighbouring_colours_a_spacing_apart():
    probabilities = decoding.softmax(logits_peaked_at((30, 20, 1.0), spread=15))[0, :, 0, 0]
    (found,) = decoding.likely_colours(probabilities[:, None], BINS, 4)
    assert len(found) == 4
    assert tuple(np.round(found[0][0] * 110)) == (30, 20)
    centres = np.array([ab for ab, _ in found]) * 110
    gaps = np.hypot(*(centres[:, None] - centres[None]).transpose(2, 0, 1))
    assert gaps[~np.eye(4, dtype=bool)].min() >= decoding.COLOUR_SPACING - 1e-3


def test_colours_with_too_little_mass_are_not_suggested():
    probabilities = decoding.softmax(logits_peaked_at((0, 0, 0.995), (60, 60, 0.005), spread=4))[0, :, 0, 0]
    (found,) = decoding.likely_colours(probabilities[:, None], BINS, 4)
    assert len(found) == 1


def test_suggestions_cover_a_grid_of_cells_with_colours_at_their_lightness():
    probabilities = decoding.softmax(logits_peaked_at((50, 30, 0.6), (-40, -60, 0.4), size=8, spread=6))
    lightness = np.full((32, 32), 30.0)
    lightness[16:, :] = 80.0
    grid = decoding.suggestions(probabilities, BINS, lightness, cells=4, count=3)
    assert (grid["rows"], grid["columns"], len(grid["cells"])) == (4, 4, 16)
    top, bottom = grid["cells"][0], grid["cells"][15]
    assert [mass for _, mass in top] == pytest.approx([0.6, 0.4], abs=0.01)
    for colour, _ in top + bottom:
        assert colour.startswith("#")
        assert len(colour) == 7
    # The same ab at a brighter cell is a lighter colour.
    assert int(bottom[0][0][1:3], 16) > int(top[0][0][1:3], 16)


# --- Smoothing the scores before decoding (issue #25) --------------------------------------------


def test_no_smoothing_leaves_the_scores_as_they_are():
    scores = np.random.default_rng(0).normal(size=(1, 5, 8, 8)).astype(np.float32)
    assert decoding.smoothed(scores, 0.0) is scores


def test_smoothing_keeps_a_uniform_field_and_spreads_a_spike():
    flat = np.full((1, 3, 9, 9), 2.5, np.float32)
    np.testing.assert_allclose(decoding.smoothed(flat, 1.5), flat, rtol=1e-6)
    spike = np.zeros((1, 1, 11, 11), np.float32)
    spike[0, 0, 5, 5] = 1.0
    blurred = decoding.smoothed(spike, 1.0)
    assert blurred[0, 0, 5, 5] < 1.0
    assert blurred[0, 0, 5, 6] > 0
    assert blurred[0, 0, 7, 5] > 0
    assert blurred.sum() == pytest.approx(1.0, rel=1e-5)  # an interior spike keeps its mass


def test_smoothing_makes_one_reading_of_a_patchwork():
    """Neighbouring cells that each favour another bin, confidently: decoded apart they flip
    between two colours; smoothed, they agree on one."""
    bin_ab = np.array([[0.4, 0.0], [-0.4, 0.0]], np.float32)
    logits = np.zeros((1, 2, 12, 12), np.float32)
    logits[0, 0] = np.where(np.indices((12, 12)).sum(0) % 2 == 0, 6.0, 0.0)
    logits[0, 1] = 6.0 - logits[0, 0]
    prior = np.zeros(2, np.float32)
    plain = decoding.decode(logits, bin_ab, prior, 0.0, 1.0)[0, 0, 3:-3, 3:-3]
    smooth = decoding.decode(logits, bin_ab, prior, 0.0, 1.0, smoothing=1.0)[0, 0, 3:-3, 3:-3]
    assert np.ptp(plain) > 0.7
    assert np.ptp(smooth) < 0.1


ZERO_PRIOR = np.zeros(len(BINS), dtype=np.float32)


def test_the_second_reading_keeps_the_colour_the_model_was_sure_of():
    sure = logits_peaked_at((40, 40, 1.0), spread=6.0)
    first = decoding.decode(sure, BINS, ZERO_PRIOR, 0.0, 1.0)
    second = decoding.second_reading(sure, BINS, ZERO_PRIOR, 0.0, 1.0)
    assert np.abs(second - first).max() * 110 < 1.0


def test_the_second_reading_takes_the_other_likely_colour_where_the_model_was_torn():
    """Green with 55%, red with 45%: the first reading leans green (a muddy mean), the second
    goes to the red the model also found likely."""
    torn = logits_peaked_at((-40, 40, 0.55), (50, 30, 0.45), spread=6.0)
    first = decoding.decode(torn, BINS, ZERO_PRIOR, 0.0, 0.4)[0, :, 0, 0] * 110
    second = decoding.second_reading(torn, BINS, ZERO_PRIOR, 0.0, 0.4)[0, :, 0, 0] * 110
    assert first[0] < 0
    assert second[0] > 30
