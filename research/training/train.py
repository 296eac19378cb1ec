"""Training loop for the compact colorizer: seeded, checkpointed, resumable.

Works at a small square resolution, on the CPU or a GPU (``device``): every photo is decoded
once into a uint8 cache, which sits on the device; each step takes a weighted random batch, a
random crop and flip, simulates user hints and minimises a class-rebalanced, soft-encoded
cross-entropy over ab bins (Zhang et al. 2016), all on the device.
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
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from research.networks.compact import CompactColorizer
from research.networks.zhang import AB_SCALE, L_CENTER, L_SCALE
from research.training import data
from research.training.simulated_hints import simulate_hints
from research.training.torch_colour import rgb_to_lab

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
    # The smallest crop, as a fraction of the cached photo's side (v1-v3: 0.75).
    crop_min_scale: float = 0.75
    # Exposure jitter: each crop's sRGB raised to a power between exp(-j) and exp(j), so the
    # network sees each photo lighter and darker (0: none, v1-v3). Against learning a small set
    # of photos by heart, and old photos' tones vary.
    exposure_jitter: float = 0.0
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
    # "cpu", or "cuda" where a GPU is lent (bfloat16 autocast there).
    device: str = "cpu"
    # Also keep the weights every so many steps (weights-<step>.pt in the work folder), with the
    # held-out photos' loss logged, to compare candidates from one run. 0: only the last.
    keep_every: int = 0
    # Where those go (default: the work folder); somewhere they survive the run being cut off.
    keep_dir: str = ""
    # Early stopping: of the kept weights, keep only the one with the lowest held-out loss so
    # far, as best.pt (the loss of the starting weights logged first, as the one to beat).
    keep_best: bool = False
    # An exponential moving average of the weights (its decay per step; 0: none), which is then
    # what is judged on the held-out photos, kept and written: with batches of 32 the weights
    # wander (v5's held-out loss moved by up to 0.04 between kept steps late in its run).
    ema_decay: float = 0.0


def training_photos(dataset_root):
    root = Path(dataset_root)
    return data.list_photos(root / "train") + data.list_photos(root / "train-extra")


def split_holdout(paths, dataset_root, count, seed):
    """Keep ``count`` photos of train/ out of training, to calibrate the decoding temperature."""
    rng = np.random.default_rng(seed)
    own = [i for i, p in enumerate(paths) if data.photo_source(p, dataset_root) == "train"]
    held = set(rng.choice(own, size=min(count, len(own)), replace=False).tolist())
    return [i for i in range(len(paths)) if i not in held], sorted(held)


def lab_norm(rgb):
    """(N, 3, H, W) sRGB in [0, 1], on any device -> (l_norm (N, 1, H, W), ab_norm (N, 2, H, W))."""
    lab = rgb_to_lab(rgb)
    return (lab[:, :1] - L_CENTER) / L_SCALE, lab[:, 1:] / AB_SCALE


def to_lab_norm(rgb_uint8):
    """(N, H, W, 3) uint8 array -> (l_norm (N, 1, H, W), ab_norm (N, 2, H, W)) on the CPU."""
    return lab_norm(torch.from_numpy(np.ascontiguousarray(rgb_uint8)).permute(0, 3, 1, 2).float() / 255)


def augment(batch, generator, crop, min_scale=0.75, exposure_jitter=0.0):
    """Random crop (of ``min_scale``-100% of the side, resized to ``crop``), horizontal flip and
    exposure change (sRGB to a power in exp(+-exposure_jitter)) of a uint8 batch (N, S, S, 3)
    -> sRGB in [0, 1] (N, 3, crop, crop), on the batch's device, in one resampling for the
    whole batch."""
    count, side = batch.shape[:2]
    device = batch.device

    def uniform():
        return torch.rand(count, generator=generator, device=device)

    size = (side * (min_scale + (1 - min_scale) * uniform())).floor().clamp(min=1, max=side)
    y, x = (side - size + 1) * uniform(), (side - size + 1) * uniform()
    y, x = y.floor(), x.floor()
    flip = torch.where(uniform() < 0.5, -1.0, 1.0)
    # Output coordinate o in [-1, 1] samples the input at scale * o + shift (align_corners=False).
    theta = torch.zeros((count, 2, 3), device=device)
    theta[:, 0, 0] = flip * size / side
    theta[:, 0, 2] = (2 * x + size) / side - 1
    theta[:, 1, 1] = size / side
    theta[:, 1, 2] = (2 * y + size) / side - 1
    grid = F.affine_grid(theta, [count, 3, crop, crop], align_corners=False)
    images = batch.permute(0, 3, 1, 2).float() / 255
    resampled = F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False).clamp(0, 1)
    if not exposure_jitter:
        return resampled
    power = torch.exp(exposure_jitter * (2 * uniform() - 1))
    return resampled.pow(power[:, None, None, None])


def soft_targets(ab_norm, centres, sigma):
    """Gaussian soft-encoding of each pixel's ab over the bins: (N, 2, h, w) -> (N, K, h, w).

    The bins are a full square grid (a-major), so the 2-D Gaussian and its normalisation split
    into one along a times one along b: a third of a CPU training step before, now a product.
    """
    side = math.isqrt(len(centres))
    axis = centres[:side, 1]  # the grid's values along either axis
    if side * side != len(centres) or not torch.equal(centres[::side, 0], axis):
        raise ValueError("soft_targets needs the bins of a full square a-major grid (ab_bin_centres)")
    offsets = (ab_norm[:, :, None] - axis[None, None, :, None, None]) * AB_SCALE
    per_axis = torch.softmax(-offsets.pow(2) / (2 * sigma**2), dim=2)  # (N, 2, side, h, w)
    return (per_axis[:, 0, :, None] * per_axis[:, 1, None, :]).flatten(1, 2)


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
    device = torch.device(config.device)
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
    rng = np.random.default_rng(config.seed)
    bin_weights = rebalancing_weights(images, model.bin_centres, config.soft_sigma, config.rebalance_mix, rng)
    start = 0
    checkpoint = work_dir / "checkpoint.pt"
    state = torch.load(checkpoint, map_location="cpu", weights_only=False) if checkpoint.exists() else None
    if state:
        model.load_state_dict(state["model"])
    elif config.init_from:
        _initialise(model, config)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate, betas=(0.9, 0.99), weight_decay=1e-5)
    generator = torch.Generator(device).manual_seed(config.seed)
    if state:
        optimizer.load_state_dict(state["optimizer"])
        rng.bit_generator.state = state["rng"]
        start = state["step"]
        _restore_generator(generator, state, config.seed + start)
        logger.info("resumed from step %d", start)

    average = _moving_average(model, config, state)
    judged = model if average is None else average.module
    pixels = torch.from_numpy(np.array(images)).to(device)
    holdout_pixels = pixels[torch.as_tensor(holdout_index, device=device)]
    bin_weights = bin_weights.to(device)
    best = _BestWeights(Path(config.keep_dir or work_dir) / "best.pt", judged, holdout_pixels, config)
    best.loss = state.get("best_loss", math.inf) if state else math.inf
    if config.keep_best and math.isinf(best.loss):
        best.offer(start)
    model.train()
    progress = tqdm(range(start, config.steps), initial=start, total=config.steps, desc="training", mininterval=10)
    running = None
    began = time.monotonic()
    for step in progress:
        chosen = torch.as_tensor(
            np.sort(rng.choice(train_index, size=config.batch_size, p=probabilities)), device=device
        )
        crops = augment(pixels[chosen], generator, config.crop, config.crop_min_scale, config.exposure_jitter)
        l_norm, ab_norm = lab_norm(crops)
        hint_ab, mask = simulate_hints(ab_norm, generator)
        loss = _loss(model, l_norm, ab_norm, hint_ab, mask, config, bin_weights)

        for group in optimizer.param_groups:
            group["lr"] = _lr(step, config)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if average is not None:
            average.update_parameters(model)

        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        progress.set_postfix(
            loss=f"{running:.3f}", img_s=f"{(step + 1 - start) * config.batch_size / (time.monotonic() - began):.0f}"
        )
        if config.keep_every and (step + 1) % config.keep_every == 0:
            if config.keep_best:
                best.offer(step + 1)
            else:
                export_weights(judged, Path(config.keep_dir or work_dir) / f"weights-{step + 1}.pt")
                logger.info("step %d: held-out loss %.4f", step + 1, holdout_loss(judged, holdout_pixels, config))
            model.train()
        if (step + 1) % config.checkpoint_every == 0 or step + 1 == config.steps:
            save_checkpoint(checkpoint, model, optimizer, rng, generator, step + 1, config, best.loss, average)
    return judged


def _moving_average(model, config, state):
    """The weights' exponential moving average (torch's AveragedModel, batch-norm statistics
    included), where a checkpoint left it; None without ``config.ema_decay``."""
    if not config.ema_decay:
        return None
    average = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(config.ema_decay), use_buffers=True)
    if state and "average" in state:
        average.load_state_dict(state["average"])
    elif state:
        logger.warning("the checkpoint has no weight average (a run without one): it starts from the weights")
    return average


class _BestWeights:
    """The weights with the lowest held-out loss seen in this run (early stopping)."""

    def __init__(self, path, model, holdout_pixels, config):
        self.path, self.model, self.holdout_pixels, self.config = path, model, holdout_pixels, config
        self.loss = math.inf

    def offer(self, step):
        loss = holdout_loss(self.model, self.holdout_pixels, self.config)
        improved = loss < self.loss
        logger.info("step %d: held-out loss %.4f%s", step, loss, " (best so far, kept)" if improved else "")
        if improved:
            self.loss = loss
            export_weights(self.model, self.path)


def _restore_generator(generator, state, fallback_seed):
    """The batch generator where the checkpoint left it. A checkpoint from before the batch
    pipeline moved to torch (it kept "torch_rng" only) resumes the model and optimizer with
    the generator freshly seeded: the crops and hints from there on differ from an unbroken run."""
    if "generator" in state:
        generator.set_state(state["generator"])
        return
    logger.warning("the checkpoint has no batch generator state (an older run): reseeding it with %d", fallback_seed)
    generator.manual_seed(fallback_seed)


def _initialise(model, config):
    initial = torch.load(config.init_from, map_location="cpu", weights_only=True)
    initial = {key: value.float() if value.is_floating_point() else value for key, value in initial.items()}
    missing, unexpected = model.load_state_dict(initial, strict=False)
    if unexpected:
        raise ValueError(f"{config.init_from} is not a compact model of widths {config.widths}: {unexpected[:5]}")
    logger.info("initialised from %s (new: %s)", config.init_from, ", ".join(missing) or "nothing")


def _loss(model, l_norm, ab_norm, hint_ab, mask, config, bin_weights=None):
    """Soft-encoded cross-entropy over the ab bins at the network's quarter resolution."""
    with torch.autocast(l_norm.device.type, dtype=torch.bfloat16, enabled=l_norm.device.type == "cuda"):
        logits = model.logits(l_norm, hint_ab, mask)
    target = soft_targets(F.avg_pool2d(ab_norm, 4), model.bin_centres, config.soft_sigma)
    per_pixel = -(target * F.log_softmax(logits.float(), dim=1)).sum(dim=1)
    if bin_weights is not None:
        per_pixel = per_pixel * bin_weights[target.argmax(dim=1)]
    return per_pixel.mean()


