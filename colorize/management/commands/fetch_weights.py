"""python manage.py fetch_weights NAME [--source URL_OR_PATH]: download and verify weights."""

from django.core.management.base import BaseCommand, CommandError

from colorize import registry, weights


class Command(BaseCommand):
    help = (
        "Download a model's weights into COLORIZE_WEIGHTS_DIR, verifying their sha256 before they are "
        "put in place. --source takes a local file, a directory mirror or another URL."
    )

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="+", metavar="NAME", help=f"model name(s): {', '.join(registry.MODELS)}")
        parser.add_argument("--source", default=None, help="a local file, a directory holding the file, or a URL")
        parser.add_argument("--force", action="store_true", help="download again even if a verified file is present")
        parser.add_argument("--retries", type=int, default=3, help="retries (resuming) after a broken transfer")
        parser.add_argument("--timeout", type=float, default=30.0, help="network timeout in seconds")

    def handle(self, *args, **options):
        failures = 0
        for name in options["names"]:
            try:
                spec = registry.get_spec(name)
            except registry.UnknownModel as error:
                raise CommandError(str(error)) from None
            if spec.bundled and not options["source"]:
                state = "present" if weights.is_present(spec) else "missing from this checkout"
                self.stdout.write(f"{name}: ships with the project in {weights.weight_path(spec)} ({state}); nothing to fetch")
                continue
            self.stdout.write(f"{name}: fetching {spec.weight_file} from {options['source'] or spec.url}")
            try:
                path = weights.fetch(
                    spec,
                    source=options["source"],
                    force=options["force"],
                    retries=options["retries"],
                    timeout=options["timeout"],
                    progress=options["verbosity"] >= 1,
                )
            except weights.FetchError as error:
                failures += 1
                self.stderr.write(f"{name}: FAILED: {error}")
                continue
            self.stdout.write(self.style.SUCCESS(f"{name}: installed {path} (sha256 verified)"))
        if failures:
            raise CommandError(f"{failures} of {len(options['names'])} downloads failed (see above).")
