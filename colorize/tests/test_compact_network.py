"""Hint anchoring (colorize.hints.anchor) on a seeded untrained compact network's prediction."""

import numpy as np
import pytest
import torch

from colorize.hints import Anchoring, anchor
from colorize.networks.compact import CompactColorizer

SIZE = 64
ANCHORING = Anchoring()


@pytest.fixture
def network():
    torch.manual_seed(0)
    return CompactColorizer((8, 16, 16, 16)).eval()


def hint_at(row, column, ab=(0.5, -0.4)):
    hint_ab = np.zeros((1, 2, SIZE, SIZE), dtype=np.float32)
    mask = np.zeros((1, 1, SIZE, SIZE), dtype=np.float32)
    hint_ab[0, :, row - 1 : row + 2, column - 1 : column + 2] = np.array(ab, dtype=np.float32)[:, None, None]
    mask[0, :, row - 1 : row + 2, column - 1 : column + 2] = 1
    return hint_ab, mask


def predicted(network, l_norm, hint_ab, mask):
    """The network's prediction anchored to the hints, upsampled to the input size."""
    with torch.inference_mode():
        ab_norm = network(*(torch.from_numpy(x) for x in (l_norm, hint_ab, mask))).numpy()
    anchored = torch.from_numpy(anchor(ab_norm, l_norm, hint_ab, mask, ANCHORING))
    return torch.nn.functional.interpolate(anchored, scale_factor=4, mode="bilinear", align_corners=False)[0].numpy()


def test_no_hints_leave_the_decoded_prediction_untouched(network):
    l_norm = (np.random.default_rng(0).random((1, 1, SIZE, SIZE)) - 0.5).astype(np.float32)
    empty_ab, empty_mask = np.zeros((1, 2, SIZE, SIZE), np.float32), np.zeros((1, 1, SIZE, SIZE), np.float32)
    with torch.inference_mode():
        plain = network(torch.from_numpy(l_norm)).numpy()
    assert np.array_equal(anchor(plain, l_norm, empty_ab, empty_mask, ANCHORING), plain)


def test_a_hinted_spot_takes_the_hint_colour(network):
    l_norm = np.zeros((1, 1, SIZE, SIZE), dtype=np.float32)
    hint_ab, mask = hint_at(32, 32)
    output = predicted(network, l_norm, hint_ab, mask)
    assert np.allclose(output[:, 32, 32], [0.5, -0.4], atol=0.05)


def test_a_hint_does_not_leak_across_a_lightness_edge(network):
    l_norm = np.full((1, 1, SIZE, SIZE), -0.3, dtype=np.float32)
    l_norm[..., :, 40:] = 0.3  # a bright region starting 8 pixels right of the hint
    hint_ab, mask = hint_at(32, 32)
    before = predicted(network, l_norm, np.zeros_like(hint_ab), np.zeros_like(mask))
    after = predicted(network, l_norm, hint_ab, mask)
    pull = np.linalg.norm(after - before, axis=0)
    same_side, across = pull[32, 24], pull[32, 44]  # both ~8-12 pixels from the hint
    assert same_side > 0.2
    assert across < same_side / 5