@torch.no_grad()
def holdout_loss(model, holdout_pixels, config, batch=50):
    """The loss on the held-out training photos, whole and without hints (a candidate's check)."""
    model.eval()
    losses = []
    for chunk in holdout_pixels.split(batch):
        rgb = F.interpolate(chunk.permute(0, 3, 1, 2).float() / 255, size=(config.crop, config.crop), mode="area")
        l_norm, ab_norm = lab_norm(rgb)
        empty = torch.zeros_like(l_norm)
        losses.append(_loss(model, l_norm, ab_norm, empty.expand(-1, 2, -1, -1), empty, config) * len(chunk))
    return (sum(losses) / len(holdout_pixels)).item()


def save_checkpoint(path, model, optimizer, rng, generator, step, config, best_loss=math.inf, average=None):
    state = {
        "best_loss": best_loss,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": rng.bit_generator.state,
        "generator": generator.get_state(),
        "step": step,
        "config": asdict(config),
    }
    if average is not None:
        state["average"] = average.state_dict()
    partial = Path(path).with_suffix(".partial")
    torch.save(state, partial)
    partial.replace(path)


def export_weights(model, output):
    """The shipped file: a plain float16 state_dict on the CPU (the loader casts back to float32)."""
    state = {
        key: (value.half() if value.is_floating_point() else value).cpu() for key, value in model.state_dict().items()
    }
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".partial")
    torch.save(state, partial)
    partial.replace(output)
