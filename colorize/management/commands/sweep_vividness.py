import itertools
import tempfile

from django.conf import settings
from django.core.management.base import BaseCommand

from colorize.training.evaluate import photo_paths, use_weights
from colorize.training.vividness import format_rows, sweep


def numbers(text):
    return [float(value) for value in text.split(",")]


class Command(BaseCommand):
    help = (
        "Sweep a distribution model's decoding over prior-correction strengths and temperatures on a folder "
        "of colour photos (no hints): PSNR against grey and colourfulness against the truth, to choose the "
        "vividness mapping and its default (on val/)."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", default=str(settings.BASE_DIR.parent / "shared" / "datasets" / "val"))
        parser.add_argument("--model", default="compact")
        parser.add_argument(
            "--weights", default=None, help="a candidate weight file to sweep instead of the installed one"
        )
        parser.add_argument("--strengths", type=numbers, default=numbers("0,0.25,0.5,0.75,1"))
        parser.add_argument("--temperatures", type=numbers, default=numbers("1,0.7,0.5,0.38"))
        parser.add_argument("--limit", type=int, default=None, help="only the first N photos")
        parser.add_argument("--max-side", type=int, default=None, help="shrink larger photos first (faster)")

    def handle(self, *args, **options):
        paths = photo_paths(options["folder"], options["limit"])
        pairs = list(itertools.product(options["strengths"], options["temperatures"]))
        with tempfile.TemporaryDirectory(prefix="sweep-") as directory:
            if options["weights"]:
                use_weights(options["model"], options["weights"], directory)
            self.stdout.write(
                f"{options['model']} ({options['weights'] or 'installed'}) on {len(paths)} photos "
                f"from {options['folder']}, no hints"
            )
            rows = sweep(paths, options["model"], pairs, max_side=options["max_side"])
        self.stdout.write(format_rows(rows))
