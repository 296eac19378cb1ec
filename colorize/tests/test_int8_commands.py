"""fetch_weights makes and checks int8 graphs; `manage.py models` shows what runs and why."""

import pytest
from django.core.management import call_command

from colorize import registry, site
from research.testing import int8_report

COMPACT = registry.get_spec("compact")


@pytest.fixture
def int8_on(settings, tmp_path):
    settings.COLORIZE_WEIGHTS_DIR = tmp_path / "weights"
    settings.COLORIZE_INT8 = True
    return site.weights_store()


def test_fetch_weights_checks_the_bundled_models_int8_graph_in_the_weights_folder(int8_on, capsys):
    call_command("fetch_weights", "compact", verbosity=0)
    choice = site.precision(COMPACT)
    assert choice.report is not None
    assert int8_on.int8_report_path(COMPACT).parent == int8_on.directory  # never into the code's folder
    assert f"compact: runs {choice.precision}: {choice.reason}" in capsys.readouterr().out


def test_fetch_weights_does_not_check_again_what_it_checked_for_this_graph(int8_on, capsys):
    call_command("fetch_weights", "compact", verbosity=0)
    made = int8_on.int8_report_path(COMPACT).read_text()
    call_command("fetch_weights", "compact", verbosity=0)
    assert int8_on.int8_report_path(COMPACT).read_text() == made
    assert "compact: int8 self-check already made here" in capsys.readouterr().out


@pytest.mark.parametrize("switched_off", ["--no-int8", "COLORIZE_INT8"])
def test_switched_off_fetch_weights_makes_no_int8_graph(int8_on, settings, switched_off):
    if switched_off == "COLORIZE_INT8":
        settings.COLORIZE_INT8 = False
    call_command("fetch_weights", "compact", *([switched_off] if switched_off.startswith("--") else []), verbosity=0)
    assert not int8_on.int8_report_path(COMPACT).exists()


def test_an_int8_graph_that_cannot_be_made_never_fails_the_install(int8_on, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("quantiser exploded")

    monkeypatch.setattr(type(int8_on), "make_int8", broken)
    call_command("fetch_weights", "compact", verbosity=0)
    assert "compact: no int8 graph (RuntimeError: quantiser exploded); float32 stays" in capsys.readouterr().err


def test_models_lists_what_each_model_runs_with_its_self_checks_numbers(int8_on, capsys):
    int8_report(int8_on, COMPACT, mean_ab=0.42, p99_ab=1.5, psnr_db=47.3)
    call_command("models")
    out = capsys.readouterr().out
    assert "compact: installed; runs int8: its int8 graph passed the self-check: worst check photo: mean 0.42 ab" in out
    assert "  chelsea              0     0.42     1.50   47.3 dB" in out
    assert "eccv16: not installed (fetch its weights with: python manage.py fetch_weights eccv16)" in out
    assert "int8 is used only where, on every check photo, the mean ab difference is at most 2" in out
