from django.core.management.base import BaseCommand, CommandError

from research.management.arguments import add_photo_set_arguments, model_under_test
from research.training.evaluate import photo_paths
from research.training.suggestion_quality import format_summary, measure


class Command(BaseCommand):
    help = (
        "Measure the hint tool's suggested colours on a folder of colour photos (val/ by default): how many "
        "per cell, and how often the true colour of a cell is within 10 ab of one of them."
    )

    def add_arguments(self, parser):
        add_photo_set_arguments(parser, default_model="compact")
        parser.add_argument("--within", type=float, default=10.0, help="ab distance that counts as a hit")

    def handle(self, *args, **options):
        paths = photo_paths(options["folder"], options["limit"])
        if not paths:
            raise CommandError(f"No photos in {options['folder']}.")
        with model_under_test(options, self.stdout) as model:
            self.stdout.write(f"suggested colours of {model.name} on {len(paths)} photos from {options['folder']}")
            summary = measure(paths, model, within=options["within"], max_side=options["max_side"])
        self.stdout.write(format_summary(summary, model.name, options["within"]))
