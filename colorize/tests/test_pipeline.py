"""The pipeline with real networks (seeded random weights): sizes, lightness, alpha, hints."""

import numpy as np
import pytest
import torch
from PIL import Image

from colorize import pipeline
from colorize.colour import lab_to_rgb, rgb_to_lab
from colorize.errors import ModelFailed, ModelNotInstalled
from colorize.pipeline import Hint, colorize, hint_tensors
from colorize.tests.conftest import photo


def lab_of(image):
    rgb = torch.from_numpy(np.asarray(image.convert("RGB")).astype(np.float64) / 255).permute(2, 0, 1)
    return rgb_to_lab(rgb).numpy()


@pytest.mark.parametrize("model", ["eccv16", "siggraph17"])
def test_output_has_the_input_size_and_lightness(engine_weights, model):
    source = photo(70, 45)
    result = colorize(source, model=model)
    assert (result.mode, result.size) == ("RGB", (70, 45))
    assert np.abs(lab_of(result)[0] - lab_of(source)[0]).mean() < 1.0


def test_output_is_colour(engine_weights):
    result = lab_of(colorize(photo(64, 64).convert("L"), model="eccv16"))
    assert np.hypot(result[1], result[2]).mean() > 2


def test_colour_photo_gives_the_same_result_as_its_grayscale_version(engine_weights):
    source = photo(80, 60)
    lightness = torch.from_numpy(lab_of(source)[:1])
    gray_lab = torch.cat((lightness, torch.zeros(2, 60, 80, dtype=lightness.dtype)))
    gray = Image.fromarray((lab_to_rgb(gray_lab).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
    from_colour = np.asarray(colorize(source, model="eccv16")).astype(int)
    from_gray = np.asarray(colorize(gray, model="eccv16")).astype(int)
    assert np.abs(from_colour - from_gray).mean() < 1.5


def test_l_mode_input_equals_its_rgb_version(engine_weights):
    gray = photo(50, 40).convert("L")
    from_l = np.asarray(colorize(gray, model="eccv16")).astype(int)
    from_rgb = np.asarray(colorize(gray.convert("RGB"), model="eccv16")).astype(int)
    assert np.abs(from_l - from_rgb).max() <= 1


def test_alpha_is_preserved(engine_weights):
    source = photo(48, 32).convert("RGBA")
    alpha = Image.linear_gradient("L").resize((48, 32))
    source.putalpha(alpha)
    result = colorize(source, model="eccv16")
    assert result.mode == "RGBA"
    assert np.array_equal(np.asarray(result.getchannel("A")), np.asarray(alpha))


def test_full_resolution_recombination_matches_a_direct_computation(engine_weights):
    """The strip-wise recombination equals upsampling the whole ab map at once."""
    source = photo(300, 7)
    ab_small = torch.randn(1, 2, 16, 16) * 30
    result = np.asarray(pipeline.recombine(source, ab_small)).astype(int)
    ab = torch.nn.functional.interpolate(ab_small.double(), size=(7, 300), mode="bilinear")[0]
    lightness = torch.from_numpy(lab_of(source)[:1])
    expected = (lab_to_rgb(torch.cat((lightness, ab))).permute(1, 2, 0).numpy() * 255).round()
    assert np.abs(result - expected).max() <= 1


def test_hint_tensors_fill_a_small_patch_with_the_colour_ab():
    ab, mask = hint_tensors([Hint(x=100, y=50, color="#ff0000")], (200, 100), 256)
    assert ab.shape == (1, 2, 256, 256) and mask.shape == (1, 1, 256, 256)
    assert mask.sum() == 9 and mask[0, 0, 127:130, 127:130].sum() == 9
    red_ab = rgb_to_lab(torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64).view(3, 1, 1))[1:, 0, 0] / 110
    assert torch.allclose(ab[0, :, 128, 128].double(), red_ab, atol=1e-5)
    assert ab[0, :, 0, 0].abs().sum() == 0


def test_hint_tensors_at_the_corners_stay_inside():
    ab, mask = hint_tensors([Hint(0, 0, "#00ff00"), Hint(200, 100, "#0000ff")], (200, 100), 256)
    assert mask[0, 0, 0, 0] == 1 and mask[0, 0, 255, 255] == 1


def test_hints_change_the_output_near_the_hint(engine_weights):
    source = photo(64, 64).convert("L")
    plain = lab_of(colorize(source, model="siggraph17"))
    hinted = lab_of(colorize(source, model="siggraph17", hints=[Hint(16, 16, "#2040ff")]))
    change = np.abs(hinted[1:] - plain[1:]).sum(axis=0)
    near, far = change[12:21, 12:21].mean(), change[44:, 44:].mean()
    assert near > 0.2
    assert near > 5 * far


def test_hints_for_a_model_without_hints_are_refused(engine_weights):
    with pytest.raises(ValueError, match="does not take colour hints"):
        colorize(photo(), model="eccv16", hints=[Hint(1, 1, "#a0522d")])


@pytest.mark.parametrize("hint", [Hint(1, 1, "red"), Hint(1, 1, "#12345"), Hint(-5, 1, "#a0522d"), Hint(1, 999, "#a0522d")])
def test_bad_hints_are_refused(engine_weights, hint):
    with pytest.raises(ValueError):
        colorize(photo(), model="siggraph17", hints=[hint])


def test_no_model_installed_is_a_clear_error(no_weights):
    with pytest.raises(ModelNotInstalled) as caught:
        colorize(photo())
    assert "fetch_weights" in str(caught.value)


def test_unknown_model_is_a_clear_error(engine_weights):
    with pytest.raises(ModelNotInstalled, match="unknown model"):
        colorize(photo(), model="nope")


def test_default_model_is_used_without_a_name(engine_weights, settings):
    settings.COLORIZE_DEFAULT_MODEL = "siggraph17"
    assert np.array_equal(np.asarray(colorize(photo())), np.asarray(colorize(photo(), model="siggraph17")))


def test_non_finite_output_is_a_model_failure(engine_weights, monkeypatch):
    from colorize import registry

    network = registry.load_model("eccv16")
    monkeypatch.setattr(network.model_out, "weight", torch.nn.Parameter(torch.full_like(network.model_out.weight, float("nan"))))
    with pytest.raises(ModelFailed) as caught:
        colorize(photo(), model="eccv16")
    assert "failed" in caught.value.user_message


def test_the_compact_model_fits_the_same_pipeline(settings, tmp_path, monkeypatch):
    """The project's own model needs no special case: a weights file is all it takes."""
    from colorize import registry

    spec = registry.get_spec("compact")
    torch.manual_seed(0)
    torch.save(spec.build().state_dict(), tmp_path / spec.weight_file)
    monkeypatch.setattr("colorize.weights.BUNDLED_WEIGHTS_DIR", tmp_path)
    settings.COLORIZE_WEIGHTS_DIR = tmp_path / "none"
    settings.COLORIZE_DEFAULT_MODEL = ""
    assert registry.default_model_name() == "compact"
    result = colorize(photo(40, 24), hints=[Hint(10, 10, "#a0522d")])
    assert (result.mode, result.size) == ("RGB", (40, 24))


def test_a_network_that_raises_is_a_model_failure(engine_weights, monkeypatch):
    from colorize import registry

    network = registry.load_model("siggraph17")

    def broken(*args):
        raise RuntimeError("out of memory in conv")

    monkeypatch.setattr(network, "forward", broken)
    with pytest.raises(ModelFailed, match="RuntimeError"):
        colorize(photo(), model="siggraph17")
