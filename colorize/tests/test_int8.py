"""int8 graphs made at install and used only where they passed their self-check against
float32 (colorize.int8): real quantisation of a real network (ECCV16, seeded random weights)."""

import dataclasses
import json
import shutil

import pytest
from PIL import Image

from colorize import int8, pipeline, registry, weights
from research.testing import install_seeded, int8_report, measured_state_dict

ECCV16 = registry.get_spec("eccv16")
SHIPPED = int8.Photos.shipped()
# Fewer photos than an install uses, for time: calibration on three, the check on two.
FEW = int8.Photos(calibration=SHIPPED.calibration[:3], check=SHIPPED.check[:2])


@pytest.fixture(scope="module")
def live_state():
    """ECCV16 with its BatchNorm statistics measured on photos: precision matters as with the
    authors' weights (plain random statistics leave a network that barely sees its input)."""
    return measured_state_dict("eccv16", [Image.open(path) for path in SHIPPED.calibration])


@pytest.fixture(scope="module")
def store(tmp_path_factory, live_state):
    directory = tmp_path_factory.mktemp("int8-weights")
    install_seeded(ECCV16, directory, state=live_state)
    return weights.Store(directory)


@pytest.fixture(scope="module")
def report(store):
    return store.make_int8(ECCV16, photos=FEW)


@pytest.fixture
def any_cpu(monkeypatch):
    """Judge fidelity alone: whether int8 is faster depends on the machine the suite runs on."""
    monkeypatch.setattr(int8, "THRESHOLDS", dataclasses.replace(int8.THRESHOLDS, speedup=0.0))


def test_the_shipped_photos_split_into_calibration_and_check_photos_that_never_overlap():
    calibration = {path.stem for path in SHIPPED.calibration}
    check = {path.stem for path in SHIPPED.check}
    assert len(calibration) >= 6
    assert len(check) >= 4
    assert not calibration & check
    assert all(Image.open(path).mode == "L" for path in SHIPPED.calibration + SHIPPED.check)


def test_the_self_check_compares_the_pictures_of_every_check_photo(report):
    assert [photo.photo for photo in report.photos] == ["chelsea", "clock_motion"]
    assert report.calibration_photos == ["astronaut", "brick", "camera"]
    assert report.float_ms > 0
    assert report.int8_ms > 0


def test_an_int8_graph_within_the_thresholds_runs_in_place_of_float32(store, report, any_cpu):
    assert report.problems() == []
    worst = report.worst()
    assert worst["mean_ab"] <= 2.0
    assert worst["p99_ab"] <= 10.0
    assert worst["psnr_db"] >= 40.0
    model = store.model(ECCV16, int8_allowed=True)
    assert (model.precision, model.path) == ("int8", store.int8_path(ECCV16))
    assert pipeline.colorize(Image.open(SHIPPED.check[0]), model).mode == "RGB"


def test_switched_off_it_runs_float32(store, report, any_cpu):
    choice = store.precision(ECCV16, int8_allowed=False)
    assert (choice.precision, choice.reason) == ("float32", "int8 is switched off (COLORIZE_INT8)")
    assert store.model(ECCV16).precision == "float32"


def test_a_broken_calibration_fails_the_self_check_and_its_graph_is_not_kept(
    tmp_path, live_state, any_cpu, monkeypatch
):
    """Calibrated on the lightness in Lab units instead of normalised (the bug a changed
    preprocessing would bring), every activation range is far too wide for a real photo."""
    calibration_feeds = int8.calibration_feeds

    def unnormalised(spec, photos):
        for feeds in calibration_feeds(spec, photos):
            yield {**feeds, "l_norm": feeds["l_norm"] * pipeline.L_SCALE}

    monkeypatch.setattr(int8, "calibration_feeds", unnormalised)
    store = weights.Store(tmp_path)
    install_seeded(ECCV16, tmp_path, state=live_state)
    report = store.make_int8(ECCV16, photos=FEW)
    assert report.worst()["mean_ab"] > 5.0
    assert not store.int8_path(ECCV16).exists()
    choice = store.precision(ECCV16)
    assert choice.precision == "float32"
    assert choice.reason.startswith("its int8 graph failed the self-check: ")
    assert " mean " in choice.reason
    assert store.model(ECCV16, int8_allowed=True).path == store.runtime_path(ECCV16)


