import logging

from django.core.management.base import BaseCommand

from research.checkpoints import CHECKPOINTS_DIR
from research.management.arguments import add_training_data_arguments
from research.training.lite import LiteConfig, cache_features, train_decoder


class Command(BaseCommand):
    help = (
        "Train the lite0 model's decoder on the frozen EfficientNet-Lite0's features, cached once per photo "
        "(seeded, checkpointed, resumable: rerun the same command to go on)."
    )

    def add_arguments(self, parser):
        defaults = LiteConfig(dataset_root="", work_dir="", output="")
        add_training_data_arguments(
            parser,
            data_help="folder holding train/ and train-extra/",
            work_dir_help="where the photo and feature caches and the checkpoint live; rerun to resume",
        )
        parser.add_argument("--output", default=str(CHECKPOINTS_DIR / "lite0-decoder-v1.pt"))
        parser.add_argument("--steps", type=int, default=defaults.steps)
        parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
        parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--threads", type=int, default=defaults.threads)
        parser.add_argument("--size", type=int, default=defaults.size, help="the side the photos are encoded at")
        parser.add_argument("--limit", type=int, default=defaults.limit, help="only N photos (a quick run); 0: all")
        parser.add_argument("--judge-every", type=int, default=defaults.judge_every)
        parser.add_argument("--cache-only", action="store_true", help="only compute the encoder's features")

    def handle(self, *args, **options):
        logging.getLogger("research").setLevel(logging.INFO)
        config = LiteConfig(
            dataset_root=options["data"],
            work_dir=options["work_dir"],
            output=options["output"],
            steps=options["steps"],
            batch_size=options["batch_size"],
            learning_rate=options["learning_rate"],
            seed=options["seed"],
            threads=options["threads"],
            size=options["size"],
            limit=options["limit"],
            judge_every=options["judge_every"],
        )
        if options["cache_only"]:
            folder, _arrays, chosen = cache_features(config)
            self.stdout.write(f"{len(chosen)} photos' features in {folder}")
            return
        train_decoder(config)
        self.stdout.write(f"wrote {config.output}")
