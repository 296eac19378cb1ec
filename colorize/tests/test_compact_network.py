"""The compact network's hint anchoring, on a seeded untrained network (no weights file needed)."""

import pytest
import torch

from colorize.networks.compact import CompactColorizer

SIZE = 64


@pytest.fixture
def network():
    torch.manual_seed(0)
    return CompactColorizer((8, 16, 16, 16)).eval()


def hint_at(row, column, ab=(0.5, -0.4)):
    hint_ab = torch.zeros(1, 2, SIZE, SIZE)
    mask = torch.zeros(1, 1, SIZE, SIZE)
    hint_ab[0, :, row - 1 : row + 2, column - 1 : column + 2] = torch.tensor(ab).view(2, 1, 1)
    mask[0, :, row - 1 : row + 2, column - 1 : column + 2] = 1
    return hint_ab, mask


def predicted(network, l_norm, hint_ab, mask):
    with torch.inference_mode():
        return network(l_norm, hint_ab, mask)[0]


def test_no_hints_leave_the_decoded_prediction_untouched(network):
    l_norm = torch.rand(1, 1, SIZE, SIZE) - 0.5
    with torch.inference_mode():
        plain = torch.nn.functional.interpolate(
            network.decode(network.logits(l_norm, torch.zeros(1, 2, SIZE, SIZE), torch.zeros(1, 1, SIZE, SIZE))),
            scale_factor=4, mode="bilinear", align_corners=False,
        )
        assert torch.equal(network(l_norm), plain)


def test_a_hinted_spot_takes_the_hint_colour(network):
    l_norm = torch.zeros(1, 1, SIZE, SIZE)
    hint_ab, mask = hint_at(32, 32)
    output = predicted(network, l_norm, hint_ab, mask)
    assert torch.allclose(output[:, 32, 32], torch.tensor([0.5, -0.4]), atol=0.05)


def test_a_hint_does_not_leak_across_a_lightness_edge(network):
    l_norm = torch.full((1, 1, SIZE, SIZE), -0.3)
    l_norm[..., :, 40:] = 0.3  # a bright region starting 8 pixels right of the hint
    hint_ab, mask = hint_at(32, 32)
    before = predicted(network, l_norm, torch.zeros_like(hint_ab), torch.zeros_like(mask))
    after = predicted(network, l_norm, hint_ab, mask)
    pull = (after - before).norm(dim=0)
    same_side, across = pull[32, 24], pull[32, 44]  # both ~8-12 pixels from the hint
    assert same_side > 0.2
    assert across < same_side / 5
