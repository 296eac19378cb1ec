"""Picking another colouring of a finished job (issue #25): how long until its full-size
result is stored, against the job's first run, for one photo.

    python -m bench.variants [--megapixels 12] [--model compact] [--runs 3]

In a throwaway data directory (SQLite, local files): one job of a real black-and-white photo
(../shared/datasets/bw, upscaled to the size asked) runs through the worker's service as the
worker runs it; then each other variant is picked (``web.job_variant_choose``) and run again
(``worker.job_run``: the kept colours rendered at full size, no network), and the medians are
printed. The site adds the worker's queue poll and the page's status poll on top.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--model", default="compact")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--photo", default=str(ROOT.parent / "shared/datasets/bw/migrant_mother.jpg"))
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="bench-variants-")
    os.environ.update(COLORSITE_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="colorsite.settings.local")
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from PIL import Image

    from gallery.models import ColorizationJob
    from gallery.services import web, worker

    call_command("migrate", verbosity=0)
    photo = Image.open(args.photo).convert("L")
    scale = (args.megapixels * 1e6 / (photo.width * photo.height)) ** 0.5
    photo = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.Resampling.BICUBIC)
    job = web.job_create(image=photo, display_name="bench", model_name=args.model)

    def run() -> float:
        started = time.perf_counter()
        worker.job_run(job_id=job.pk)
        seconds = time.perf_counter() - started
        job.refresh_from_db()
        assert job.status == ColorizationJob.Status.SUCCEEDED, job.error_message
        return seconds

    first = run()
    picks = []
    names = [name for name in ColorizationJob.Variant.values if name != job.variant]
    for index in range(args.runs * len(names)):
        web.job_variant_choose(job=job, variant=names[index % len(names)])
        picks.append(run())
    print(
        f"{args.model}, {photo.width}x{photo.height} ({photo.width * photo.height / 1e6:.1f} MP), {os.cpu_count()} CPUs"
    )
    print(f"| first run (network, every variant kept) | {first:.2f} s |")
    print(f"| picking another variant (median of {len(picks)}) | {statistics.median(picks):.2f} s |")
    print(f"| slowest pick | {max(picks):.2f} s |")


if __name__ == "__main__":
    main()
