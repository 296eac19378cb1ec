"""The pipeline with real networks (seeded random weights): sizes, lightness, alpha, hints."""

import numpy as np
import pytest
import torch
from PIL import Image

from colorize import decoding, pipeline, recombination, registry, runtime, site, weights
from colorize.colour import lab_to_rgb, rgb_to_lab
from colorize.errors import BadHints, ModelFailed, ModelNotInstalled
from colorize.hints import Hint, network_inputs
from colorize.pipeline import colorize
from colorize.resample import resize_ab
from research.testing import install_seeded, photo, seeded_state_dict


def lab_of(image):
    """Lab, channel-first (3, H, W), of a PIL image."""
    return rgb_to_lab(np.asarray(image.convert("RGB")) / 255.0).transpose(2, 0, 1)


@pytest.mark.parametrize("model", ["eccv16", "siggraph17"])
def test_output_has_the_input_size_and_lightness(engine_weights, model):
    source = photo(70, 45)
    result = colorize(source, model=site.model(model))
    assert (result.mode, result.size) == ("RGB", (70, 45))
    assert np.abs(lab_of(result)[0] - lab_of(source)[0]).mean() < 1.0


def test_output_is_colour(engine_weights):
    result = lab_of(colorize(photo(64, 64).convert("L"), model=site.model("eccv16")))
    assert np.hypot(result[1], result[2]).mean() > 2


def test_colour_photo_gives_the_same_result_as_its_grayscale_version(engine_weights):
    source = photo(80, 60)
    lightness = lab_of(source)[0]
    gray_lab = np.stack((lightness, np.zeros_like(lightness), np.zeros_like(lightness)), axis=-1)
    gray = Image.fromarray((lab_to_rgb(gray_lab) * 255).round().astype(np.uint8))
    from_colour = np.asarray(colorize(source, model=site.model("eccv16"))).astype(int)
    from_gray = np.asarray(colorize(gray, model=site.model("eccv16"))).astype(int)
    assert np.abs(from_colour - from_gray).mean() < 1.5


def test_l_mode_input_equals_its_rgb_version(engine_weights):
    gray = photo(50, 40).convert("L")
    from_l = np.asarray(colorize(gray, model=site.model("eccv16"))).astype(int)
    from_rgb = np.asarray(colorize(gray.convert("RGB"), model=site.model("eccv16"))).astype(int)
    assert np.abs(from_l - from_rgb).max() <= 1


def test_alpha_is_preserved(engine_weights):
    source = photo(48, 32).convert("RGBA")
    alpha = Image.linear_gradient("L").resize((48, 32))
    source.putalpha(alpha)
    result = colorize(source, model=site.model("eccv16"))
    assert result.mode == "RGBA"
    assert np.array_equal(np.asarray(result.getchannel("A")), np.asarray(alpha))


def test_full_resolution_recombination_matches_a_direct_computation():
    """The strip-wise recombination equals upsampling the whole ab map at once (PyTorch's
    bilinear interpolation as the yardstick)."""
    source = photo(300, 7)
    ab_small = torch.randn(1, 2, 16, 16, generator=torch.Generator().manual_seed(0)) * 30
    result = np.asarray(recombination.recombine(source, ab_small.numpy())).astype(int)
    ab = torch.nn.functional.interpolate(ab_small.double(), size=(7, 300), mode="bilinear")[0].numpy()
    lab = np.concatenate((lab_of(source)[:1], ab)).transpose(1, 2, 0)
    expected = (lab_to_rgb(lab) * 255).round()
    assert np.abs(result - expected).max() <= 1


def test_resize_ab_matches_pytorch_bilinear():
    ab = torch.randn(1, 2, 64, 64, generator=torch.Generator().manual_seed(1))
    expected = torch.nn.functional.interpolate(ab, scale_factor=4, mode="bilinear", align_corners=False).numpy()
    assert np.abs(resize_ab(ab.numpy(), 256, 256) - expected).max() < 1e-5


def test_hint_inputs_fill_a_small_patch_with_the_colour_ab():
    ab, mask = network_inputs([Hint(x=100, y=50, color="#ff0000")], (200, 100), 256)
    assert ab.shape == (1, 2, 256, 256)
    assert mask.shape == (1, 1, 256, 256)
    assert mask.sum() == 9
    assert mask[0, 0, 127:130, 127:130].sum() == 9
    red_ab = rgb_to_lab(np.array([1.0, 0.0, 0.0]))[1:] / 110
    assert np.allclose(ab[0, :, 128, 128], red_ab, atol=1e-5)
    assert np.abs(ab[0, :, 0, 0]).sum() == 0


