import itertools

from django.core.management.base import BaseCommand

from research.management.arguments import add_photo_set_arguments, model_under_test
from research.training.evaluate import photo_paths
from research.training.vividness import format_rows, sweep


def numbers(text):
    return [float(value) for value in text.split(",")]


class Command(BaseCommand):
    help = (
        "Sweep a distribution model's decoding over prior-correction strengths and temperatures on a folder "
        "of colour photos (no hints): PSNR against grey and colourfulness against the truth, to choose the "
        "vividness mapping and its default (on val/)."
    )

    def add_arguments(self, parser):
        add_photo_set_arguments(parser, default_model="compact")
        parser.add_argument("--strengths", type=numbers, default=numbers("0,0.25,0.5,0.75,1"))
        parser.add_argument("--temperatures", type=numbers, default=numbers("1,0.7,0.5,0.38"))

    def handle(self, *args, **options):
        paths = photo_paths(options["folder"], options["limit"])
        pairs = list(itertools.product(options["strengths"], options["temperatures"]))
        with model_under_test(options, self.stdout) as model:
            self.stdout.write(
                f"{model.name} ({options['weights'] or 'installed'}) on {len(paths)} photos "
                f"from {options['folder']}, no hints"
            )
            rows = sweep(paths, model, pairs, max_side=options["max_side"])
        self.stdout.write(format_rows(rows))