def test_an_int8_graph_made_from_another_float32_graph_is_not_used(tmp_path, store, report, any_cpu):
    other = weights.Store(tmp_path)
    install_seeded(ECCV16, tmp_path, seed=1)
    shutil.copyfile(store.int8_path(ECCV16), other.int8_path(ECCV16))
    shutil.copyfile(store.int8_report_path(ECCV16), other.int8_report_path(ECCV16))
    choice = other.precision(ECCV16)
    assert choice.precision == "float32"
    assert "made from another float32 graph; run fetch_weights eccv16 again" in choice.reason
    assert not other.int8_is_current(ECCV16)


def test_an_int8_graph_made_on_another_cpu_is_not_used(store, report, any_cpu, monkeypatch):
    monkeypatch.setattr("colorize.cpu.description", lambda: "Another CPU (AVX2)")
    choice = store.precision(ECCV16)
    assert choice.precision == "float32"
    assert "made on another CPU" in choice.reason


@pytest.fixture
def store_here(tmp_path):
    """ECCV16 (seeded weights) installed in a folder of this test's own."""
    install_seeded(ECCV16, tmp_path)
    return weights.Store(tmp_path)


def test_where_int8_is_no_faster_float32_stays(store_here):
    int8_report(store_here, ECCV16, float_ms=100.0, int8_ms=95.0)
    choice = store_here.precision(ECCV16)
    assert choice.precision == "float32"
    assert "not faster on this CPU: 100 ms float32, 95 ms int8 (1.05x, needs 1.2x)" in choice.reason


def test_a_damaged_report_counts_as_no_self_check(store_here):
    store_here.int8_report_path(ECCV16).write_text("{not json")
    choice = store_here.precision(ECCV16)
    assert (choice.precision, choice.report) == ("float32", None)
    assert not store_here.int8_is_current(ECCV16)


@pytest.mark.parametrize(("field", "value"), [("float_ms", "fast"), ("int8_ms", None), ("photos", [{"photo": 1}])])
def test_a_report_with_a_wrong_typed_value_is_no_report_with_a_warning(store_here, field, value, caplog):
    """Issue #34: a string where a number belongs raised TypeError when the report was judged
    (every sweep, through the worker's models report), not when it was read."""
    int8_report(store_here, ECCV16)
    path = store_here.int8_report_path(ECCV16)
    path.write_text(json.dumps({**json.loads(path.read_text()), field: value}))
    choice = store_here.precision(ECCV16)
    assert (choice.precision, choice.report) == ("float32", None)
    assert "treated as no report" in caplog.text


def test_a_report_made_by_another_onnx_runtime_is_not_used(store_here, monkeypatch):
    int8_report(store_here, ECCV16)
    monkeypatch.setattr(int8, "onnxruntime_version", lambda: "9.9.9")
    choice = store_here.precision(ECCV16)
    assert choice.precision == "float32"
    assert "with ONNX Runtime" in choice.reason
    assert "not 9.9.9" in choice.reason


def test_a_passing_report_whose_graph_is_missing_runs_float32_and_is_made_again(store_here):
    int8_report(store_here, ECCV16, graph=False)
    choice = store_here.precision(ECCV16)
    assert choice.precision == "float32"
    assert choice.reason == "its int8 graph is missing; run fetch_weights eccv16 --force again"
    assert not store_here.int8_is_current(ECCV16)


def test_an_int8_graph_other_than_the_one_checked_is_not_used(store_here):
    int8_report(store_here, ECCV16)
    store_here.int8_path(ECCV16).write_bytes(b"another graph")
    assert store_here.precision(ECCV16).reason.startswith("its int8 graph is not the one checked")
    assert store_here.model(ECCV16, int8_allowed=True).precision == "float32"


def test_a_failed_self_check_takes_away_the_graph_an_earlier_one_passed(store_here, monkeypatch):
    int8_report(store_here, ECCV16)
    monkeypatch.setattr(int8, "THRESHOLDS", dataclasses.replace(int8.THRESHOLDS, psnr_db=200.0))
    report = store_here.make_int8(ECCV16, photos=int8.Photos(SHIPPED.calibration[:1], SHIPPED.check[:1]))
    assert report.problems()
    assert not store_here.int8_path(ECCV16).exists()
    assert store_here.int8_report(ECCV16) == report


def test_identical_pictures_differ_by_nothing():
    picture = Image.new("RGB", (8, 8), (120, 80, 40))
    assert int8.picture_difference(picture, picture) == (0.0, 0.0, 99.0)