def test_hint_inputs_at_the_corners_stay_inside():
    ab, mask = network_inputs([Hint(0, 0, "#00ff00"), Hint(199, 99, "#0000ff")], (200, 100), 256)
    assert mask[0, 0, 0, 0] == 1
    assert mask[0, 0, -3:, -3:].sum() > 0


def test_hints_change_the_output_near_the_hint(engine_weights):
    source = photo(64, 64).convert("L")
    plain = lab_of(colorize(source, model=site.model("siggraph17")))
    hinted = lab_of(colorize(source, model=site.model("siggraph17"), hints=[Hint(16, 16, "#2040ff")]))
    change = np.abs(hinted[1:] - plain[1:]).sum(axis=0)
    near, far = change[12:21, 12:21].mean(), change[44:, 44:].mean()
    assert near > 0.2
    assert near > 5 * far


def test_hints_for_a_model_without_hints_are_refused(engine_weights):
    with pytest.raises(BadHints, match="does not take colour hints"):
        colorize(photo(), model=site.model("eccv16"), hints=[Hint(1, 1, "#a0522d")])


@pytest.mark.parametrize(
    "hint", [Hint(1, 1, "red"), Hint(1, 1, "#12345"), Hint(-5, 1, "#a0522d"), Hint(1, 999, "#a0522d")]
)
def test_bad_hints_are_refused(engine_weights, hint):
    with pytest.raises(BadHints):
        colorize(photo(), model=site.model("siggraph17"), hints=[hint])


def test_no_model_installed_is_a_clear_error(no_weights):
    with pytest.raises(ModelNotInstalled) as caught:
        colorize(photo(), site.model())
    assert "fetch_weights" in str(caught.value)


def test_unknown_model_is_a_clear_error(engine_weights):
    with pytest.raises(ModelNotInstalled, match="unknown model"):
        colorize(photo(), model=site.model("nope"))


def test_default_model_is_used_without_a_name(engine_weights, settings):
    settings.COLORIZE_DEFAULT_MODEL = "siggraph17"
    assert np.array_equal(
        np.asarray(colorize(photo(), site.model())), np.asarray(colorize(photo(), model=site.model("siggraph17")))
    )


def test_non_finite_output_is_a_model_failure(settings, tmp_path):
    settings.COLORIZE_WEIGHTS_DIR = tmp_path
    state = seeded_state_dict("eccv16")
    state["model_out.weight"].fill_(float("nan"))
    install_seeded(registry.get_spec("eccv16"), tmp_path, state=state)
    with pytest.raises(ModelFailed) as caught:
        colorize(photo(), model=site.model("eccv16"))
    assert "failed" in caught.value.user_message


def test_the_compact_model_fits_the_same_pipeline(settings, tmp_path, monkeypatch):
    """The project's own model needs no special case: a runtime file is all it takes."""
    monkeypatch.setattr("colorize.weights.BUNDLED_WEIGHTS_DIR", tmp_path)
    install_seeded(registry.get_spec("compact"), tmp_path)
    settings.COLORIZE_WEIGHTS_DIR = tmp_path / "none"
    settings.COLORIZE_DEFAULT_MODEL = ""
    assert site.default_model_name() == "compact"
    result = colorize(photo(40, 24), site.model(), hints=[Hint(10, 10, "#a0522d")])
    assert (result.mode, result.size) == ("RGB", (40, 24))


def test_a_runtime_that_raises_is_a_model_failure(engine_weights, monkeypatch):
    session = runtime.load(site.model("siggraph17"))

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory in conv")

    monkeypatch.setattr(session, "run", broken)
    with pytest.raises(ModelFailed, match="RuntimeError"):
        colorize(photo(), model=site.model("siggraph17"))


@pytest.mark.parametrize("vividness", [-0.01, 1.01, float("nan"), float("inf")])
def test_a_vividness_outside_0_to_1_is_refused(engine_weights, vividness):
    with pytest.raises(ValueError, match="vividness"):
        colorize(photo(), model=site.model("eccv16"), vividness=vividness)


def test_no_vividness_means_the_engines_default_one(engine_weights):
    model = site.model("eccv16")
    plain = np.asarray(colorize(photo(), model))
    assert np.array_equal(plain, np.asarray(colorize(photo(), model, vividness=decoding.DEFAULT_VIVIDNESS)))
    assert not np.array_equal(plain, np.asarray(colorize(photo(), model, vividness=0.8)))


def test_vividness_leaves_a_model_that_regresses_ab_alone(engine_weights):
    """SIGGRAPH17's colours come from its regression branch, which has no distribution."""
    low, high = (np.asarray(colorize(photo(), model=site.model("siggraph17"), vividness=v)) for v in (0.0, 1.0))
    assert np.array_equal(low, high)


