"""python manage.py make_examples [--before-commit REV] [--out docs/colours]

The README's and the model card's before/after pictures, from genuine black-and-white photos
(``../shared/datasets/bw``): each photo shrunk to at most ``--side`` pixels, colorized by the
code and weights of an earlier commit (``--before-commit``, run from a ``git archive`` of it in
a temporary folder, with its own ``manage.py colorize``) and by this checkout, and written as
one strip per photo: the grey photo, before, after. The hint example is colorized with the
same three clicks (``HINTS``) both times.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from PIL import Image, ImageDraw

PHOTOS = (
    "migrant_mother.jpg",
    "1908FamilyPhoto.jpg",
    "AnselAdamsYosemite.jpg",
    "1899SodaFountain.jpg",
    "1920sDancing.jpg",
    "1909Chicago.jpg",
    # The photos issue #25 found loud wrong colours on.
    "abe.jpg",
    "1907Cowboys.jpg",
    "1870sSphinx.jpg",
    "1890CliffHouseSF.jpg",
    "EasterNyc1911.jpg",
)
# Three clicks on the 1908 family photo (as fractions of its width and height): the man's coat
# blue, the lawn green, the leaves above green.
HINT_PHOTO = "1908FamilyPhoto.jpg"
HINTS = [(0.703, 0.432, "#2a3f6e"), (0.469, 0.923, "#4f7a32"), (0.516, 0.098, "#3f6b2a")]
# The four automatic colourings of one network run (issue #25), shown for these.
VARIANT_PHOTOS = ("migrant_mother.jpg", "EasterNyc1911.jpg", "1907Cowboys.jpg")


class Command(BaseCommand):
    help = "Make the before/after example strips of the README and the model card from the shared bw/ photos."

    def add_arguments(self, parser):
        parser.add_argument("--photos", default=str(settings.SHARED_DATA_DIR / "datasets" / "bw"))
        parser.add_argument("--out", default=str(settings.BASE_DIR / "docs" / "colours"))
        parser.add_argument(
            "--before-commit",
            default=None,
            help="the commit whose code and weights make the 'before' column (none: no before column)",
        )
        parser.add_argument("--before-label", default="before")
        parser.add_argument("--after-label", default="after")
        parser.add_argument("--side", type=int, default=640, help="longest side of the photos, in pixels")

    def handle(self, *args, **options):
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="examples-") as scratch:
            work = Path(scratch)
            inputs = work / "in"
            inputs.mkdir()
            for name in PHOTOS:
                source = Path(options["photos"]) / name
                if not source.is_file():
                    raise CommandError(f"{source} is missing")
                with Image.open(source) as opened:
                    image = opened.convert("L")
                    image.thumbnail((options["side"], options["side"]), Image.Resampling.LANCZOS)
                    image.save(inputs / f"{source.stem}.png")
            hint_input = inputs / f"{Path(HINT_PHOTO).stem}-hints.png"
            shutil.copy(inputs / f"{Path(HINT_PHOTO).stem}.png", hint_input)
            hints_file = work / "hints.json"
            with Image.open(hint_input) as image:
                width, height = image.size
            points = [{"x": int(fx * width), "y": int(fy * height), "color": colour} for fx, fy, colour in HINTS]
            hints_file.write_text(json.dumps({hint_input.name: points}))
            pictures = sorted(inputs.glob("*.png"))

            columns = [("black and white", {p.name: p for p in pictures})]
            if options["before_commit"]:
                checkout = work / "before"
                checkout.mkdir()
                archive = subprocess.run(
                    ["git", "archive", options["before_commit"]], cwd=settings.BASE_DIR, check=True, capture_output=True
                ).stdout
                subprocess.run(["tar", "-x", "-C", str(checkout)], input=archive, check=True)
                columns.append((options["before_label"], self._colorize(checkout, pictures, hints_file, work / "b")))
            columns.append(
                (options["after_label"], self._colorize(settings.BASE_DIR, pictures, hints_file, work / "a"))
            )

            for picture in pictures:
                strip = _strip([(label, Image.open(files[picture.name])) for label, files in columns])
                target = out / f"{picture.stem}.jpg"
                strip.save(target, "JPEG", quality=85, optimize=True)
                self.stdout.write(f"wrote {target}")
            for name in VARIANT_PHOTOS:
                target = out / f"{Path(name).stem}-variants.jpg"
                _variants_strip(inputs / f"{Path(name).stem}.png").save(target, "JPEG", quality=85, optimize=True)
                self.stdout.write(f"wrote {target}")

    def _colorize(self, checkout, pictures, hints_file, out):
        """Colorize with the checkout's own CLI (its code, its bundled weights, its defaults)."""
        hinted = [p for p in pictures if p.stem.endswith("-hints")]
        plain = [p for p in pictures if p not in hinted]
        for batch, extra in ((plain, []), (hinted, ["--hints", str(hints_file)])):
            command = [
                sys.executable,
                "manage.py",
                "colorize",
                *map(str, batch),
                "--out-dir",
                str(out),
                "--model",
                "compact",
                *extra,
            ]
            result = subprocess.run(
                command,
                cwd=checkout,
                capture_output=True,
                text=True,
                # Each checkout's manage.py picks its own settings module (older ones had one file).
                env={"PATH": "/usr/bin:/bin", "COLORSITE_DATA_DIR": str(out.parent / f"{out.name}-data")},
            )
            if result.returncode:
                raise CommandError(f"colorizing in {checkout} failed:\n{result.stdout}\n{result.stderr}")
        return {p.name: out / p.name for p in pictures}


def _variants_strip(path):
    """The photo and this checkout's four automatic colourings of it (the default model)."""
    from colorize import pipeline, site
    from gallery.models import ColorizationJob

    with Image.open(path) as opened:
        photo = opened.convert("L")
    model = site.model()
    spec = model.spec
    kept = (
        pipeline.colorize_detailed(
            photo, model, vividness=site.default_vividness(), suggestions=False, variants=True
        ).variants
        or {}
    )
    labels = dict(ColorizationJob.Variant.choices)
    return _strip(
        [("black and white", photo)] + [(labels[name], pipeline.render(photo, ab, spec)) for name, ab in kept.items()]
    )


def _strip(panels, gap=6, label_height=22):
    width = sum(image.width for _, image in panels) + gap * (len(panels) - 1)
    height = max(image.height for _, image in panels) + label_height
    strip = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(strip)
    x = 0
    for label, image in panels:
        strip.paste(image.convert("RGB"), (x, label_height))
        draw.text((x + 4, 4), label, fill="black")
        x += image.width + gap
    return strip
