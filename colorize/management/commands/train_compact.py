import logging

from django.conf import settings
from django.core.management.base import BaseCommand

from colorize import weights
from colorize.registry import get_spec
from colorize.training.train import TrainingConfig, export_weights, train


class Command(BaseCommand):
    help = "Train the compact colorizer from the shared photo sets (seeded, checkpointed, resumable)."

    def add_arguments(self, parser):
        defaults = TrainingConfig(dataset_root="", work_dir="", output="")
        parser.add_argument(
            "--data", default=str(settings.SHARED_DATA_DIR / "datasets"), help="folder holding train/ and train-extra/"
        )
        parser.add_argument(
            "--work-dir",
            default=str(settings.DATA_DIR / "training"),
            help="where the photo cache and the checkpoint live; rerun to resume",
        )
        parser.add_argument("--output", default=str(weights.source_path(get_spec("compact"))))
        parser.add_argument("--steps", type=int, default=defaults.steps)
        parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--threads", type=int, default=defaults.threads)

    def handle(self, *args, **options):
        logging.getLogger("colorize").setLevel(logging.INFO)
        config = TrainingConfig(
            dataset_root=options["data"],
            work_dir=options["work_dir"],
            output=options["output"],
            steps=options["steps"],
            batch_size=options["batch_size"],
            seed=options["seed"],
            threads=options["threads"],
        )
        model = train(config)
        export_weights(model, config.output)
        self.stdout.write(self.style.SUCCESS(f"saved {config.output}"))
