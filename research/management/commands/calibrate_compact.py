from pathlib import Path

import torch
from django.core.management.base import BaseCommand

from colorize import site, weights
from colorize.registry import get_spec
from research.checkpoints import checkpoint_path
from research.management.arguments import add_training_data_arguments
from research.networks import build_network
from research.training.calibrate import choose_temperature, holdout_images, sweep
from research.training.prior import measure_log_prior, prior_photos, with_prior

TEMPERATURES = (0.2, 0.3, 0.38, 0.5, 0.7, 1.0, 1.3, 1.6, 2.0, 2.5)


class Command(BaseCommand):
    help = (
        "Measure the compact model's colour prior on training photos (for vividness) and pick its decoding "
        "temperature on the photos held out of training; store both in the weight file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--weights", default=str(checkpoint_path(get_spec("compact"))))
        parser.add_argument("--output", default=None, help="write the calibrated file here (default: in place)")
        add_training_data_arguments(
            parser,
            data_help="folder holding train/ (the prior is measured on its photos)",
            work_dir_help="holds holdout.json, the photos held out of training",
        )
        parser.add_argument("--prior-photos", type=int, default=1000, help="train/ photos to measure the prior on")
        parser.add_argument("--no-temperature", action="store_true", help="keep the file's temperature")
        parser.add_argument("--margin", type=float, default=0.25, help="allowed PSNR loss against grayscale, dB")
        parser.add_argument("--dry-run", action="store_true", help="print the measurements, change nothing")

    def handle(self, *args, **options):
        spec = get_spec("compact")
        state = torch.load(options["weights"], map_location="cpu", weights_only=True)
        state = with_prior(state)
        model = build_network(spec.name, state)
        model.load_state_dict(
            {key: value.float() if value.is_floating_point() else value for key, value in state.items()}
        )
        model.eval()

        paths = prior_photos(options["data"], options["work_dir"], options["prior_photos"])
        log_prior = measure_log_prior(model, paths, spec.input_size)
        model.log_prior.copy_(log_prior)
        state["log_prior"] = log_prior.to(state["log_prior"].dtype)
        top = torch.topk(log_prior.exp(), 5)
        centres = (model.bin_centres * 110).round().int().tolist()
        self.stdout.write(
            f"prior from {len(paths)} train/ photos; most likely bins (a, b: p): "
            + ", ".join(
                f"{centres[i][0]},{centres[i][1]}: {p:.3f}"
                for p, i in zip(top.values.tolist(), top.indices.tolist(), strict=False)
            )
        )

        if not options["no_temperature"]:
            images = holdout_images(options["work_dir"], 256)
            rows = sweep(model, images, TEMPERATURES, spec.input_size)
            for name, (quality, colour) in rows.items():
                self.stdout.write(f"{name!s:>10}  PSNR {quality:6.2f}  colourfulness {colour:5.1f}")
            chosen = choose_temperature(rows, options["margin"])
            self.stdout.write(f"chosen temperature: {chosen}")
            state["temperature"] = torch.tensor(chosen, dtype=state["temperature"].dtype)
        if options["dry_run"]:
            return
        output = Path(options["output"] or options["weights"])
        torch.save(state, output)
        self.stdout.write(self.style.SUCCESS(f"stored in {output}"))
        if output.resolve() == checkpoint_path(spec).resolve():
            runtime_file = site.weights_store().convert(spec, output, weights.sha256_of(output))
            self.stdout.write(f"re-exported {runtime_file}; put the new sha256 in the registry")
