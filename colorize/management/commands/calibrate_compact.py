from pathlib import Path

import torch
from django.conf import settings
from django.core.management.base import BaseCommand

from colorize import weights
from colorize.networks import build_network
from colorize.registry import get_spec
from colorize.training.calibrate import choose_temperature, holdout_images, sweep

TEMPERATURES = (0.2, 0.3, 0.38, 0.5, 0.7, 1.0, 1.3, 1.6, 2.0, 2.5)


class Command(BaseCommand):
    help = "Pick the compact model's decoding temperature on the photos held out of training, and store it."

    def add_arguments(self, parser):
        parser.add_argument("--weights", default=str(weights.source_path(get_spec("compact"))))
        parser.add_argument("--work-dir", default=str(settings.DATA_DIR / "training"))
        parser.add_argument("--margin", type=float, default=0.25, help="allowed PSNR loss against grayscale, dB")
        parser.add_argument("--dry-run", action="store_true", help="print the sweep, change nothing")

    def handle(self, *args, **options):
        spec = get_spec("compact")
        model = build_network(spec.name)
        state = torch.load(options["weights"], map_location="cpu", weights_only=True)
        model.load_state_dict(
            {key: value.float() if value.is_floating_point() else value for key, value in state.items()}
        )
        model.eval()
        images = holdout_images(options["work_dir"], 256)
        rows = sweep(model, images, TEMPERATURES, spec.input_size)
        for name, (quality, colour) in rows.items():
            self.stdout.write(f"{name!s:>10}  PSNR {quality:6.2f}  colourfulness {colour:5.1f}")
        chosen = choose_temperature(rows, options["margin"])
        self.stdout.write(f"chosen temperature: {chosen}")
        if not options["dry_run"]:
            state["temperature"] = torch.tensor(chosen, dtype=state["temperature"].dtype)
            torch.save(state, options["weights"])
            self.stdout.write(self.style.SUCCESS(f"stored in {options['weights']}"))
            if Path(options["weights"]).resolve() == weights.source_path(spec).resolve():
                runtime_file = weights.convert(spec, weights.source_path(spec), weights.sha256_of(options["weights"]))
                self.stdout.write(f"re-exported {runtime_file}; put the new sha256 in the registry")
