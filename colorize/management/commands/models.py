"""python manage.py models: every model, whether it is installed here, which graph this machine
runs for it (float32 or int8) and why, with its int8 self-check's numbers."""

from typing import Any

from django.core.management.base import BaseCommand

from colorize import int8, registry, site


class Command(BaseCommand):
    help = (
        "List the models: installed or not, the graph this machine runs (float32, or int8 where its self-check "
        "against float32 passed) and why, and each check photo's numbers from that self-check."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        store = site.weights_store()
        limits = int8.THRESHOLDS
        for spec in registry.MODELS.values():
            if not store.is_installed(spec):
                self.stdout.write(f"{spec.name}: not installed ({registry.fetch_hint(spec)})")
                continue
            choice = site.precision(spec)
            self.stdout.write(f"{spec.name}: installed; runs {choice.precision}: {choice.reason}")
            if choice.report is not None:
                self._report(choice.report)
        self.stdout.write(
            f"int8 is used only where, on every check photo, the mean ab difference is at most {limits.mean_ab:g}, "
            f"its 99th percentile at most {limits.p99_ab:g} and the PSNR at least {limits.psnr_db:g} dB against "
            f"float32's picture, and the network is at least {limits.speedup:g}x faster on this CPU."
        )

    def _report(self, report: int8.Report) -> None:
        self.stdout.write(
            f"  int8 self-check made {report.made_at} on {report.cpu}, ONNX Runtime {report.onnxruntime}: network "
            f"{report.float_ms:.0f} ms float32, {report.int8_ms:.0f} ms int8 ({report.speedup:.2f}x)"
        )
        self.stdout.write(f"  {'check photo':<16}{'hints':>6}{'mean ab':>9}{'p99 ab':>9}{'PSNR':>10}")
        for photo in report.photos:
            self.stdout.write(
                f"  {photo.photo:<16}{photo.hints:>6}{photo.mean_ab:>9.2f}{photo.p99_ab:>9.2f}{photo.psnr_db:>7.1f} dB"
            )
