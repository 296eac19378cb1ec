"""Hint anchoring (colorize.anchoring.anchor): hints stay where they are put.

The predictions here are made up, so each test can say what a network did (followed the hint
loosely, changed the whole picture) and check what the anchoring makes of it."""

import numpy as np
import pytest

from colorize.anchoring import Anchoring, anchor, geodesic_distances, plausibility
from colorize.hints import Hint, grid_points

SIZE = 64  # the compact model's output grid
ANCHORING = Anchoring()
BLUE = np.array([0.1, -0.45], dtype=np.float32)


def flat_lightness(value=-0.1, side=SIZE * 4):
    return np.full((1, 1, side, side), value, dtype=np.float32)


def prediction(ab=(0.05, 0.1)):
    return np.broadcast_to(np.array(ab, dtype=np.float32)[None, :, None, None], (1, 2, SIZE, SIZE)).copy()


def point(row, column, ab=BLUE):
    """A hint at a cell of the 64x64 grid, as grid_points gives it."""
    return [((row + 0.5) / SIZE, (column + 0.5) / SIZE, ab)]


def test_no_hints_leave_the_prediction_untouched():
    hinted = prediction()
    assert anchor(hinted, prediction((0, 0)), flat_lightness(), [], ANCHORING) is hinted


def test_the_clicked_spot_takes_the_hint_colour_even_where_the_network_ignored_it():
    plain = prediction()
    out = anchor(plain.copy(), plain, flat_lightness(), point(32, 32), ANCHORING)
    assert np.allclose(out[0, :, 32, 32], BLUE, atol=1e-3)
    assert np.linalg.norm(out[0, :, 33, 31] - BLUE) * 110 < 3  # and its neighbours nearly so


def test_with_a_reach_a_change_the_network_made_far_away_is_undone():
    """A network that tints the whole picture for one click: far from it, nothing moves."""
    plain = prediction()
    hinted = plain + np.float32(0.3)
    out = anchor(hinted, plain, flat_lightness(), point(8, 8), Anchoring(reach_sigma=0.15))
    moved = np.linalg.norm(out[0] - plain[0], axis=0) * 110
    rows, columns = np.mgrid[0:SIZE, 0:SIZE]
    far = np.hypot(rows - 8, columns - 8) > 0.35 * np.hypot(SIZE, SIZE)
    assert moved[far].max() < 10
    assert moved[8, 8] > 30
    assert moved[12, 12] > 20


def test_without_a_reach_the_networks_own_response_is_kept():
    plain = prediction()
    hinted = plain + np.float32(0.05)
    out = anchor(hinted, plain, flat_lightness(), point(8, 8), Anchoring(reach_sigma=None))
    assert np.allclose(out[0, :, 60, 60], hinted[0, :, 60, 60], atol=1e-4)


TINT_AB = 0.3 * np.sqrt(2) * 110  # how far _far_change's network moves every pixel, in ab


def _far_change(plausibilities):
    """The largest change, in ab, far from one click of a network that tints the whole picture."""
    plain = prediction()
    hinted = plain + np.float32(0.3)
    settings_ = Anchoring(reach_sigma=0.15, likely_mass=(0.1, 0.5))
    out = anchor(hinted, plain, flat_lightness(), point(8, 8), settings_, plausibilities=plausibilities)
    return np.linalg.norm(out[0, :, 60, 60] - plain[0, :, 60, 60]) * 110


def test_a_colour_the_model_found_likely_keeps_the_networks_response_beyond_the_reach():
    assert _far_change(np.array([0.6])) == pytest.approx(TINT_AB, abs=0.01)


def test_a_colour_the_model_found_unlikely_keeps_it_within_the_reach():
    assert _far_change(np.array([0.05])) < 0.5


def test_between_the_bounds_the_response_is_kept_in_part():
    assert 0.4 * TINT_AB < _far_change(np.array([0.3])) < 0.6 * TINT_AB


def grid_logits(peak_ab, spread=5.0):
    """Log-probabilities of a Gaussian around ``peak_ab`` (ab units) over a 23x23 grid of bins."""
    axis = np.arange(-110, 111, 10, dtype=np.float32)
    bins = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    scores = -np.sum((bins - np.asarray(peak_ab, dtype=np.float32)) ** 2, axis=1) / (2 * spread**2)
    logits = np.broadcast_to(scores[None, :, None, None], (1, len(bins), 4, 4)).astype(np.float32)
    return logits, bins / 110


