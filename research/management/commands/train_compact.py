import logging

from django.core.management.base import BaseCommand

from colorize.registry import get_spec
from research.checkpoints import checkpoint_path
from research.management.arguments import add_training_data_arguments
from research.training.train import TrainingConfig, export_weights, train


class Command(BaseCommand):
    help = "Train the compact colorizer from the shared photo sets (seeded, checkpointed, resumable)."

    def add_arguments(self, parser):
        defaults = TrainingConfig(dataset_root="", work_dir="", output="")
        add_training_data_arguments(
            parser,
            data_help="folder holding train/ and train-extra/",
            work_dir_help="where the photo cache and the checkpoint live; rerun to resume",
        )
        parser.add_argument("--output", default=str(checkpoint_path(get_spec("compact"))))
        parser.add_argument("--steps", type=int, default=defaults.steps)
        parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--threads", type=int, default=defaults.threads)
        parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
        parser.add_argument("--warmup", type=int, default=defaults.warmup, help="learning-rate warm-up steps")
        parser.add_argument(
            "--init-from",
            default=defaults.init_from,
            help="start from these weights (e.g. the previous compact model) instead of random ones",
        )
        parser.add_argument("--no-context", action="store_true", help="leave out the global-context branch (version 1)")
        parser.add_argument(
            "--widths", default=",".join(map(str, defaults.widths)), help="the four widths of the network"
        )
        parser.add_argument("--device", default=defaults.device, help='"cpu", or "cuda" on a GPU machine')
        parser.add_argument(
            "--keep-every", type=int, default=defaults.keep_every, help="also keep the weights every N steps"
        )
        parser.add_argument(
            "--keep-best",
            action="store_true",
            help="of those, keep only the one with the lowest held-out loss, as best.pt (early stopping)",
        )
        parser.add_argument(
            "--crop-min-scale",
            type=float,
            default=defaults.crop_min_scale,
            help="the smallest random crop, as a fraction of the photo's side",
        )
        parser.add_argument(
            "--exposure-jitter",
            type=float,
            default=defaults.exposure_jitter,
            help="each crop's sRGB raised to a random power in exp(+-J); 0: none",
        )
        parser.add_argument(
            "--ema-decay",
            type=float,
            default=defaults.ema_decay,
            help="judge, keep and write a moving average of the weights with this decay per step; 0: none",
        )

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
            learning_rate=options["learning_rate"],
            warmup=options["warmup"],
            init_from=options["init_from"],
            context=not options["no_context"],
            widths=tuple(int(width) for width in options["widths"].split(",")),
            device=options["device"],
            keep_every=options["keep_every"],
            keep_best=options["keep_best"],
            crop_min_scale=options["crop_min_scale"],
            exposure_jitter=options["exposure_jitter"],
            ema_decay=options["ema_decay"],
        )
        model = train(config)
        export_weights(model, config.output)
        self.stdout.write(self.style.SUCCESS(f"saved {config.output}"))
