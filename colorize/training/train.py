"""Training loop for the compact colorizer: seeded, checkpointed, resumable.

Works at a small square resolution on CPU: every photo is decoded once into a uint8 cache;
each step takes a weighted random batch, a random crop and flip, simulates user hints and
minimises a class-rebalanced, soft-encoded cross-entropy over ab bins (Zhang et al. 2016).
"""

import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from colorize.colour import rgb_to_lab
from colorize.networks.compact import CompactColorizer
from colorize.networks.zhang import AB_SCALE, L_CENTER, L_SCALE
from colorize.training import data
from colorize.training.hints import simulate_hints

logger = logging.getLogger(__name__)


@dataclass
class TrainingConfig:
    dataset_root: str
    work_dir: str
    output: str
    widths: tuple = (24, 48, 96, 192)
    steps: int = 4000
    batch_size: int = 32
    crop: int = 128
    cache_size: int = 144
    learning_rate: float = 1e-3
    seed: int = 0
    holdout: int = 200
    checkpoint_every: int = 200
    soft_sigma: float = 5.0
    # 1.0: no class rebalancing. Zhang et al.'s 0.5 lifts rare saturated colours, but on this
    # small model it chose wrong vivid hues (PSNR 1-2 dB under grayscale); vividness comes from
    # the calibrated decoding temperature instead.
    rebalance_mix: float = 1.0
    threads: int = 2
    # Global context at the bottleneck (version 2 of the network).
    context: bool = True
    # Start from these weights (a state_dict, e.g. the previous shipped model) instead of random
    # ones; layers it lacks (the context branch) keep their initialisation. Ignored on resume.
    init_from: str = ""
    warmup: int = 100


def training_photos(dataset_root):
    root = Path(dataset_root)
    return data.list_photos(root / "train") + data.list_photos(root / "train-extra")


def split_holdout(paths, dataset_root, count, seed):
    """Keep ``count`` photos of train/ out of training, to calibrate the decoding temperature."""
    rng = np.random.default_rng(seed)
    own = [i for i, p in enumerate(paths) if data.photo_source(p, dataset_root) == "train"]
    held = set(rng.choice(own, size=min(count, len(own)), replace=False).tolist())
    return [i for i in range(len(paths)) if i not in held], sorted(held)


def to_lab_norm(rgb_uint8):
    """(N, H, W, 3) uint8 -> (l_norm (N, 1, H, W), ab_norm (N, 2, H, W))."""
    lab = torch.from_numpy(rgb_to_lab(np.asarray(rgb_uint8) / 255.0).astype(np.float32)).permute(0, 3, 1, 2)
    return (lab[:, :1] - L_CENTER) / L_SCALE, lab[:, 1:] / AB_SCALE


def augment(batch, rng, crop):
    """Random crop (of a random size, resized to ``crop``) and horizontal flip of uint8 images."""
    out = np.empty((len(batch), crop, crop, 3), dtype=np.uint8)
    side = batch.shape[1]
    for index, image in enumerate(batch):
        size = int(rng.integers(int(side * 0.75), side + 1))
        y, x = rng.integers(0, side - size + 1, size=2)
        patch = torch.from_numpy(np.ascontiguousarray(image[y : y + size, x : x + size])).permute(2, 0, 1)[None]
        if size != crop:
            patch = F.interpolate(
                patch.float(), size=(crop, crop), mode="bilinear", antialias=True, align_corners=False
            )
            patch = patch.round().clamp(0, 255).byte()
        pixels = patch[0].permute(1, 2, 0).numpy()
        out[index] = pixels[:, ::-1] if rng.random() < 0.5 else pixels
    return out


def soft_targets(ab_norm, centres, sigma):
    """Gaussian soft-encoding of each pixel's ab over the bins: (N, 2, h, w) -> (N, K, h, w)."""
    distance = ((ab_norm[:, None] - centres[None, :, :, None, None]) * AB_SCALE).pow(2).sum(2)
    return torch.softmax(-distance / (2 * sigma**2), dim=1)