@pytest.mark.parametrize("model", ["eccv16", "siggraph17"])
def test_the_detailed_result_carries_suggested_colours(settings, tmp_path, model):
    """From the distribution the colours came from (eccv16) or the classification branch
    (siggraph17): a 16x16 grid of cells, each a few '#rrggbb' colours with their probability."""
    settings.COLORIZE_WEIGHTS_DIR = tmp_path
    state = seeded_state_dict(model)
    if model == "siggraph17":  # random class scores are flat: no colour stands out to suggest
        state["model_class.0.weight"].mul_(200)
    install_seeded(registry.get_spec(model), tmp_path, state=state)
    detailed = pipeline.colorize_detailed(photo(70, 45), model=site.model(model))
    assert np.array_equal(np.asarray(detailed.image), np.asarray(colorize(photo(70, 45), model=site.model(model))))
    grid = detailed.suggestions
    assert (grid["rows"], grid["columns"], len(grid["cells"])) == (16, 16, 256)
    assert any(grid["cells"])
    for cell in grid["cells"]:
        assert len(cell) <= 4
        assert all(colour.startswith("#") and 0 < probability <= 1 for colour, probability in cell)


def test_suggestions_are_left_out_when_not_asked_for(engine_weights):
    assert pipeline.colorize_detailed(photo(), model=site.model("eccv16"), suggestions=False).suggestions is None


def test_every_variant_comes_from_the_one_network_run(monkeypatch):
    runs = []
    real_run = runtime.run
    monkeypatch.setattr(runtime, "run", lambda *args, **kwargs: runs.append(1) or real_run(*args, **kwargs))
    pipeline.colorize_detailed(photo(64, 48), model=site.model("compact"), suggestions=False)
    alone = len(runs)
    detailed = pipeline.colorize_detailed(photo(64, 48), model=site.model("compact"), suggestions=False, variants=True)
    assert len(runs) == 2 * alone
    assert list(detailed.variants) == list(pipeline.VARIANTS)


@pytest.mark.parametrize("variant", pipeline.VARIANTS)
def test_a_kept_variant_renders_as_the_result_that_variant_gives(variant):
    source = photo(64, 48)
    spec = site.model("compact").spec
    kept = pipeline.colorize_detailed(source, model=site.model("compact"), suggestions=False, variants=True).variants[
        variant
    ]
    chosen = pipeline.colorize_detailed(source, model=site.model("compact"), suggestions=False, variant=variant).image
    assert np.array_equal(np.asarray(pipeline.render(source, kept, spec)), np.asarray(chosen))


def test_the_balanced_variant_is_the_result_at_the_jobs_vividness():
    source = photo(64, 48)
    variants = pipeline.colorize_detailed(source, model=site.model("compact"), vividness=0.3, variants=True).variants
    plain = colorize(source, model=site.model("compact"), vividness=0.3)
    rendered = pipeline.render(source, variants["balanced"], site.model("compact").spec)
    assert np.array_equal(np.asarray(rendered), np.asarray(plain))


def test_the_vivid_variant_has_more_colour_than_the_cautious_one():
    variants = pipeline.colorize_detailed(photo(64, 48), model=site.model("compact"), variants=True).variants
    chroma = {name: np.hypot(*variants[name][0]).mean() for name in ("cautious", "vivid")}
    assert chroma["vivid"] > chroma["cautious"]


def test_a_model_that_regresses_ab_offers_no_variants(engine_weights):
    assert pipeline.colorize_detailed(photo(), model=site.model("siggraph17"), variants=True).variants is None


def test_an_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="there is no variant 'loud'"):
        pipeline.colorize_detailed(photo(), model=site.model("compact"), variant="loud")


def test_other_weights_are_another_model_and_change_nothing_global(engine_weights, tmp_path):
    """Trying other weights (a training candidate, a fine-tune) is a Model with another file:
    the registry, the site's model and its loaded session stay as they were."""
    spec = registry.get_spec("eccv16")
    installed = site.model("eccv16")
    before = np.asarray(colorize(photo(), installed))
    registered = dict(registry.MODELS)
    install_seeded(spec, tmp_path, seed=7)
    candidate = weights.Store(tmp_path).model(spec)
    tried = np.asarray(colorize(photo(), candidate))
    assert not np.array_equal(tried, before)
    assert registered == registry.MODELS
    assert site.model("eccv16") == installed
    assert np.array_equal(np.asarray(colorize(photo(), site.model("eccv16"))), before)
