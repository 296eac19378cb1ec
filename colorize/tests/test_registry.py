"""Which models are installed, the default model, loading weights strictly and once."""

import threading

import pytest
import torch

from colorize import registry, weights
from colorize.errors import ModelNotInstalled
from colorize.networks.zhang import ECCV16
from colorize.tests.conftest import seeded_state_dict


def test_every_model_is_described_the_same_way():
    for spec in registry.MODELS.values():
        assert spec.name and spec.title and spec.description and spec.weight_file
        assert callable(spec.build)
        assert len(spec.sha256) == 64
        assert spec.bundled or spec.url.startswith("https://")


def test_models_without_weights_are_not_installed(no_weights):
    assert registry.installed_models() == []
    assert not registry.is_installed("eccv16")
    assert registry.default_model_name() is None
    with pytest.raises(ModelNotInstalled, match="fetch_weights"):
        registry.default_model_name(required=True)
    with pytest.raises(ModelNotInstalled, match="fetch_weights eccv16"):
        registry.load_model("eccv16")


def test_installed_models_follow_the_weights_directory(engine_weights, monkeypatch, tmp_path):
    monkeypatch.setattr("colorize.weights.BUNDLED_WEIGHTS_DIR", tmp_path / "no-bundled")
    assert [spec.name for spec in registry.installed_models()] == ["eccv16", "siggraph17"]
    assert registry.is_installed("siggraph17")
    assert registry.default_model_name() == "eccv16"


def test_default_model_prefers_the_setting_then_compact(engine_weights, settings, monkeypatch, tmp_path):
    settings.COLORIZE_DEFAULT_MODEL = "siggraph17"
    assert registry.default_model_name() == "siggraph17"
    settings.COLORIZE_DEFAULT_MODEL = ""
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    torch.save(registry.get_spec("compact").build().state_dict(), bundled / registry.get_spec("compact").weight_file)
    monkeypatch.setattr("colorize.weights.BUNDLED_WEIGHTS_DIR", bundled)
    assert registry.default_model_name() == "compact"
    assert weights.weight_path(registry.get_spec("compact")).parent == bundled
    assert weights.weight_path(registry.get_spec("eccv16")).parent == engine_weights


def test_load_model_loads_strictly_in_eval_mode_and_caches(engine_weights):
    network = registry.load_model("eccv16")
    assert isinstance(network, ECCV16) and not network.training
    expected = torch.load(engine_weights / registry.get_spec("eccv16").weight_file, weights_only=True)
    for key, value in network.state_dict().items():
        assert torch.equal(value, expected[key]), key
    assert registry.load_model("eccv16") is network


def test_load_model_is_shared_between_threads(engine_weights, settings, tmp_path):
    directory = tmp_path / "w"
    directory.mkdir()
    torch.save(seeded_state_dict("siggraph17", seed=3), directory / registry.get_spec("siggraph17").weight_file)
    settings.COLORIZE_WEIGHTS_DIR = directory
    loaded = []
    threads = [threading.Thread(target=lambda: loaded.append(registry.load_model("siggraph17"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loaded) == 4 and all(model is loaded[0] for model in loaded)


def test_half_precision_weights_are_cast_to_float32(settings, tmp_path, monkeypatch):
    spec = registry.get_spec("compact")
    state = {key: value.half() if value.is_floating_point() else value for key, value in spec.build().state_dict().items()}
    torch.save(state, tmp_path / spec.weight_file)
    monkeypatch.setattr("colorize.weights.BUNDLED_WEIGHTS_DIR", tmp_path)
    network = registry.load_model("compact")
    assert all(p.dtype == torch.float32 for p in network.state_dict().values() if p.is_floating_point())


def test_a_file_that_does_not_fit_is_refused_clearly(settings, tmp_path):
    settings.COLORIZE_WEIGHTS_DIR = tmp_path
    state = seeded_state_dict("eccv16")
    del state["model_out.weight"]
    torch.save(state, tmp_path / registry.get_spec("eccv16").weight_file)
    with pytest.raises(ModelNotInstalled, match="could not be loaded"):
        registry.load_model("eccv16")


def test_torch_threads_follow_the_setting_or_the_idle_cpus(settings, monkeypatch):
    settings.COLORIZE_TORCH_THREADS = 3
    assert registry.torch_threads() == 3
    settings.COLORIZE_TORCH_THREADS = 0
    monkeypatch.setattr(registry, "_cpus", lambda: 4)
    monkeypatch.setattr(registry, "_runnable_elsewhere", lambda: 0)
    assert registry.torch_threads() == 4
    monkeypatch.setattr(registry, "_runnable_elsewhere", lambda: 3)
    assert registry.torch_threads() == 1
    monkeypatch.setattr(registry, "_runnable_elsewhere", lambda: 9)
    assert registry.torch_threads() == 1
