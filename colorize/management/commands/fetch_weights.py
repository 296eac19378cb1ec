"""python manage.py fetch_weights NAME [--source URL_OR_PATH] [--sha256 HEX]: download, verify
and convert a model's weights for the runtime (no torch needed), then make its int8 graph and
check it against float32 on this machine (colorize.int8)."""

import re
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from colorize import cpu, registry, site, weights_mirror
from colorize.errors import ColorizeError

# Making an int8 graph peaks at about 1.5 GB (SIGGRAPH17's calibration): with less memory
# available than this, it is not tried (the instance would swap or the kernel kill a process).
INT8_MEMORY_BYTES = 2_000_000_000


def sha256_argument(value: str) -> str:
    if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise ValueError("a sha256 is 64 hexadecimal digits")
    return value.lower()


class Command(BaseCommand):
    help = (
        "Download a model's published weights into COLORIZE_WEIGHTS_DIR, verify their sha256 and convert "
        "them into the ONNX graph the runtime runs (without torch and without running the file's pickle). "
        "--source takes a local file, a directory mirror or another URL; --sha256 accepts another file in "
        "the same layout (a fine-tuned model, say) with that hash instead of the authors'. Then, unless "
        "COLORIZE_INT8 is off or --no-int8 is given, it makes the model's int8 graph on this machine and checks "
        "it against float32 (a bundled model's too): the site runs it only where it passed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
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
        parser.add_argument(
            "--mirror",
            default=None,
            metavar="S3_URL",
            help="s3://BUCKET/PREFIX holding copies of the published files (default: COLORIZE_WEIGHTS_MIRROR): "
            "a file there is taken from there (and verified); one fetched from the internet is put there; '' for none",
        )
        parser.add_argument(
            "--no-int8", action="store_true", help="do not make or check int8 graphs (the site runs float32)"
        )
        parser.add_argument("--retries", type=int, default=3, help="retries (resuming) after a broken transfer")
        parser.add_argument("--timeout", type=float, default=30.0, help="network timeout in seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        failures = 0
        for name in options["names"]:
            try:
                spec = registry.get_spec(name)
            except registry.UnknownModel as error:
                raise CommandError(str(error)) from None
            if spec.bundled and not options["source"]:
                state = "present" if site.weights_store().is_installed(spec) else "missing from this checkout"
                self.stdout.write(
                    f"{name}: ships with the project in {site.weights_store().runtime_path(spec)} ({state}); nothing to fetch"
                )
                self._int8(spec, options)
                continue
            expected = options["sha256"] or spec.sha256
            if options["sha256"] and options["sha256"] != spec.sha256:
                self.stdout.write(
                    f"{name}: expecting sha256 {expected} from --sha256, NOT the published file's {spec.sha256}"
                )
            if not options["force"] and site.weights_store().installed_sha256(spec) == expected:
                self.stdout.write(
                    f"{name}: already installed in {site.weights_store().runtime_path(spec)} (from sha256 {expected}); nothing to fetch"
                )
                self._int8(spec, options)
                continue
            mirror = settings.COLORIZE_WEIGHTS_MIRROR if options["mirror"] is None else options["mirror"]
            if options["source"] or not mirror or spec.encoder is not None:  # built from files here
                failed = self._fetch(spec, options["source"], options)
            else:
                failed = self._fetch_through_mirror(spec, mirror, options)
            failures += failed
            if not failed:
                self._int8(spec, options)
        if failures:
            raise CommandError(f"{failures} of {len(options['names'])} downloads failed (see above).")

    def _fetch_through_mirror(self, spec: registry.ModelSpec, mirror: str, options: dict[str, Any]) -> bool:
        """From the mirror when it has the file (verified like any download); else, or when its
        copy fails the check, from the published URL, then put the verified file there."""
        endpoint = settings.AWS_S3_ENDPOINT_URL
        with tempfile.TemporaryDirectory() as scratch:
            mirrored = weights_mirror.download(mirror, spec.source_file, Path(scratch), endpoint_url=endpoint)
            if mirrored is not None and not self._fetch(spec, mirrored, options, origin=mirror):
                return False
        if self._fetch(spec, None, options):
            return True
        if weights_mirror.upload(mirror, site.weights_store().source_path(spec), endpoint_url=endpoint):
            self.stdout.write(f"{spec.name}: put a copy in {mirror} for the next instance")
        return False

    def _fetch(
        self, spec: registry.ModelSpec, source: str | Path | None, options: dict[str, Any], *, origin: str | None = None
    ) -> bool:
        """Fetch, verify and convert; True when it failed (said on stderr)."""
        expected = options["sha256"] or spec.sha256
        if spec.encoder is not None and not source:
            self.stdout.write(
                f"{spec.name}: building its graph from {spec.source_file} (in the code) and the encoder of "
                f"{spec.encoder.requirement} (installed), without a download"
            )
        else:
            self.stdout.write(f"{spec.name}: fetching {spec.source_file} from {origin or source or spec.url}")
        try:
            path = site.weights_store().fetch(
                spec,
                source=source,
                sha256=options["sha256"],
                force=options["force"],
                retries=options["retries"],
                timeout=options["timeout"],
                progress=options["verbosity"] >= 1,
            )
        except ColorizeError as error:
            self.stderr.write(f"{spec.name}: FAILED: {error}")
            return True
        self.stdout.write(
            self.style.SUCCESS(f"{spec.name}: installed {path} (sha256 {expected} verified, converted for the runtime)")
        )
        return False

    def _int8(self, spec: registry.ModelSpec, options: dict[str, Any]) -> None:
        """Make and check ``spec``'s int8 graph unless switched off or done for this graph, CPU
        and runtime already. Never fails the install: float32 always works."""
        store = site.weights_store()
        if options["no_int8"] or not site.int8_allowed() or not store.is_installed(spec):
            return
        if store.int8_is_current(spec) and not options["force"]:
            self.stdout.write(f"{spec.name}: int8 self-check already made here; {site.precision(spec).reason}")
            return
        mirror = settings.COLORIZE_WEIGHTS_MIRROR if options["mirror"] is None else options["mirror"]
        endpoint = settings.AWS_S3_ENDPOINT_URL
        if mirror and not options["force"] and weights_mirror.int8_fetch(mirror, store, spec, endpoint_url=endpoint):
            self.stdout.write(
                f"{spec.name}: took the int8 graph and its self-check from {mirror} (made by a worker with this CPU "
                f"and ONNX Runtime, sha256 verified); {site.precision(spec).reason}"
            )
            return
        available = cpu.available_memory()
        if available is not None and available < INT8_MEMORY_BYTES:
            self.stderr.write(
                f"{spec.name}: no int8 graph: {available / 1e9:.1f} GB of memory available, making one takes up to "
                f"{INT8_MEMORY_BYTES / 1e9:.1f} GB; float32 stays"
            )
            return
        self.stdout.write(f"{spec.name}: making the int8 graph and checking it against float32 (a minute or so)")
        try:
            store.make_int8(spec, site.runtime_options())
        except Exception as error:  # noqa: BLE001  (quantisation raises many types; float32 stays, said why)
            self.stderr.write(f"{spec.name}: no int8 graph ({error.__class__.__name__}: {error}); float32 stays")
            return
        if mirror and weights_mirror.int8_share(mirror, store, spec, endpoint_url=endpoint):
            self.stdout.write(
                f"{spec.name}: put the int8 graph and its self-check in {mirror} for workers of this kind"
            )
        choice = site.precision(spec)
        line = f"{spec.name}: runs {choice.precision}: {choice.reason}"
        self.stdout.write(self.style.SUCCESS(line) if choice.precision == "int8" else self.style.WARNING(line))
