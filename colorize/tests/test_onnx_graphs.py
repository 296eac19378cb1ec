"""The torch-free ONNX graphs compute what the torch modules compute, on the same weights."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from colorize import onnx_graphs, runtime
from colorize.errors import ColorizeError, WrongLayout
from research.networks.compact import CompactColorizer
from research.networks.zhang import ECCV16, SIGGRAPH17

SIZE = 64  # small, to keep the comparison quick; a multiple of 16 as all three need
TOLERANCE = 1e-4  # float32 on both sides, only the summation order differs
NETWORKS = {
    "eccv16": ECCV16,
    "siggraph17": SIGGRAPH17,
    "compact": lambda: CompactColorizer(widths=(24, 48, 96, 192)),  # the registry's widths, version 2
    "compact-v1": lambda: CompactColorizer(widths=(24, 48, 96, 192), context=False, prior=False),  # neither
}
DISTRIBUTION_OUTPUTS = ["logits", "bin_ab", "bin_log_prior", "decode_temperature"]


def seeded_network(name, seed=0):
    """A network in eval mode with seeded random weights that keep its output lively.

    BatchNorm gets random statistics and affine parameters (so it is not the identity), with
    small variances that keep activations alive through the deep stacks; the layers before a
    softmax (eccv16) or tanh (siggraph17) are scaled up so the output is far from 0; compact
    needs no help: its temperature of 0.38 already sharpens the distribution.
    """
    torch.manual_seed(seed)
    network = NETWORKS[name]().eval()
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for key, value in network.state_dict().items():
            if key.endswith("running_var"):
                value.copy_(torch.rand(value.shape, generator=generator) * 0.02 + 0.01)
            elif key.endswith("running_mean"):
                value.copy_(torch.rand(value.shape, generator=generator) * 0.1)
            elif value.ndim == 1 and key.endswith(".weight"):  # BatchNorm scale
                value.copy_(torch.rand(value.shape, generator=generator) + 0.5)
        state = network.state_dict()
        for key, factor in (("model8.6.weight", 400), ("model_out.0.weight", 20)):
            if key in state:
                state[key].mul_(factor)
        if name == "eccv16":  # stands in for the ab bin centres
            state["model_out.weight"].uniform_(-1, 1, generator=generator)
        if "context.3.weight" in state:  # starts at zero (no context): make it count
            state["context.3.weight"].normal_(0, 0.05, generator=generator)
            state["log_prior"].copy_(torch.log_softmax(torch.randn(529, generator=generator) * 2, dim=0))
    return network


def graph_name(name):
    return name.split("-")[0]


def numpy_state(network):
    return {key: value.numpy().copy() for key, value in network.state_dict().items()}


def session(model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def conversions():
    """name -> (torch network, its numpy state, ONNX model, ONNX Runtime session), made once."""
    cache = {}

    def convert(name):
        if name not in cache:
            network = seeded_network(name)
            state = numpy_state(network)
            model = onnx_graphs.build(graph_name(name), state)
            cache[name] = network, state, model, session(model)
        return cache[name]

    return convert


@pytest.fixture(params=NETWORKS)
def converted(request, conversions):
    """(name, torch network, its numpy state, ONNX model, ONNX Runtime session)."""
    return request.param, *conversions(request.param)


def inputs(hinted, seed=0):
    generator = torch.Generator().manual_seed(seed)
    l_norm = torch.rand(1, 1, SIZE, SIZE, generator=generator) - 0.5
    hint_ab = torch.zeros(1, 2, SIZE, SIZE)
    hint_mask = torch.zeros(1, 1, SIZE, SIZE)
    if hinted:
        for row, column in ((10, 20), (40, 33), (55, 5)):
            hint_ab[0, :, row : row + 3, column : column + 3] = (torch.rand(2, 1, 1, generator=generator) - 0.5) * 1.6
            hint_mask[0, :, row : row + 3, column : column + 3] = 1
    return l_norm, hint_ab, hint_mask


def torch_outputs(name, network, l_norm, hint_ab, hint_mask):
    """What each of the graph's outputs should be, from the torch module."""
    with torch.inference_mode():
        if name == "eccv16":
            return {
                "logits": network.logits(l_norm).numpy(),
                "bin_ab": network.model_out.weight[:, :, 0, 0].T.numpy(),
                "bin_log_prior": np.full(313, -np.log(313), np.float32),
                "decode_temperature": np.float32(1.0),
            }
        if name == "siggraph17":
            return {
                "ab_norm": network(l_norm, hint_ab, hint_mask).numpy(),
                "class_logits": network.classify(l_norm, hint_ab, hint_mask).numpy(),
            }
        log_prior = (
            network.log_prior.numpy() if network.log_prior is not None else np.full(529, -np.log(529), np.float32)
        )
        return {
            "logits": network.logits(l_norm, hint_ab, hint_mask).numpy(),
            "bin_ab": network.bin_centres.numpy(),
            "bin_log_prior": log_prior,
            "decode_temperature": network.temperature.numpy(),
        }


