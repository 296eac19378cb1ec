"""The compact model's colour prior: its own mean predicted distribution over training photos.

Vividness (colorize.decoding) takes this prior out of each prediction (log p - s * log prior):
the colours the model predicts everywhere because they are common (greys, browns) count
less, the ones it finds likely *here* more. It is measured on photos the model was trained
on (train/, minus the photos held out for calibration), never on val/ or on photos reported as
unseen, at the network's input size, without hints, and stored in the weight file as the
``log_prior`` buffer.
"""

import json
from pathlib import Path

import numpy as np
import torch

from research.training import data
from research.training.train import to_lab_norm


def prior_photos(dataset_root, work_dir, count, seed=0):
    """``count`` photos of train/ (never the held-out ones listed in work_dir/holdout.json), seeded."""
    held = set()
    holdout = Path(work_dir) / "holdout.json"
    if holdout.exists():
        held = set(json.loads(holdout.read_text()))
    candidates = [p for p in data.list_photos(Path(dataset_root) / "train") if str(p) not in held]
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(candidates), size=min(count, len(candidates)), replace=False)
    return [candidates[i] for i in sorted(chosen)]


@torch.inference_mode()
def measure_log_prior(model, paths, input_size=256, batch=16):
    """log of the mean of softmax(logits) over every position of every photo (no hints)."""
    model.eval()
    total = None
    positions = 0
    for start in range(0, len(paths), batch):
        images = np.stack([data.load_square(p, input_size) for p in paths[start : start + batch]])
        l_norm, _ = to_lab_norm(images)
        zeros = torch.zeros_like(l_norm)
        probabilities = torch.softmax(model.logits(l_norm, zeros.expand(-1, 2, -1, -1), zeros), dim=1)
        summed = probabilities.sum(dim=(0, 2, 3)).double()
        total = summed if total is None else total + summed
        positions += probabilities.shape[0] * probabilities.shape[2] * probabilities.shape[3]
    mean = total / positions
    return torch.log(mean.clamp_min(1e-12)).float()


def with_prior(state):
    """``state`` with a ``log_prior`` buffer (uniform, to be measured) if it has none yet; a
    compact-v1 file keeps its layers and outputs."""
    import math

    if "log_prior" in state:
        return dict(state)
    bins = state["bin_centres"].shape[0]
    return {**state, "log_prior": torch.full((bins,), -math.log(bins), dtype=state["bin_centres"].dtype)}
