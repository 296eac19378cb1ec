"""The options the measuring and training commands share, defined once.

The shared photo sets are found through ``settings.SHARED_DATA_DIR`` (``COLORSITE_SHARED_DIR``),
never a hard-coded ``../shared``.
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser, OutputWrapper

from colorize import site
from colorize.runtime import Model
from research.training.evaluate import with_smoothing, with_vividness_rule, with_weights


def shared_datasets(name: str = "") -> str:
    return str(settings.SHARED_DATA_DIR / "datasets" / name)


def add_photo_set_arguments(parser: CommandParser, *, default_model: str | None = None) -> None:
    """A folder of colour photos (val/ by default), the model to run on it, and a candidate
    weight file to run instead of the installed one."""
    parser.add_argument("folder", nargs="?", default=shared_datasets("val"))
    parser.add_argument("--model", default=default_model, help="registry name; the default model if omitted")
    parser.add_argument("--limit", type=int, default=None, help="only the first N photos")
    parser.add_argument("--max-side", type=int, default=None, help="shrink larger photos first (faster)")
    parser.add_argument(
        "--weights",
        default=None,
        help="run this weight file (a PyTorch state_dict, e.g. a training candidate) as --model",
    )


def add_vividness_arguments(parser: CommandParser) -> None:
    parser.add_argument("--vividness", type=float, default=None, help="the default vividness if omitted")
    parser.add_argument(
        "--vividness-rule",
        default=None,
        help="try another vividness mapping: S0,S1 or S0,S1,T0,T1 (strength and temperature at 0 and 1)",
    )
    parser.add_argument(
        "--smoothing", type=float, default=None, help="try blurring the scores over this many grid cells (sigma)"
    )


@contextmanager
def model_under_test(options: dict[str, Any], stdout: OutputWrapper) -> Iterator[Model]:
    """The model to run, with ``--weights``, ``--vividness-rule`` and ``--smoothing`` applied
    (a converted candidate lives in a temporary folder while the block runs); a ``--vividness``
    left out becomes the site's default."""
    name = options["model"] or site.default_model_name()
    if not name:
        raise CommandError("No model is installed: run `python manage.py fetch_weights` first.")
    if "vividness" in options and options["vividness"] is None:
        options["vividness"] = site.default_vividness()
    model = site.model(name)
    with tempfile.TemporaryDirectory(prefix="evaluate-") as directory:
        if options["weights"]:
            model = with_weights(model, options["weights"], Path(directory))
            stdout.write(f"weights: {options['weights']}")
        if options.get("vividness_rule"):
            model = with_vividness_rule(model, options["vividness_rule"])
            stdout.write(f"vividness rule: {model.spec.vividness}")
        if options.get("smoothing") is not None:
            model = with_smoothing(model, options["smoothing"])
            stdout.write(f"vividness rule: {model.spec.vividness}")
        yield model


def add_training_data_arguments(parser: CommandParser, *, data_help: str, work_dir_help: str) -> None:
    parser.add_argument("--data", default=shared_datasets(), help=data_help)
    parser.add_argument("--work-dir", default=str(settings.DATA_DIR / "training"), help=work_dir_help)