def onnx_outputs(name, runner, l_norm, hint_ab, hint_mask):
    feeds = {"l_norm": l_norm.numpy()}
    if name != "eccv16":
        feeds.update(hint_ab=hint_ab.numpy(), hint_mask=hint_mask.numpy())
    names = [output.name for output in runner.get_outputs()]
    return dict(zip(names, runner.run(names, feeds), strict=False))


def main_output(name, outputs):
    return outputs["ab_norm" if name == "siggraph17" else "logits"]


CASES = [
    ("eccv16", False),
    ("siggraph17", False),
    ("siggraph17", True),
    ("compact", False),
    ("compact", True),
    ("compact-v1", True),
]


@pytest.mark.parametrize(("name", "hinted"), CASES)
def test_onnx_runtime_matches_torch(conversions, name, hinted):
    network, _state, _model, runner = conversions(name)
    tensors = inputs(hinted)
    expected = torch_outputs(name, network, *tensors)
    got = onnx_outputs(name, runner, *tensors)
    assert got.keys() == expected.keys()
    assert np.abs(main_output(name, expected)).max() > 0.3, "the seeded output should be far from zero to compare"
    for key, value in expected.items():
        assert got[key].shape == np.shape(value), key
        assert np.abs(got[key] - value).max() < TOLERANCE * max(1.0, np.abs(value).max()), key


def test_the_pytorch_decoding_of_eccv16_is_the_authors_forward(conversions):
    """ECCV16.forward at temperature 1 (the authors' plain mean) is model_out(softmax(logits)), upsampled."""
    network = conversions("eccv16")[0]
    l_norm = inputs(False)[0]
    with torch.inference_mode():
        logits = network.logits(l_norm)
        expected = network.upsample4(network.model_out(torch.softmax(logits, dim=1)))
        sharper = network(l_norm, temperature=0.38)
        assert torch.allclose(network(l_norm), expected, atol=1e-6)
        assert not torch.allclose(sharper, expected, atol=1e-3)


@pytest.mark.parametrize("name", ["siggraph17", "compact"])
def test_hints_change_the_onnx_output(conversions, name):
    runner = conversions(name)[3]
    plain, hinted = (main_output(name, onnx_outputs(name, runner, *inputs(flag))) for flag in (False, True))
    assert np.abs(plain - hinted).max() > 1e-3


def test_the_global_context_lets_a_far_change_reach_everywhere(conversions):
    """Version 2's context branch: lightness changed in one corner changes the scores in the
    opposite corner (beyond the convolutions' reach); version 1's do not change there."""
    side = 512  # wider than version 1's receptive field
    for name, reaches in (("compact", True), ("compact-v1", False)):
        runner = conversions(name)[3]
        l_norm = torch.rand(1, 1, side, side, generator=torch.Generator().manual_seed(0)) - 0.5
        hint_ab, hint_mask = torch.zeros(1, 2, side, side), torch.zeros(1, 1, side, side)
        changed = l_norm.clone()
        changed[..., :16, :16] += 0.5
        before, after = (onnx_outputs(name, runner, x, hint_ab, hint_mask)["logits"] for x in (l_norm, changed))
        corner = np.abs(after[..., -2:, -2:] - before[..., -2:, -2:]).max()
        assert (corner > 1e-6) if reaches else (corner == 0), (name, corner)


