"""Choosing how vividness decodes a distribution model: a sweep over (strength, temperature).

Each photo runs through the network once (no hints); its class scores are then decoded at
every (prior-correction strength, annealed-mean temperature) pair with colorize.decoding and
recombined with the photo's own lightness exactly as the pipeline does, and scored (PSNR on
8-bit sRGB, Hasler-Suesstrunk colourfulness) next to the grayscale image and the truth.
"""

import numpy as np
from PIL import Image
from tqdm import tqdm

from colorize import decoding, pipeline
from colorize.recombination import recombine
from colorize.resample import resize_ab
from research.training.evaluate import grayscale_of, load_truth
from research.training.metrics import colourfulness, psnr


def sweep(paths, model, pairs, *, max_side=None):
    """{(strength, temperature): (mean PSNR, mean colourfulness)} plus 'grayscale' and 'truth'."""
    spec = model.spec
    scores: dict[tuple[float, float], tuple[list[float], list[float]]] = {pair: ([], []) for pair in pairs}
    gray_psnr, truth_colour = [], []
    for path in tqdm(paths, desc="vividness", unit="photo", mininterval=10):
        truth = load_truth(path, max_side)
        gray = Image.fromarray(grayscale_of(truth))
        gray_psnr.append(psnr(np.asarray(gray.convert("RGB")), truth))
        truth_colour.append(colourfulness(truth))
        outputs = pipeline.network_outputs(model, pipeline.network_input(gray, spec.input_size), (), gray.size)
        for strength, temperature in pairs:
            ab = decoding.decode(outputs["logits"], outputs["bin_ab"], outputs["bin_log_prior"], strength, temperature)
            if spec.output_stride > 1:
                ab = resize_ab(ab, *(side * spec.output_stride for side in ab.shape[2:]))
            result = np.asarray(recombine(gray, ab * np.float32(pipeline.AB_SCALE)))
            scores[(strength, temperature)][0].append(psnr(result, truth))
            scores[(strength, temperature)][1].append(colourfulness(result))
    rows: dict[str | tuple[float, float], tuple[float, float]] = {
        "grayscale": (float(np.mean(gray_psnr)), 0.0),
        "truth": (float("inf"), float(np.mean(truth_colour))),
    }
    rows.update({pair: (float(np.mean(p)), float(np.mean(c))) for pair, (p, c) in scores.items()})
    return rows


def format_rows(rows):
    gray, truth = rows["grayscale"][0], rows["truth"][1]
    lines = [
        f"grayscale PSNR {gray:.2f} dB; truth colourfulness {truth:.1f}",
        "| strength | temperature | PSNR (dB) | vs grey (dB) | colourfulness | of the truth's |",
        "|---|---|---|---|---|---|",
    ]
    for key, (quality, colour) in rows.items():
        if isinstance(key, tuple):
            lines.append(
                f"| {key[0]:.2f} | {key[1]:.2f} | {quality:.2f} | {quality - gray:+.2f} | {colour:.1f} | "
                f"{colour / truth:.0%} |"
            )
    return "\n".join(lines)
