"""One timed end-to-end run in a fresh process: decode -> network -> full-resolution result ->
JPEG (quality 92, the same PIL encoder for both pipelines), then, untimed, a PNG of the same
result for the fidelity comparison.

    python -m bench.worker project|reference MODEL PHOTO OUT_PNG WEIGHTS_DIR

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


def run_project(model, photo, out, weights_dir):
    os.environ["COLORIZE_WEIGHTS_DIR"] = weights_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "colorsite.settings.local")
    import django

    django.setup()
    import torch

    from colorize import imaging, pipeline, registry

    network = registry.load_model(model)
    spec = registry.get_spec(model)
    with torch.inference_mode():  # warm-up: a server has run the network before
        pipeline.predict_ab(network, spec, torch.zeros(1, 1, spec.input_size, spec.input_size), (), (8, 8))
    started = time.perf_counter()
    image = imaging.load_image(photo, keep_gray=True, max_bytes=0, max_pixels=0)
    result = pipeline.colorize(image, model=model)
    data = imaging.encode_image(result, "jpeg")
    with open(out + ".jpg", "wb") as handle:
        handle.write(data)
    seconds = time.perf_counter() - started
    result.save(out, "PNG", compress_level=1)
    return seconds


def run_reference(model, photo, out, weights_dir):
    import numpy as np
    import torch
    from PIL import Image

    import colorizers
    from colorizers import util

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


def main():
    implementation, model, photo, out, weights_dir = sys.argv[1:6]
    out = str(out)
    runner = run_project if implementation == "project" else run_reference
    seconds = runner(model, photo, out, weights_dir)
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