def test_output_resolution(converted):
    name, _network, _state, _model, runner = converted
    outputs = onnx_outputs(name, runner, *inputs(False))
    if name == "siggraph17":
        assert outputs["ab_norm"].shape == (1, 2, SIZE, SIZE)
        assert outputs["class_logits"].shape == (1, 529, SIZE // 4, SIZE // 4)
    else:
        bins = 313 if name == "eccv16" else 529
        assert outputs["logits"].shape == (1, bins, SIZE // 4, SIZE // 4)
        assert outputs["bin_ab"].shape == (bins, 2)
        assert outputs["bin_log_prior"].shape == (bins,)
        assert outputs["decode_temperature"].shape == ()


def test_the_model_passes_the_onnx_checker(converted):
    onnx.checker.check_model(converted[3], full_check=True)


def test_graph_inputs_and_outputs_are_named_for_the_pipeline(converted):
    name, _network, _state, model, _runner = converted
    expected = ["l_norm"] if name == "eccv16" else ["l_norm", "hint_ab", "hint_mask"]
    assert [value.name for value in model.graph.input] == expected
    outputs = ["ab_norm", "class_logits"] if name == "siggraph17" else DISTRIBUTION_OUTPUTS
    assert [value.name for value in model.graph.output] == outputs


def test_weights_are_float32_initializers(converted):
    _name, _network, state, model, _runner = converted
    types = {tensor.name: tensor.data_type for tensor in model.graph.initializer}
    used = [key for key in state if key in types]
    assert used
    assert all(types[key] == onnx.TensorProto.FLOAT for key in used)


def test_float64_weights_are_stored_as_float32():
    state = {key: value.astype(np.float64) for key, value in numpy_state(seeded_network("compact")).items()}
    model = onnx_graphs.compact(state)
    assert all(tensor.data_type == onnx.TensorProto.FLOAT for tensor in model.graph.initializer if tensor.name in state)


def test_metadata_round_trips_through_serialisation():
    metadata = {"source_sha256": "9b330a0b" * 8, "source_file": "compact-v1.pt"}
    model = onnx_graphs.build("compact", numpy_state(seeded_network("compact")), metadata=metadata)
    loaded = onnx.load_from_string(model.SerializeToString())
    assert {entry.key: entry.value for entry in loaded.metadata_props} == metadata
    assert session(loaded).get_modelmeta().custom_metadata_map == metadata


def test_an_unknown_network_name_is_a_value_error():
    with pytest.raises(ValueError, match="unknown network"):
        onnx_graphs.build("eccv17", {})


# --- Layout checks ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compact_state():
    return numpy_state(seeded_network("compact"))


def state_from_layout(layout):
    return {
        key: np.zeros(shape, np.int64 if key.endswith("num_batches_tracked") else np.float32)
        for key, shape in layout.items()
    }


@pytest.mark.parametrize("name", ["eccv16", "siggraph17"])
def test_the_official_layouts_are_accepted(name, official_layouts):
    onnx_graphs.check_layout(name, state_from_layout(official_layouts[name]))


@pytest.mark.parametrize(
    ("context", "prior"), [(True, True), (False, True), (False, False)], ids=["v2", "v1-prior", "v1"]
)
def test_the_compact_layout_follows_the_files_widths_and_parts(context, prior):
    network = CompactColorizer(widths=(8, 16, 16, 32), context=context, prior=prior)
    onnx_graphs.check_layout("compact", numpy_state(network))


def test_a_compact_file_without_a_prior_decodes_with_a_uniform_one(compact_state):
    state = {key: value for key, value in compact_state.items() if key != "log_prior"}
    model = onnx_graphs.build("compact", state)
    outputs = dict(
        zip(
            [o.name for o in session(model).get_outputs()],
            session(model).run(
                None,
                {
                    "l_norm": np.zeros((1, 1, 32, 32), np.float32),
                    "hint_ab": np.zeros((1, 2, 32, 32), np.float32),
                    "hint_mask": np.zeros((1, 1, 32, 32), np.float32),
                },
            ),
            strict=False,
        )
    )
    assert np.allclose(outputs["bin_log_prior"], -np.log(529))


def test_a_missing_key_is_refused(compact_state):
    state = {key: value for key, value in compact_state.items() if key != "up4.refine.3.running_var"}
    with pytest.raises(WrongLayout, match=r"missing keys: 1 \(up4\.refine\.3\.running_var\)"):
        onnx_graphs.check_layout("compact", state)


def test_an_unexpected_key_is_refused(compact_state):
    state = {**compact_state, "extra.weight": np.zeros(3, np.float32)}
    with pytest.raises(WrongLayout, match=r"unexpected keys: 1 \(extra\.weight\)"):
        onnx_graphs.check_layout("compact", state)


def test_a_wrong_shape_is_refused(compact_state):
    state = {**compact_state, "down8.2.weight": np.zeros((96, 96, 1, 1), np.float32)}
    with pytest.raises(WrongLayout, match=r"down8\.2\.weight is \(96, 96, 1, 1\), expected \(96, 96, 3, 3\)"):
        onnx_graphs.check_layout("compact", state)


def test_an_eccv16_file_is_refused_as_siggraph17(official_layouts):
    # 34 keys of SIGGRAPH17's are not in ECCV16's file; 2 are BatchNorm step counters, which a file may lack.
    with pytest.raises(WrongLayout, match="not a siggraph17 weight file: missing keys: 32") as caught:
        onnx_graphs.check_layout("siggraph17", state_from_layout(official_layouts["eccv16"]))
    assert "model1.0.weight is (64, 1, 3, 3), expected (64, 4, 3, 3)" in str(caught.value)
    assert "unexpected keys" in str(caught.value)  # eccv16's model8.6 and model_out.weight


def test_build_checks_the_layout_first(compact_state):
    with pytest.raises(WrongLayout):
        onnx_graphs.build("eccv16", compact_state)


def test_wrong_layout_is_a_colorize_error_with_a_user_message():
    error = WrongLayout("detail")
    assert isinstance(error, ColorizeError)
    assert error.user_message
    assert "detail" not in error.user_message


def test_the_graph_builder_imports_neither_torch_nor_django():
    code = "import sys; sys.modules['torch'] = sys.modules['django'] = None; import colorize.onnx_graphs"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2]
    )
    assert result.returncode == 0, result.stderr


def test_the_views_mean_graph_upsamples_each_view_like_pytorch_and_averages():
    rng = np.random.default_rng(0)
    main = rng.standard_normal((1, 529, 16, 12)).astype(np.float32)
    half, quarter = (rng.standard_normal((1, 529, 16 // f, 12 // f)).astype(np.float32) for f in (2, 4))
    expected = (
        torch.from_numpy(main)
        + sum(
            torch.nn.functional.interpolate(torch.from_numpy(v), size=(16, 12), mode="bilinear")
            for v in (half, quarter)
        )
    ) / 3
    assert (
        np.abs(runtime.mean_of_views(main, [half, quarter], runtime.RuntimeOptions()) - expected.numpy()).max() < 1e-5
    )
