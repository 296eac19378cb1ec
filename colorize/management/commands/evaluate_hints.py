import json
import tempfile
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from colorize import registry
from colorize.hints import Anchoring
from colorize.registry import default_model_name
from colorize.training.evaluate import photo_paths, use_vividness_rule, use_weights
from colorize.training.hint_locality import evaluate_hints, format_summary


class Command(BaseCommand):
    help = (
        "Measure how colour hints stay where they are put: one seeded random point with a random saturated "
        "colour per photo (far pixels moved, error at the click), plus the 10-hint PSNR."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", default=str(settings.BASE_DIR.parent / "shared" / "datasets" / "val"))
        parser.add_argument("--model", default=None, help="registry name; the default model if omitted")
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
        parser.add_argument("--max-side", type=int, default=None, help="shrink larger photos first (faster)")
        parser.add_argument("--vividness", type=float, default=None, help="the default vividness if omitted")
        parser.add_argument("--no-ten-hints", action="store_true", help="skip the 10-hint PSNR")
        parser.add_argument("--json", default=None, help="also write the summary and per-photo values here")
        parser.add_argument(
            "--photo-list",
            default=None,
            help="a JSON list of photo paths instead of FOLDER (e.g. var/training/holdout.json, "
            "the photos held out of training, for tuning)",
        )
        parser.add_argument(
            "--anchoring",
            default=None,
            help="try other anchoring constants: SIGMA,LIGHTNESS_COST,COLOUR_COST[,REACH_SIGMA]; 'none' for none",
        )

    def handle(self, *args, **options):
        model = options["model"] or default_model_name()
        if options["photo_list"]:
            paths = [Path(p) for p in json.loads(Path(options["photo_list"]).read_text())][: options["limit"]]
            source = options["photo_list"]
        else:
            paths, source = photo_paths(options["folder"], options["limit"]), options["folder"]
        if options["anchoring"]:
            anchoring = None
            if options["anchoring"] != "none":
                sigma, lightness, colour, *reach = (float(v) for v in options["anchoring"].split(","))
                anchoring = Anchoring(
                    spatial_sigma=sigma,
                    lightness_cost=lightness,
                    colour_cost=colour,
                    reach_sigma=reach[0] if reach else None,
                )
            registry.MODELS[str(model)] = replace(
                registry.get_spec(str(model)), anchoring=anchoring
            )  # this process only
            self.stdout.write(f"anchoring: {anchoring}")
        self.stdout.write(f"hints on {model}: {len(paths)} photos from {source}, seed {options['seed']}")
        with tempfile.TemporaryDirectory(prefix="evaluate-") as directory:
            if options["weights"]:
                use_weights(model, options["weights"], directory)
                self.stdout.write(f"weights: {options['weights']}")
            if options["vividness_rule"]:
                self.stdout.write(f"vividness rule: {use_vividness_rule(model, options['vividness_rule'])}")
            results, summary = evaluate_hints(
                paths,
                model,
                seed=options["seed"],
                max_side=options["max_side"],
                vividness=options["vividness"],
                ten_hints=not options["no_ten_hints"],
            )
        self.stdout.write(format_summary(summary, model))
        if options["json"]:
            with open(options["json"], "w") as handle:
                json.dump({"summary": summary, "photos": [vars(r) for r in results]}, handle, indent=1)