def rebalancing_weights(images, centres, sigma, mix, rng, sample=2000):
    """Per-bin weights that lift rare (saturated) colours, from the training photos' ab histogram."""
    chosen = np.sort(rng.choice(len(images), size=min(sample, len(images)), replace=False))
    counts = torch.zeros(len(centres))
    for batch in np.array_split(chosen, max(1, len(chosen) // 100)):
        _, ab_norm = to_lab_norm(images[batch][:, ::4, ::4])
        counts += soft_targets(ab_norm, centres, sigma).sum(dim=(0, 2, 3))
    prior = counts / counts.sum()
    weights = 1.0 / ((1 - mix) * prior + mix / len(prior))
    return weights / (prior * weights).sum()


def _lr(step, config):
    warmup = config.warmup
    if step < warmup:
        return config.learning_rate * (step + 1) / warmup
    progress = (step - warmup) / max(1, config.steps - warmup)
    return 1e-5 + 0.5 * (config.learning_rate - 1e-5) * (1 + math.cos(math.pi * progress))


def train(config):
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    work_dir = Path(config.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)

    paths = training_photos(config.dataset_root)
    cache = work_dir / f"photos-{data.cache_key(paths, config.cache_size)}.npy"
    logger.info("decoding %d photos into %s (once)", len(paths), cache)
    images = data.build_cache(paths, cache, config.cache_size)
    train_index, holdout_index = split_holdout(paths, config.dataset_root, config.holdout, config.seed)
    (work_dir / "holdout.json").write_text(json.dumps([str(paths[i]) for i in holdout_index], indent=1))

    sources = [data.photo_source(paths[i], config.dataset_root) for i in train_index]
    probabilities = np.array([data.SOURCE_WEIGHTS[s] for s in sources])
    probabilities /= probabilities.sum()

    model = CompactColorizer(tuple(config.widths), context=config.context)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate, betas=(0.9, 0.99), weight_decay=1e-5)
    rng = np.random.default_rng(config.seed)
    centres = model.bin_centres
    bin_weights = rebalancing_weights(images, centres, config.soft_sigma, config.rebalance_mix, rng)
    start = 0
    checkpoint = work_dir / "checkpoint.pt"
    if checkpoint.exists():
        state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        start = state["step"]
        logger.info("resumed from step %d", start)
    elif config.init_from:
        initial = torch.load(config.init_from, map_location="cpu", weights_only=True)
        initial = {key: value.float() if value.is_floating_point() else value for key, value in initial.items()}
        missing, unexpected = model.load_state_dict(initial, strict=False)
        if unexpected:
            raise ValueError(f"{config.init_from} is not a compact model of widths {config.widths}: {unexpected[:5]}")
        logger.info("initialised from %s (new: %s)", config.init_from, ", ".join(missing) or "nothing")

    model.train()
    progress = tqdm(range(start, config.steps), initial=start, total=config.steps, desc="training", mininterval=10)
    running = None
    began = time.monotonic()
    for step in progress:
        chosen = rng.choice(train_index, size=config.batch_size, p=probabilities)
        l_norm, ab_norm = to_lab_norm(augment(images[np.sort(chosen)], rng, config.crop))
        hint_ab, mask = simulate_hints(ab_norm, rng)
        logits = model.logits(l_norm, hint_ab, mask)
        target = soft_targets(F.avg_pool2d(ab_norm, 4), centres, config.soft_sigma)
        pixel_weight = bin_weights[target.argmax(dim=1)]
        loss = (-(target * F.log_softmax(logits, dim=1)).sum(dim=1) * pixel_weight).mean()

        for group in optimizer.param_groups:
            group["lr"] = _lr(step, config)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        progress.set_postfix(
            loss=f"{running:.3f}", img_s=f"{(step + 1 - start) * config.batch_size / (time.monotonic() - began):.0f}"
        )
        if (step + 1) % config.checkpoint_every == 0 or step + 1 == config.steps:
            save_checkpoint(checkpoint, model, optimizer, rng, step + 1, config)
    return model


def save_checkpoint(path, model, optimizer, rng, step, config):
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": rng.bit_generator.state,
        "torch_rng": torch.get_rng_state(),
        "step": step,
        "config": asdict(config),
    }
    partial = Path(path).with_suffix(".partial")
    torch.save(state, partial)
    partial.replace(path)


def export_weights(model, output):
    """The shipped file: a plain float16 state_dict (the loader casts back to float32)."""
    state = {key: value.half() if value.is_floating_point() else value for key, value in model.state_dict().items()}
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".partial")
    torch.save(state, partial)
    partial.replace(output)
