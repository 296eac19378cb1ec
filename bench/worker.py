"""One timed end-to-end run in a fresh process: decode -> network -> full-resolution result ->
JPEG (quality 92, the same PIL encoder for every pipeline), then, untimed, a PNG of the same
result for the fidelity comparison.

    python -m bench.worker project|project-float32|torch-bf16|reference MODEL PHOTO OUT_PNG WEIGHTS_DIR

- project: the production pipeline as installed (ONNX Runtime; the model's int8 graph where its
  self-check passed, else float32; no torch imported).
- project-float32: the same with COLORIZE_INT8 off.
- torch-bf16: the same pipeline with the PyTorch network under bfloat16 autocast in place of
  the runtime (the second code path that was dropped; measured to report what it would give).
- reference: the authors' pipeline (rz-colorization 1.0.5: skimage, torch float32).

Prints one JSON line: seconds (end to end, model already loaded and warmed up like a server's)
and the process's peak RSS in MB (VmHWM: everything the process ever held resident).
"""

import json
import os
import resource
import sys
import time


def peak_rss_mb():
    """This process's peak RSS: VmHWM of its own address space. (ru_maxrss would also count the
    parent's RSS at the moment of fork/exec, which Linux folds into the child's maximum.)"""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _django(weights_dir):
    os.environ["COLORIZE_WEIGHTS_DIR"] = weights_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "colorsite.settings.local")
    import django

    django.setup()


def _timed(photo, out, colorize):
    """Decode, ``colorize(image)``, encode as JPEG: the timed part; then the PNG, untimed."""
    from colorize import imaging

    started = time.perf_counter()
    result = colorize(imaging.load_image(photo, keep_gray=True, max_bytes=0, max_pixels=0))
    with open(out + ".jpg", "wb") as handle:
        handle.write(imaging.encode_image(result, "jpeg"))
    seconds = time.perf_counter() - started
    result.save(out, "PNG", compress_level=1)
    return seconds


def run_project_float32(model, photo, out, weights_dir):
    os.environ["COLORIZE_INT8"] = "false"
    return run_project(model, photo, out, weights_dir)


def run_project(model, photo, out, weights_dir):
    _django(weights_dir)
    import numpy as np

    from colorize import pipeline, site

    engine_model = site.model(model)
    size = engine_model.spec.input_size
    pipeline.predict_ab(engine_model, np.zeros((1, 1, size, size), np.float32), (), (8, 8))  # warm-up, like a server's
    # Vividness 0 is the authors' decoding (their plain annealed mean), so the PSNR column
    # measures parity with their pipeline; the default vividness would sharpen ECCV16's colours.
    seconds = _timed(photo, out, lambda image: pipeline.colorize(image, engine_model, vividness=0.0))
    assert "torch" not in sys.modules, "the production pipeline must not import torch"
    return seconds


def run_torch_bf16(model, photo, out, weights_dir):
    _django(weights_dir)
    import torch

    from bench.common import weight_file
    from colorize import pipeline
    from colorize.recombination import recombine
    from research.networks import build_network

    network = build_network(model).eval().to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    network.load_state_dict(
        torch.load(os.path.join(weights_dir, weight_file(model)), map_location="cpu", weights_only=True)
    )

    def predict(l_norm):
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            return (
                network(torch.from_numpy(l_norm).contiguous(memory_format=torch.channels_last)).float().numpy() * 110.0
            )

    def colorize(image):
        return recombine(image, predict(pipeline.network_input(image, 256)))

    predict(torch.zeros(1, 1, 256, 256).numpy())  # warm-up, like a server's
    return _timed(photo, out, colorize)


def run_reference(model, photo, out, weights_dir):
    import colorizers
    import numpy as np
    import torch
    from colorizers import util
    from PIL import Image

    from bench.common import weight_file

    network = {"eccv16": colorizers.eccv16, "siggraph17": colorizers.siggraph17}[model](pretrained=False).eval()
    network.load_state_dict(torch.load(os.path.join(weights_dir, weight_file(model)), map_location="cpu"))
    with torch.no_grad():  # the same warm-up as the project's run
        network(torch.zeros(1, 1, 256, 256))
    started = time.perf_counter()
    rgb = util.load_img(photo)
    tens_l_orig, tens_l_rs = util.preprocess_img(rgb, HW=(256, 256))
    with torch.no_grad():
        out_rgb = util.postprocess_tens(tens_l_orig, network(tens_l_rs).cpu())
    result = Image.fromarray((np.clip(out_rgb, 0, 1) * 255).round().astype(np.uint8))
    result.save(out + ".jpg", "JPEG", quality=92)
    seconds = time.perf_counter() - started
    result.save(out, "PNG", compress_level=1)
    return seconds


RUNNERS = {
    "project": run_project,
    "project-float32": run_project_float32,
    "torch-bf16": run_torch_bf16,
    "reference": run_reference,
}


def main():
    implementation, model, photo, out, weights_dir = sys.argv[1:6]
    seconds = RUNNERS[implementation](model, photo, str(out), weights_dir)
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
