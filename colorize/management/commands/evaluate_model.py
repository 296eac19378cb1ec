import tempfile

from django.conf import settings
from django.core.management.base import BaseCommand

from colorize.registry import default_model_name
from colorize.training.evaluate import evaluate, format_table, photo_paths, use_vividness_rule, use_weights


class Command(BaseCommand):
    help = "Colorize a folder of colour photos from their lightness and score the results against them."

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", default=str(settings.SHARED_DATA_DIR / "datasets" / "val"))
        parser.add_argument("--model", default=None, help="registry name; the default model if omitted")
        parser.add_argument("--hints", default="0,1,10,50", help="comma-separated hint counts")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--limit", type=int, default=None, help="only the first N photos")
        parser.add_argument(
            "--weights",
            default=None,
            help="evaluate this weight file (a PyTorch state_dict, e.g. a training candidate) as --model",
        )
        parser.add_argument(
            "--vividness-rule",
            default=None,
            help="try another vividness mapping: S0,S1 or S0,S1,T0,T1 (strength and temperature at 0 and 1)",
        )
        parser.add_argument("--vividness", type=float, default=None, help="the default vividness if omitted")
        parser.add_argument("--max-side", type=int, default=None, help="shrink larger photos first (faster)")

    def handle(self, *args, **options):
        model = options["model"] or default_model_name()
        counts = tuple(int(c) for c in options["hints"].split(","))
        paths = photo_paths(options["folder"], options["limit"])
        with tempfile.TemporaryDirectory(prefix="evaluate-") as directory:
            if options["weights"]:
                use_weights(model, options["weights"], directory)
                self.stdout.write(f"weights: {options['weights']}")
            if options["vividness_rule"]:
                self.stdout.write(f"vividness rule: {use_vividness_rule(model, options['vividness_rule'])}")
            vividness = options["vividness"]
            self.stdout.write(
                f"evaluating {model} on {len(paths)} photos from {options['folder']}, seed {options['seed']}, "
                f"vividness {settings.COLORIZE_DEFAULT_VIVIDNESS if vividness is None else vividness}"
            )
            results = evaluate(paths, model, counts, options["seed"], options["max_side"], vividness)
        self.stdout.write(format_table(results, model))
