import json
from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand

from colorize.anchoring import Anchoring
from research.management.arguments import add_photo_set_arguments, add_vividness_arguments, model_under_test
from research.training.evaluate import photo_paths
from research.training.hint_locality import evaluate_hints, format_summary


class Command(BaseCommand):
    help = (
        "Measure how colour hints stay where they are put: one seeded random point with a random saturated "
        "colour per photo (far pixels moved, error at the click), plus the 10-hint PSNR."
    )

    def add_arguments(self, parser):
        add_photo_set_arguments(parser)
        add_vividness_arguments(parser)
        parser.add_argument("--seed", type=int, default=0)
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
            help="try other anchoring constants: SIGMA,LIGHTNESS_COST,COLOUR_COST[,REACH_SIGMA[,CALM_SIGMA]] "
            "(a REACH_SIGMA of 0: everywhere); 'none' for none",
        )

    def handle(self, *args, **options):
        if options["photo_list"]:
            paths = [Path(p) for p in json.loads(Path(options["photo_list"]).read_text())][: options["limit"]]
            source = options["photo_list"]
        else:
            paths, source = photo_paths(options["folder"], options["limit"]), options["folder"]
        with model_under_test(options, self.stdout) as model:
            if options["anchoring"]:
                anchoring = parse_anchoring(options["anchoring"])
                model = replace(model, spec=replace(model.spec, anchoring=anchoring))
                self.stdout.write(f"anchoring: {anchoring}")
            self.stdout.write(f"hints on {model.name}: {len(paths)} photos from {source}, seed {options['seed']}")
            results, summary = evaluate_hints(
                paths,
                model,
                seed=options["seed"],
                max_side=options["max_side"],
                vividness=options["vividness"],
                ten_hints=not options["no_ten_hints"],
            )
        self.stdout.write(format_summary(summary, model.name))
        if options["json"]:
            with open(options["json"], "w") as handle:
                json.dump({"summary": summary, "photos": [vars(r) for r in results]}, handle, indent=1)


def parse_anchoring(text: str) -> Anchoring | None:
    """'SIGMA,LIGHTNESS_COST,COLOUR_COST[,REACH_SIGMA[,CALM_SIGMA]]' (a REACH_SIGMA of 0:
    everywhere), or 'none' for no anchoring."""
    if text == "none":
        return None
    sigma, lightness, colour, *more = (float(v) for v in text.split(","))
    return Anchoring(
        spatial_sigma=sigma,
        lightness_cost=lightness,
        colour_cost=colour,
        reach_sigma=more[0] if more and more[0] > 0 else None,
        calm_sigma=more[1] if len(more) > 1 else Anchoring.calm_sigma,
    )
