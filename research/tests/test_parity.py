"""The production runtime (ONNX Runtime) against the PyTorch networks: the same final picture.

For every network, with and without hints, the pipeline's result must be at least 50 dB PSNR
against the result of the PyTorch definition run on the same weights (seeded random weights
in the official layouts, and the shipped compact model's trained weights)."""

import numpy as np
import pytest
import torch

from colorize import anchoring, pipeline, recombination, registry, site, weights
from colorize import hints as hinting
from colorize.hints import Hint
from colorize.resample import resize_ab
from research.checkpoints import checkpoint_path
from research.networks import build_network
from research.testing import install_seeded, photo

HINTS = (Hint(20, 30, "#2040ff"), Hint(100, 70, "#d02010"), Hint(60, 10, "#20a040"))


def psnr(first, second):
    mse = np.mean((np.asarray(first, dtype=float) - np.asarray(second, dtype=float)) ** 2)
    return np.inf if mse == 0 else 10 * np.log10(255**2 / mse)


def pytorch_result(spec, state, image, hints, vividness):
    """The same pipeline with the PyTorch network (and its PyTorch decoding) in place of the
    runtime and colorize.decoding."""
    network = build_network(spec.network, state).eval()
    network.load_state_dict(
        {key: value.float() if value.is_floating_point() else value for key, value in state.items()}
    )
    base = image.convert("L")
    l_norm = pipeline.network_input(base, spec.input_size)

    def compact_logits(hint_points):
        """The mean log-probabilities of the views at each input size, in torch."""
        main = torch.from_numpy(l_norm)
        views = []
        for size in (spec.input_size, *spec.extra_input_sizes):
            view = torch.nn.functional.avg_pool2d(main, spec.input_size // size)
            hint_ab, mask = (torch.from_numpy(x) for x in hinting.network_inputs(hint_points, image.size, size))
            views.append(torch.log_softmax(network.logits(view, hint_ab, mask), dim=1))
        grid = views[0].shape[2:]
        return torch.stack([torch.nn.functional.interpolate(v, size=grid, mode="bilinear") for v in views]).mean(0)

    def run(hint_ab, mask, vividness, anchoring=False):
        tensors = [torch.from_numpy(x) for x in (l_norm, hint_ab, mask)]
        with torch.inference_mode():
            if spec.network == "compact":
                strength, temperature = spec.vividness.at(vividness, float(network.temperature))
                if anchoring and spec.vividness.anchoring_temperature is not None:
                    temperature = spec.vividness.anchoring_temperature  # what the anchoring compares
                hint_points = hints if mask.any() else ()
                return network.decode(compact_logits(hint_points), strength, temperature).numpy()
            if spec.network == "eccv16":  # its forward upsamples x4 itself
                return network(tensors[0], temperature=spec.vividness.at(vividness, 1.0)[1]).numpy()
            return network(*tensors).numpy()

    hint_ab, mask = hinting.network_inputs(hints, image.size, spec.input_size)
    ab_norm = run(hint_ab, mask, vividness)
    if spec.anchoring is not None and hints:
        # The hints' effect and the colours near them at vividness 0, the guesses at the job's.
        no_hints = (np.zeros_like(hint_ab), np.zeros_like(mask))
        hinted, plain = run(hint_ab, mask, 0.0, anchoring=True), run(*no_hints, 0.0, anchoring=True)
        guessed = run(*no_hints, vividness)
        points = hinting.grid_points(hints, image.size)
        plausibilities = None
        if spec.network == "compact":
            with torch.inference_mode():
                logits = compact_logits(()).numpy()
            plausibilities = anchoring.plausibility(
                logits, network.bin_centres.numpy(), points, spec.anchoring.likely_radius
            )
        ab_norm = anchoring.anchor(hinted, plain, l_norm, points, spec.anchoring, guessed, plausibilities)
    if spec.output_stride > 1 and spec.network != "eccv16":
        ab_norm = resize_ab(ab_norm, *(side * spec.output_stride for side in ab_norm.shape[2:]))
    return recombination.recombine(base, ab_norm * 110.0)


CASES = [
    (name, hints, vividness)
    for name, hints in [("eccv16", ()), ("siggraph17", ()), ("siggraph17", HINTS), ("compact", ()), ("compact", HINTS)]
    for vividness in ((0.0, 0.5, 1.0) if name != "siggraph17" else (0.5,))
]


@pytest.mark.parametrize(("name", "hints", "vividness"), CASES, ids=[f"{n}-{len(h)}hints-v{v}" for n, h, v in CASES])
def test_runtime_matches_pytorch_on_seeded_weights(settings, tmp_path, monkeypatch, name, hints, vividness):
    spec = registry.get_spec(name)
    settings.COLORIZE_WEIGHTS_DIR = tmp_path
    monkeypatch.setattr("colorize.weights.BUNDLED_WEIGHTS_DIR", tmp_path)
    state = install_seeded(spec, tmp_path, seed=5)
    image = photo(160, 120).convert("L")
    ours = pipeline.colorize(image, model=site.model(name), hints=hints, vividness=vividness)
    assert psnr(ours, pytorch_result(spec, state, image, hints, vividness)) >= 50


@pytest.mark.parametrize("vividness", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("hints", [(), HINTS], ids=["0hints", "3hints"])
def test_runtime_matches_pytorch_on_the_shipped_compact_model(hints, vividness):
    spec = registry.get_spec("compact")
    state = torch.load(checkpoint_path(spec), map_location="cpu", weights_only=True)
    image = photo(160, 120).convert("L")
    ours = pipeline.colorize(image, model=site.model("compact"), hints=hints, vividness=vividness)
    assert psnr(ours, pytorch_result(spec, state, image, hints, vividness)) >= 50


def test_vividness_changes_the_seeded_distribution_models(settings, tmp_path, monkeypatch):
    """The parity above would hold trivially if vividness did nothing: it does, for both."""
    settings.COLORIZE_WEIGHTS_DIR = tmp_path
    monkeypatch.setattr("colorize.weights.BUNDLED_WEIGHTS_DIR", tmp_path)
    image = photo(160, 120).convert("L")
    for name in ("eccv16", "compact"):
        install_seeded(registry.get_spec(name), tmp_path, seed=5)
        low, high = (pipeline.colorize(image, model=site.model(name), vividness=v) for v in (0.0, 1.0))
        assert psnr(low, high) < 48, name  # parity is held to 50 dB


def test_the_shipped_runtime_file_was_made_from_the_registered_weights():
    spec = registry.get_spec("compact")
    assert weights.sha256_of(checkpoint_path(spec)) == spec.sha256
    assert site.weights_store().installed_sha256(spec) == spec.sha256
