"""python manage.py colorize INPUT [INPUT ...] --out-dir DIR [--model NAME] [--hints FILE] [--vividness V] [--format png|jpg]

Writes DIR/<input stem>.<format> at the input's full size for each input, prints one line per
file, carries on past a bad file and exits non-zero if any failed.
"""

import argparse
import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from colorize import decoding, imaging, pipeline, registry, runtime, site
from colorize.errors import BadHints, ColorizeError
from colorize.hints import Hint, parse_hints


def read_hints(path: str) -> dict[str, tuple[Hint, ...]]:
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
        return {name: parse_hints(points, max_hints=site.max_hints()) for name, points in data.items()}
    except BadHints as error:
        raise CommandError(f"bad hints in {path}: {error} ({error.user_message})") from None


def vividness(text: str) -> float:
    """argparse type: a vividness (decoding.check_vividness)."""
    try:
        return decoding.check_vividness(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class Command(BaseCommand):
    help = "Colorize photos from the command line with one of the installed models."

    def add_arguments(self, parser: CommandParser) -> None:
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
            help=f"0 (the most conservative colours) to 1 (the most vivid); default {site.default_vividness()}",
        )
        parser.add_argument("--format", default="png", choices=("png", "jpg", "jpeg"), help="output format (png)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            model = site.model(options["model"])
            runtime.load(model)
        except ColorizeError as error:
            raise CommandError(str(error)) from None
        hints = read_hints(options["hints"]) if options["hints"] else {}
        spec = model.spec
        if any(hints.values()) and not spec.takes_hints:
            raise CommandError(f"the model {spec.name!r} does not take colour hints; choose one with --model that does")
        out_dir = Path(options["out_dir"])
        out_dir.mkdir(parents=True, exist_ok=True)
        extension = "jpg" if options["format"] in ("jpg", "jpeg") else "png"
        provenance = imaging.provenance_xmp(spec.name)  # every result says it was colorized by a machine
        vividness = site.default_vividness() if options["vividness"] is None else options["vividness"]
        failed = 0
        for name in options["inputs"]:
            source = Path(name)
            target = out_dir / f"{source.stem}.{extension}"
            started = time.perf_counter()
            try:
                image = site.load_upload(source, keep_gray=True)
                result = pipeline.colorize(image, model, hints=hints.get(source.name, ()), vividness=vividness)
                data = imaging.encode_image(result, extension, xmp=provenance)
                partial = target.with_name(f".{target.name}.part")
                partial.write_bytes(data)
                partial.replace(target)
            except (ColorizeError, ValueError, OSError) as error:
                failed += 1
                reason = error.user_message if isinstance(error, ColorizeError) else str(error)
                self.stdout.write(f"FAILED {source}: {reason}")
                continue
            except Exception as error:  # noqa: BLE001  (one bad file must not stop the others; it is reported)
                failed += 1
                self.stdout.write(f"FAILED {source}: unexpected {error.__class__.__name__}: {error}")
                continue
            seconds = time.perf_counter() - started
            self.stdout.write(f"ok {source} -> {target} ({result.width}x{result.height}, {spec.name}, {seconds:.2f} s)")
        if failed:
            raise CommandError(f"{failed} of {len(options['inputs'])} files failed")
