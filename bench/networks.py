"""The networks alone on one 256x256 input: the production runtime (ONNX Runtime, float32)
against PyTorch in float32 and under bfloat16 autocast, alternating, medians.

    python -m bench.networks [--runs 7] [--weights bench-env/work/weights]

Answers whether the PyTorch bfloat16 path the project dropped would still be faster, and by
how much. Uses the seeded weights scripts/bench leaves in bench-env/work/weights.
"""

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def timed(function, runs):
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def _source_file(spec):
    """The PyTorch file of ``spec``: the training checkpoint of a bundled model, else the
    published file in the weights folder."""
    from colorize import site
    from research.checkpoints import checkpoint_path

    return checkpoint_path(spec) if spec.bundled else site.weights_store().source_path(spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--weights", default=str(ROOT / "bench-env" / "work" / "weights"))
    args = parser.parse_args()
    os.environ["COLORIZE_WEIGHTS_DIR"] = args.weights
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "colorsite.settings.local")
    import django

    django.setup()
    from colorize import registry, runtime, site
    from colorize.hints import network_inputs
    from research.networks import build_network

    threads = site.runtime_options().resolved_threads()
    torch.set_num_threads(threads)
    print(f"{os.cpu_count()} CPUs, {threads} threads for both; network alone on 256x256, median of {args.runs} (ms)")
    print("| network | ONNX Runtime fp32 | torch fp32 | torch bf16 | torch bf16 vs ONNX Runtime |")
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for name in ("compact", "eccv16", "siggraph17"):
        spec = registry.get_spec(name)
        inputs = {"l_norm": rng.uniform(-0.5, 0.5, (1, 1, 256, 256)).astype(np.float32)}
        if spec.takes_hints:
            inputs["hint_ab"], inputs["hint_mask"] = network_inputs((), (256, 256))
        network = build_network(spec.network).eval().to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        state = torch.load(_source_file(spec), map_location="cpu", weights_only=True)
        network.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
        tensors = [torch.from_numpy(value).contiguous(memory_format=torch.channels_last) for value in inputs.values()]

        def run_torch(bf16, network=network, tensors=tensors):
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                network(*tensors)

        def run_ort(model=site.model(spec.name), inputs=inputs):
            runtime.run(model, inputs)

        results: dict[str, list[float]] = {"ort": [], "fp32": [], "bf16": []}
        for _ in range(3):  # alternate so that machine load falls on all three alike
            results["ort"] += timed(run_ort, args.runs)
            results["fp32"] += timed(lambda: run_torch(False), args.runs)
            results["bf16"] += timed(lambda: run_torch(True), args.runs)
        ms = {key: statistics.median(values) * 1000 for key, values in results.items()}
        print(
            f"| {name} | {ms['ort']:.1f} | {ms['fp32']:.1f} | {ms['bf16']:.1f} | {ms['ort'] / ms['bf16']:.2f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