def test_plausibility_is_the_probability_near_the_hint_colour():
    logits, bins = grid_logits((20, 40))
    near, far = plausibility(logits, bins, [(0.5, 0.5, np.array([20, 38]) / 110), (0.1, 0.9, BLUE)], radius=15)
    assert near > 0.9
    assert far < 1e-6


def test_the_correction_itself_stays_near_the_click():
    """The clicked colour's own correction: nothing of it reaches the far side."""
    plain = prediction()
    out = anchor(plain.copy(), plain, flat_lightness(), point(8, 8), ANCHORING)
    moved = np.linalg.norm(out[0] - plain[0], axis=0) * 110
    rows, columns = np.mgrid[0:SIZE, 0:SIZE]
    far = np.hypot(rows - 8, columns - 8) > 0.35 * np.hypot(SIZE, SIZE)
    assert moved[far].max() < 10
    assert moved[8, 8] > 50


def test_a_hint_does_not_cross_a_lightness_edge():
    l_norm = flat_lightness(-0.3)
    l_norm[..., :, 40 * 4 :] = 0.3  # a bright region starting 8 cells right of the click
    plain = prediction()
    out = anchor(plain.copy(), plain, l_norm, point(32, 32), ANCHORING)
    pull = np.linalg.norm(out[0] - plain[0], axis=0)
    same_side, across = pull[32, 24], pull[32, 44]  # both 8-12 cells from the click
    assert same_side > 0.2
    assert across < same_side / 5


def test_a_hint_does_not_cross_an_edge_of_the_predicted_colours():
    """Equal greys, different predicted colours (a red dress on green grass): still a wall."""
    plain = prediction((-0.4, 0.3))
    plain[0, :, :, 40:] = np.array([0.5, 0.2], dtype=np.float32)[:, None, None]
    out = anchor(plain.copy(), plain, flat_lightness(), point(32, 32), ANCHORING)
    pull = np.linalg.norm(out[0] - plain[0], axis=0)
    assert pull[32, 44] < pull[32, 24] / 5


def test_two_hints_each_keep_their_colour():
    red = np.array([0.5, 0.3], dtype=np.float32)
    plain = prediction()
    out = anchor(plain.copy(), plain, flat_lightness(), point(10, 10) + point(50, 50, red), ANCHORING)
    assert np.linalg.norm(out[0, :, 10, 10] - BLUE) * 110 < 2
    assert np.linalg.norm(out[0, :, 50, 50] - red) * 110 < 2


def test_anchoring_works_at_a_finer_output_grid_too():
    """SIGGRAPH17 predicts at 256x256: the weights are made at 64x64 and resized."""
    plain = np.zeros((1, 2, 256, 256), dtype=np.float32)
    out = anchor(plain + np.float32(0.3), plain, flat_lightness(), [(0.5, 0.5, BLUE)], Anchoring(reach_sigma=0.15))
    assert np.linalg.norm(out[0, :, 128, 128] - BLUE) * 110 < 3
    assert np.abs(out[0, :, 5, 5]).max() * 110 < 1


def test_grid_points_are_fractions_of_the_picture():
    ((row, column, ab),) = grid_points([Hint(x=100, y=50, color="#0000ff")], (200, 100))
    assert (row, column) == (0.5, 0.5)
    assert ab[1] < -0.5  # blue: strongly negative b


def test_geodesic_distances_walk_around_a_wall():
    features = np.zeros((1, 9, 9), dtype=np.float32)
    features[0, :7, 4] = 100.0  # a wall in column 4, open at the bottom two rows
    distance = geodesic_distances([(0, 0)], features, costs=(1.0,), limit=100)[0]
    assert distance[0, 2] == pytest.approx(2.0)
    assert distance[0, 8] > 12  # around the wall, not through it (8 straight)


def test_the_vivid_guess_gives_way_to_the_plain_colours_near_a_click_and_stays_far_from_it():
    plain = prediction((0.05, 0.1))
    guessed = prediction((0.2, 0.4))  # the same guess, decoded vividly
    out = anchor(plain.copy(), plain, flat_lightness(), point(8, 8), Anchoring(calm_sigma=0.15), guessed)
    assert np.allclose(out[0, :, 60, 60], guessed[0, :, 60, 60], atol=1e-3)  # far away: the job's vividness
    near = out[0, :, 10, 10]
    assert np.linalg.norm(near - BLUE) < np.linalg.norm(guessed[0, :, 10, 10] - BLUE)
    assert np.allclose(out[0, :, 8, 8], BLUE, atol=1e-3)  # and the click shows its colour
