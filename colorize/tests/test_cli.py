"""The colorize command: a contract other tools rely on."""

import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from research.testing import photo


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    photo(60, 40).convert("L").save(folder / "street.jpg", quality=95)
    photo(30, 50, seed=1).save(folder / "portrait.png")
    (folder / "notes.jpg").write_bytes(b"this is not a photo")
    return folder


def test_writes_each_photo_at_full_size_and_reports_each_file(engine_weights, photos, tmp_path, capsys):
    out = tmp_path / "out"
    call_command(
        "colorize", str(photos / "street.jpg"), str(photos / "portrait.png"), "--out-dir", str(out), "--model", "eccv16"
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith("ok ") for line in lines)
    assert Image.open(out / "street.png").size == (60, 40)
    assert Image.open(out / "portrait.png").size == (30, 50)
    assert Image.open(out / "street.png").format == "PNG"


def test_jpg_format(engine_weights, photos, tmp_path):
    call_command("colorize", str(photos / "street.jpg"), "--out-dir", str(tmp_path / "out"), "--format", "jpg")
    written = Image.open(tmp_path / "out" / "street.jpg")
    assert written.format == "JPEG"
    assert written.size == (60, 40)


def test_carries_on_past_a_bad_file_and_fails_at_the_end(engine_weights, photos, tmp_path, capsys):
    out = tmp_path / "out"
    inputs = [photos / "notes.jpg", photos / "missing.png", photos / "street.jpg"]
    with pytest.raises(CommandError, match="2 of 3 files failed"):
        call_command("colorize", *map(str, inputs), "--out-dir", str(out), "--model", "eccv16")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("FAILED")
    assert "not an image" in lines[0]
    assert lines[1].startswith("FAILED")
    assert "missing.png" in lines[1]
    assert lines[2].startswith("ok ")
    assert sorted(p.name for p in out.iterdir()) == ["street.png"]


def test_hints_file_is_applied_to_its_photo(engine_weights, photos, tmp_path):
    hints = tmp_path / "hints.json"
    hints.write_text(json.dumps({"street.jpg": [{"x": 15, "y": 10, "color": "#2040ff"}]}))
    call_command("colorize", str(photos / "street.jpg"), "--out-dir", str(tmp_path / "plain"), "--model", "siggraph17")
    call_command(
        "colorize",
        str(photos / "street.jpg"),
        "--out-dir",
        str(tmp_path / "hinted"),
        "--model",
        "siggraph17",
        "--hints",
        str(hints),
    )
    plain = np.asarray(Image.open(tmp_path / "plain" / "street.png")).astype(int)
    hinted = np.asarray(Image.open(tmp_path / "hinted" / "street.png")).astype(int)
    assert np.abs(hinted - plain)[5:15, 10:20].mean() > np.abs(hinted - plain)[30:, 45:].mean()
    assert not np.array_equal(plain, hinted)


def test_vividness_is_passed_to_the_model(engine_weights, photos, tmp_path):
    outputs = {}
    for value in ("0", "1"):
        call_command(
            "colorize",
            str(photos / "street.jpg"),
            "--out-dir",
            str(tmp_path / value),
            "--model",
            "eccv16",
            "--vividness",
            value,
        )
        outputs[value] = np.asarray(Image.open(tmp_path / value / "street.png")).astype(int)
    assert not np.array_equal(outputs["0"], outputs["1"])


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan", "vivid"])
def test_a_vividness_outside_0_to_1_is_refused(engine_weights, photos, tmp_path, value):
    with pytest.raises(CommandError, match="vividness.*from 0 to 1"):
        call_command("colorize", str(photos / "street.jpg"), "--out-dir", str(tmp_path), "--vividness", value)


def colorize_street_with_hints(photos, out_dir, model, hints_file):
    call_command(
        "colorize", str(photos / "street.jpg"), "--out-dir", str(out_dir), "--model", model, "--hints", str(hints_file)
    )


def test_bad_hints_file_is_a_clear_error(engine_weights, photos, tmp_path):
    hints = tmp_path / "hints.json"
    hints.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        colorize_street_with_hints(photos, tmp_path, "siggraph17", hints)


def test_hints_for_a_model_without_hints_are_refused(engine_weights, photos, tmp_path):
    hints = tmp_path / "hints.json"
    hints.write_text(json.dumps({"street.jpg": [{"x": 1, "y": 1, "color": "#a0522d"}]}))
    with pytest.raises(CommandError, match="does not take colour hints"):
        colorize_street_with_hints(photos, tmp_path, "eccv16", hints)


def test_says_clearly_when_no_model_is_installed(no_weights, photos, tmp_path):
    with pytest.raises(CommandError, match="No colorization model is installed.*fetch_weights"):
        call_command("colorize", str(photos / "street.jpg"), "--out-dir", str(tmp_path / "out"))


def test_says_clearly_when_the_chosen_model_is_not_installed(no_weights, photos, tmp_path):
    with pytest.raises(CommandError, match="not installed.*fetch_weights siggraph17"):
        call_command(
            "colorize", str(photos / "street.jpg"), "--out-dir", str(tmp_path / "out"), "--model", "siggraph17"
        )
