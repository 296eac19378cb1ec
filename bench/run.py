"""The engine's benchmark: the production pipeline as installed (ONNX Runtime; int8 where the
model's self-check passed on this machine, else float32) against the authors' reference
pipeline (PyTorch, float32).

Same photos, same seeded random weights (one PyTorch file: loaded by the reference, installed
for the runtime as fetch_weights installs the authors' files: converted by the project's
torch-free converter, then its int8 graph made and checked), alternating runs, each in a fresh
process; prints medians of the end-to-end time and peak RSS, their ratios, the fidelity (PSNR
of the project's output against the reference output) and each model's int8 self-check. With
--float32 it also times the project with int8 off; with --torch-bf16 the PyTorch bfloat16 path
the project dropped. Run by scripts/bench.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.common import weight_file
from colorize import cpu

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"12": (4000, 3000), "0.5": (816, 612)}


def make_photos(source_dir, work):
    """Test photos made from one of the historical black-and-white photos (or a sample):
    upscaled with bicubic to 12 MP and 0.5 MP, saved as grayscale JPEG (quality 90)."""
    candidates = sorted((source_dir / "bw").glob("*.jpg")) or sorted((source_dir / "samples").glob("*.jpg"))
    if not candidates:
        sys.exit(f"no photos found under {source_dir}/bw or {source_dir}/samples: pass --photos DIR")
    preferred = [p for p in candidates if p.name == "1880sBrooklynBridge.jpg"]
    original = Image.open((preferred or candidates)[0]).convert("L")
    photos = {}
    for label, size in SIZES.items():
        path = work / f"photo-{label}mp.jpg"
        if not path.exists():
            original.resize(size, Image.Resampling.BICUBIC).save(path, quality=90)
        photos[label] = path
    return photos, (preferred or candidates)[0]


def seeded_weights(model, photos, path, seed=0):
    """Seeded random weights whose BatchNorm statistics are measured on the photos (so every
    layer keeps a live signal; research.testing.measured_state_dict), installed for the
    runtime as fetch_weights installs the authors' files."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "colorsite.settings.local")
    import django

    django.setup()
    from research.testing import measured_state_dict

    state = measured_state_dict(model, [Image.open(p) for p in photos.values()], seed=seed)
    torch.save(state, path)
    return install_for_runtime(model, path)


def install_for_runtime(model, path):
    """Install the PyTorch file for the production runtime as fetch_weights does: convert it,
    then make the int8 graph and its self-check against float32. Returns the site's choice
    (colorize.int8.Choice: the precision the project's runs use, and why)."""
    from colorize import registry, weights

    spec = registry.get_spec(model)
    store = weights.Store(path.parent)
    store.convert(spec, path, weights.sha256_of(path))
    store.make_int8(spec)
    return store.precision(spec)


