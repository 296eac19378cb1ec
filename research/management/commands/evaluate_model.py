from django.core.management.base import BaseCommand

from research.management.arguments import add_photo_set_arguments, add_vividness_arguments, model_under_test
from research.training.evaluate import evaluate, format_table, photo_paths


class Command(BaseCommand):
    help = "Colorize a folder of colour photos from their lightness and score the results against them."

    def add_arguments(self, parser):
        add_photo_set_arguments(parser)
        add_vividness_arguments(parser)
        parser.add_argument("--hints", default="0,1,10,50", help="comma-separated hint counts")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options):
        counts = tuple(int(c) for c in options["hints"].split(","))
        paths = photo_paths(options["folder"], options["limit"])
        with model_under_test(options, self.stdout) as model:
            vividness = options["vividness"]
            self.stdout.write(
                f"evaluating {model.name} on {len(paths)} photos from {options['folder']}, seed {options['seed']}, "
                f"vividness {vividness}"
            )
            results = evaluate(paths, model, counts, options["seed"], options["max_side"], vividness)
        self.stdout.write(format_table(results, model))
