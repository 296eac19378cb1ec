"""The measuring commands (evaluate_model, evaluate_hints) on a few small photos, for real."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from django.conf import settings
from django.core.management import call_command
from PIL import Image

from colorize import colour, registry
from colorize.hints import hint_ab
from research.management.commands import make_examples
from research.training.hint_locality import max_chroma, saturated_colour

SAMPLES = Path(settings.SHARED_DATA_DIR) / "datasets" / "samples"


@pytest.fixture
def photos(tmp_path):
    found = sorted(SAMPLES.glob("*.jpg"))[:3]
    if len(found) < 3:
        pytest.skip(f"the sample photos are missing from {SAMPLES}")
    folder = tmp_path / "photos"
    folder.mkdir()
    for path in found:
        image = Image.open(path).convert("RGB")
        image.thumbnail((160, 160))
        image.save(folder / path.name)
    return folder


@pytest.fixture(autouse=True)
def _restore_registry():
    saved = dict(registry.MODELS)
    yield
    registry.MODELS.clear()
    registry.MODELS.update(saved)


def test_a_saturated_hint_colour_can_be_shown_at_the_points_lightness():
    rng = np.random.default_rng(0)
    for lightness in (20.0, 50.0, 85.0):
        for _ in range(5):
            colour_hex = saturated_colour(lightness, rng)
            ab = hint_ab(colour_hex)
            back = colour.rgb_to_lab(np.array([int(colour_hex[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0)
            assert abs(back[0] - lightness) < 1.5  # the colour has the point's own lightness
            assert np.hypot(*ab) > 0.5 * max_chroma(lightness, math.atan2(ab[1], ab[0]))


def test_evaluate_hints_reports_locality_click_error_and_ten_hint_psnr(photos, tmp_path, capsys):
    out = tmp_path / "hints.json"
    call_command("evaluate_hints", str(photos), "--model", "compact", "--json", str(out))
    printed = capsys.readouterr().out
    assert "far pixels moved by one click (mean)" in printed
    assert "PSNR with 10 hints" in printed
    summary = json.loads(out.read_text())["summary"]
    assert summary["photos"] == 3
    assert 0 <= summary["far_moved_mean"] <= summary["far_moved_p90"] + 1e-9 <= 1
    assert summary["click_error_mean"] < 20  # the anchoring puts the clicked colour there
    assert summary["psnr_10_hints_over_gray"] > 0


def test_evaluate_hints_can_try_other_anchoring_constants(photos, capsys):
    call_command("evaluate_hints", str(photos), "--model", "compact", "--anchoring", "none", "--no-ten-hints")
    assert "anchoring: None" in capsys.readouterr().out


def test_evaluate_model_takes_a_vividness_and_a_candidate_weight_file(photos, tmp_path, capsys):
    from research.checkpoints import checkpoint_path
    from research.training.prior import with_prior

    state = with_prior(torch.load(checkpoint_path(registry.get_spec("compact")), weights_only=True))
    chroma2 = (state["bin_centres"].float() * 110).pow(2).sum(1)
    state["log_prior"] = torch.log_softmax(-chroma2 / (2 * 30.0**2), dim=0).half()  # greys common, like photos
    candidate = tmp_path / "candidate.pt"
    torch.save(state, candidate)
    rows = {}
    for vividness in ("0", "1"):
        call_command(
            "evaluate_model",
            str(photos),
            "--model",
            "compact",
            "--weights",
            str(candidate),
            "--hints",
            "0",
            "--vividness",
            vividness,
            "--vividness-rule",
            "0,0.5",
        )
        printed = capsys.readouterr().out
        assert f"vividness {float(vividness)}" in printed
        rows[vividness] = float(
            next(line for line in printed.splitlines() if line.startswith("| 0 hints")).split("|")[4]
        )
    assert rows["1"] > rows["0"]  # colourfulness grows with vividness once there is a prior


def test_sweep_vividness_scores_each_strength_and_temperature(photos, capsys):
    call_command("sweep_vividness", str(photos), "--strengths", "0,0.5", "--temperatures", "1,0.5")
    printed = capsys.readouterr().out
    rows = [line for line in printed.splitlines() if line.startswith("| 0.") or line.startswith("| 1.")]
    assert len(rows) == 4
    assert "grayscale PSNR" in printed
    assert "truth colourfulness" in printed


def test_make_examples_writes_one_strip_per_photo(tmp_path):
    bw = SAMPLES.parent / "bw"
    if not bw.is_dir():
        pytest.skip(f"{bw} is missing")
    call_command("make_examples", "--out", str(tmp_path), "--side", "96")
    strips = sorted(p.name for p in tmp_path.glob("*.jpg"))
    assert "1908FamilyPhoto-hints.jpg" in strips
    assert "migrant_mother.jpg" in strips
    assert len(strips) == len(make_examples.PHOTOS) + 1 + len(
        make_examples.VARIANT_PHOTOS
    )  # + the hints, the colourings
    with Image.open(tmp_path / "migrant_mother.jpg") as strip:
        assert strip.width >= 2 * 96  # the grey photo and this checkout's colours


def test_evaluate_suggestions_reports_how_often_a_suggestion_holds_the_true_colour(photos, capsys):
    call_command("evaluate_suggestions", str(photos), "--model", "compact")
    out = capsys.readouterr().out
    assert "| cells | 768 |" in out  # 3 photos x 16 x 16 cells
    per_cell = float(out.split("suggestions per cell (mean) | ")[1].split(" ")[0])
    hit = float(out.split("within 10 ab of a suggestion | ")[1].split("%")[0])
    assert 1.0 <= per_cell <= 4.0
    assert 0.0 < hit <= 100.0