def run_worker(implementation, model, photo, out, weights_dir):
    command = [sys.executable, "-m", "bench.worker", implementation, model, str(photo), str(out), str(weights_dir)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{implementation} run failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def psnr(first, second):
    a = np.asarray(Image.open(first).convert("RGB"), dtype=np.float64)
    b = np.asarray(Image.open(second).convert("RGB"), dtype=np.float64)
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def compact_numbers(runs, names=("compact",)):
    """The built-in models' networks alone on 256x256 through the runtime (median seconds
    without hints, and with 10 hints, which adds the hint anchoring): {name: {case: seconds}},
    the models timed in turns, so that a busy machine slows each alike."""
    import numpy as np

    from colorize import pipeline, site
    from colorize.hints import Hint

    models = {name: site.model(name) for name in names}
    l_norm = np.zeros((1, 1, 256, 256), dtype=np.float32)
    hints = [Hint(x=25 * i, y=20 * i, color="#a0522d") for i in range(1, 11)]
    times: dict[str, dict[str, list[float]]] = {name: {"no hints": [], "10 hints": []} for name in names}
    for model in models.values():
        pipeline.predict_ab(model, l_norm, (), (256, 256))
    for _ in range(max(5, runs * 3)):
        for name, model in models.items():
            for label, case in (("no hints", ()), ("10 hints", hints)):
                started = time.perf_counter()
                pipeline.predict_ab(model, l_norm, case, (256, 256))
                times[name][label].append(time.perf_counter() - started)
    return {
        name: {label: statistics.median(values) for label, values in cases.items()} for name, cases in times.items()
    }


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "colorsite.settings.local")
    import django

    django.setup()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--photos", default=str(django.conf.settings.SHARED_DATA_DIR / "datasets"), help="folder with bw/ or samples/"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per pipeline and case (alternating)")
    parser.add_argument("--models", default="eccv16,siggraph17")
    parser.add_argument("--sizes", default="12,0.5", help="megapixels: 12 and/or 0.5")
    parser.add_argument("--work", default=str(ROOT / "bench-env" / "work"))
    parser.add_argument("--compact-only", action="store_true", help="only the compact model's numbers")
    parser.add_argument(
        "--compact-models",
        default="compact",
        help="the built-in models whose networks are timed side by side (e.g. compact,compact-lite0)",
    )
    parser.add_argument("--torch-bf16", action="store_true", help="also time the PyTorch bfloat16 path")
    parser.add_argument("--float32", action="store_true", help="also time the project with int8 off")
    args = parser.parse_args()
    models = [] if args.compact_only else [m for m in args.models.split(",") if m]
    pipelines = (
        "project",
        *(["project-float32"] if args.float32 else []),
        *(["torch-bf16"] if args.torch_bf16 else []),
        "reference",
    )

    import onnxruntime

    from colorize import site

    work = Path(args.work)
    (work / "weights").mkdir(parents=True, exist_ok=True)
    photos, original = make_photos(Path(args.photos), work)
    print(f"CPU: {cpu.description()}")
    print(f"photos: {original.name} upscaled (bicubic) to 4000x3000 (12 MP) and 816x612 (0.5 MP), grayscale JPEG q90")
    print(
        f"{os.cpu_count()} CPUs; project: ONNX Runtime {onnxruntime.__version__} as installed (int8 where its self-check "
        f"passed, else float32), {site.runtime_options().resolved_threads()} threads "
        f"(COLORIZE_THREADS=0: every CPU), memory arena {'on' if django.conf.settings.COLORIZE_MEMORY_ARENA else 'off'}; "
        f"reference: torch {torch.__version__} float32, {torch.get_num_threads()} threads (torch's default); "
        f"{args.runs} alternating runs per pipeline, each in a fresh process; medians"
    )
    rows = []
    choices = {}
    for model in models:
        weights_dir = work / "weights"
        choices[model] = seeded_weights(model, photos, weights_dir / weight_file(model))
        print(f"  {model}: runs {choices[model].precision}: {choices[model].reason}", flush=True)
        for size in args.sizes.split(","):
            results: dict[str, list[dict[str, float]]] = {name: [] for name in pipelines}
            outputs = {name: work / f"{model}-{size}mp-{name}.png" for name in results}
            for run in range(args.runs):
                order = pipelines if run % 2 == 0 else tuple(reversed(pipelines))
                for name in order:
                    results[name].append(run_worker(name, model, photos[size], outputs[name], weights_dir))
            median = {
                name: {key: statistics.median(r[key] for r in runs) for key in ("seconds", "peak_rss_mb")}
                for name, runs in results.items()
            }
            quality = {name: psnr(outputs[name], outputs["reference"]) for name in pipelines if name != "reference"}
            rows.append((model, size, median, quality))
            print(f"  done: {model} {size} MP", flush=True)

    print()
    if rows:
        print_table(rows, [name for name in pipelines if name != "reference"], choices)
        print_self_checks(choices)
    names = [name for name in args.compact_models.split(",") if name]
    for name, numbers in compact_numbers(args.runs, names).items():
        seconds = [
            run_worker("project", name, photos["12"], work / f"{name}-12mp.png", work / "weights")["seconds"]
            for _ in range(args.runs)
        ]
        network = ", ".join(f"{label} {value * 1000:.1f} ms" for label, value in numbers.items())
        print(
            f"{name}: network alone on 256x256 (median): {network}; "
            f"12 MP end to end {statistics.median(seconds):.2f} s (median of {args.runs})"
        )


def print_self_checks(choices):
    """Each model's int8 self-check beside the speed: the worst check photo's numbers."""
    for model, choice in choices.items():
        if choice.report is not None:
            print(
                f"int8 self-check, {model}: {'passed' if choice.precision == 'int8' else 'failed'}; {choice.report.summary()}"
            )
    print()


def print_table(rows, candidates, choices):
    print(
        "| model | photo | pipeline | precision | seconds | reference s | speed-up | peak RSS | reference peak RSS | RSS ratio | PSNR vs reference |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for model, size, median, quality in rows:
        r = median["reference"]
        for name in candidates:
            p = median[name]
            precision = {"project": choices[model].precision, "project-float32": "float32"}.get(name, "bfloat16")
            print(
                f"| {model} | {size} MP | {name} | {precision} | {p['seconds']:.2f} | {r['seconds']:.2f} | {r['seconds'] / p['seconds']:.2f}x "
                f"| {p['peak_rss_mb']:.0f} MB | {r['peak_rss_mb']:.0f} MB | {p['peak_rss_mb'] / r['peak_rss_mb']:.2f} "
                f"| {quality[name]:.1f} dB |"
            )
    print()


if __name__ == "__main__":
    main()
