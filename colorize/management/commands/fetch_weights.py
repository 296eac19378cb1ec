"""python manage.py fetch_weights NAME [--source URL_OR_PATH] [--sha256 HEX]: download, verify
and convert a model's weights for the runtime (no torch needed)."""

import re

from django.core.management.base import BaseCommand, CommandError

from colorize import registry, weights
from colorize.errors import ColorizeError


def sha256_argument(value: str) -> str:
    if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise ValueError("a sha256 is 64 hexadecimal digits")
    return value.lower()


class Command(BaseCommand):
    help = (
        "Download a model's published weights into COLORIZE_WEIGHTS_DIR, verify their sha256 and convert "
        "them into the ONNX graph the runtime runs (without torch and without running the file's pickle). "
        "--source takes a local file, a directory mirror or another URL; --sha256 accepts another file in "
        "the same layout (a fine-tuned model, say) with that hash instead of the authors'."
    )

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="+", metavar="NAME", help=f"model name(s): {', '.join(registry.MODELS)}")
        parser.add_argument("--source", default=None, help="a local file, a directory holding the file, or a URL")
        parser.add_argument(
            "--sha256",
            type=sha256_argument,
            default=None,
            metavar="HEX",
            help="expect this sha256 instead of the registry's (weights in the official layout that are not the authors' file)",
        )
        parser.add_argument(
            "--force", action="store_true", help="fetch and convert again even if installed and verified"
        )
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
                state = "present" if weights.is_installed(spec) else "missing from this checkout"
                self.stdout.write(
                    f"{name}: ships with the project in {weights.runtime_path(spec)} ({state}); nothing to fetch"
                )
                continue
            expected = options["sha256"] or spec.sha256
            if options["sha256"] and options["sha256"] != spec.sha256:
                self.stdout.write(
                    f"{name}: expecting sha256 {expected} from --sha256, NOT the published file's {spec.sha256}"
                )
            if not options["force"] and weights.installed_sha256(spec) == expected:
                self.stdout.write(
                    f"{name}: already installed in {weights.runtime_path(spec)} (from sha256 {expected}); nothing to do"
                )
                continue
            self.stdout.write(f"{name}: fetching {spec.source_file} from {options['source'] or spec.url}")
            try:
                path = weights.fetch(
                    spec,
                    source=options["source"],
                    sha256=options["sha256"],
                    force=options["force"],
                    retries=options["retries"],
                    timeout=options["timeout"],
                    progress=options["verbosity"] >= 1,
                )
            except ColorizeError as error:
                failures += 1
                self.stderr.write(f"{name}: FAILED: {error}")
                continue
            self.stdout.write(
                self.style.SUCCESS(f"{name}: installed {path} (sha256 {expected} verified, converted for the runtime)")
            )
        if failures:
            raise CommandError(f"{failures} of {len(options['names'])} downloads failed (see above).")
