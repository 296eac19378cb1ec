"""Zhang et al.'s networks match the official files' layout key for key and shape for shape."""

import pytest
import torch

from research.networks.zhang import ECCV16, SIGGRAPH17

NETWORKS = {"eccv16": ECCV16, "siggraph17": SIGGRAPH17}


def state_dict_from_layout(layout, seed=0):
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in layout.items():
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(0)
        elif key.endswith("running_var"):
            state[key] = torch.rand(shape, generator=generator) + 0.5
        else:
            state[key] = torch.randn(shape, generator=generator) * 0.05
    return state


@pytest.mark.parametrize("name", NETWORKS)
def test_state_dict_keys_and_shapes_equal_the_official_layout(name, official_layouts):
    own = {key: list(value.shape) for key, value in NETWORKS[name]().state_dict().items()}
    assert sorted(own) == sorted(official_layouts[name])
    assert own == official_layouts[name]


@pytest.mark.parametrize(("name", "count"), [("eccv16", 82), ("siggraph17", 107)])
def test_layout_has_the_documented_number_of_tensors(name, count, official_layouts):
    assert len(official_layouts[name]) == count


@pytest.mark.parametrize("name", NETWORKS)
def test_a_state_dict_built_from_the_layout_loads_strictly(name, official_layouts):
    network = NETWORKS[name]()
    state = state_dict_from_layout(official_layouts[name])
    result = network.load_state_dict(state, strict=True)
    assert not result.missing_keys
    assert not result.unexpected_keys
    for key, value in network.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_eccv16_maps_l_to_ab_of_the_same_size():
    network = ECCV16().eval()
    with torch.inference_mode():
        output = network(torch.zeros(1, 1, 32, 48))
    assert output.shape == (1, 2, 32, 48)
    assert torch.isfinite(output).all()
    # The last 1x1 conv turns the softmax over 313 bins into ab: bounded by its weights.
    assert output.abs().max() <= network.model_out.weight.abs().sum(dim=1).max() + 1e-5


def test_siggraph17_maps_l_and_hints_to_ab_of_the_same_size():
    network = SIGGRAPH17().eval()
    l_norm = torch.zeros(1, 1, 32, 48)
    with torch.inference_mode():
        output = network(l_norm, torch.zeros(1, 2, 32, 48), torch.zeros(1, 1, 32, 48))
        no_hints = network(l_norm)
    assert output.shape == (1, 2, 32, 48)
    assert output.abs().max() <= 1.0  # tanh
    assert torch.equal(output, no_hints)


def test_siggraph17_takes_the_mask_as_given_like_the_authors_release():
    """The release concatenates mask_B itself (0 or 1), not mask_B - 0.5."""
    network = SIGGRAPH17().eval()
    captured = {}

    def keep_input(module, args, output):
        captured["x"] = args[0]

    network.model1[0].register_forward_hook(keep_input)
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 4, 4] = 1
    with torch.inference_mode():
        network(torch.zeros(1, 1, 16, 16), torch.zeros(1, 2, 16, 16), mask)
    assert torch.equal(captured["x"][:, 3:], mask)
