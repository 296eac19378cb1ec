"""python manage.py colorize INPUT [INPUT ...] --out-dir DIR [--model NAME] [--hints FILE] [--vividness V] [--format png|jpg]

Writes DIR/<input stem>.<format> at the input's full size for each input, prints one line per
file, carries on past a bad file and exits non-zero if any failed.
"""

import argparse
import json
import math
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from colorize import imaging, pipeline, registry, runtime
from colorize.errors import BadHints, ColorizeError
from colorize.hints import parse_hints


def read_hints(path):
    """{"<input file name>": [{"x": 120, "y": 48, "color": "#a0522d"}, ...]} -> {name: [Hint]}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"cannot read the hints file {path}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise CommandError(f"the hints file {path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise CommandError(
            f'the hints file {path} must hold an object: {{"photo.jpg": [{{"x": 1, "y": 2, "color": "#a0522d"}}]}}'
        )
    try:
        return {name: parse_hints(points) for name, points in data.items()}
    except BadHints as error:
        raise CommandError(f"bad hints in {path}: {error} ({error.user_message})") from None


def vividness(text):
    """argparse type: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text!r}")
    return value


class Command(BaseCommand):
    help = "Colorize photos from the command line with one of the installed models."

    def add_arguments(self, parser):
        parser.add_argument("inputs", nargs="+", metavar="INPUT", help="photo files")
        parser.add_argument("--out-dir", required=True, help="where DIR/<input stem>.<format> is written")
        parser.add_argument(
            "--model", default=None, help=f"one of {', '.join(registry.MODELS)}; the default model if omitted"
        )
        parser.add_argument(
            "--hints",
            default=None,
            metavar="FILE",
            help='JSON: {"photo.jpg": [{"x": 120, "y": 48, "color": "#a0522d"}]}',
        )
        parser.add_argument(
            "--vividness",
            type=vividness,
            default=None,
            metavar="V",
            help=f"0 (the most conservative colours) to 1 (the most vivid); default {settings.COLORIZE_DEFAULT_VIVIDNESS}",
        )
        parser.add_argument("--format", default="png", choices=("png", "jpg", "jpeg"), help="output format (png)")

    def handle(self, *args, **options):
        try:
            spec = pipeline.resolve_model(options["model"])
            runtime.load(spec)
        except ColorizeError as error:
            raise CommandError(str(error)) from None
        hints = read_hints(options["hints"]) if options["hints"] else {}
        if any(hints.values()) and not spec.takes_hints:
            raise CommandError(f"the model {spec.name!r} does not take colour hints; choose one with --model that does")
        out_dir = Path(options["out_dir"])
        out_dir.mkdir(parents=True, exist_ok=True)
        extension = "jpg" if options["format"] in ("jpg", "jpeg") else "png"
        provenance = imaging.provenance_xmp(spec.name)  # every result says it was colorized by a machine
        failed = 0
        for name in options["inputs"]:
            source = Path(name)
            target = out_dir / f"{source.stem}.{extension}"
            started = time.perf_counter()
            try:
                image = imaging.load_image(source, keep_gray=True)
                result = pipeline.colorize(
                    image, model=spec.name, hints=hints.get(source.name, ()), vividness=options["vividness"]
                )
                data = imaging.encode_image(result, extension, xmp=provenance)
                partial = target.with_name(f".{target.name}.part")
                partial.write_bytes(data)
                partial.replace(target)
            except (ColorizeError, ValueError, OSError) as error:
                failed += 1
                reason = error.user_message if isinstance(error, ColorizeError) else str(error)
                self.stdout.write(f"FAILED {source}: {reason}")
                continue
            except Exception as error:  # one bad file must not stop the others
                failed += 1
                self.stdout.write(f"FAILED {source}: unexpected {error.__class__.__name__}: {error}")
                continue
            seconds = time.perf_counter() - started
            self.stdout.write(f"ok {source} -> {target} ({result.width}x{result.height}, {spec.name}, {seconds:.2f} s)")
        if failed:
            raise CommandError(f"{failed} of {len(options['inputs'])} files failed")
