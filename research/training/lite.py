"""Training the lite0 decoder on the frozen encoder's cached features (issue #36).

Two steps, each resumable and seeded:

1. :func:`cache_features`: every training photo, squashed to ``size`` x ``size`` (from the
   same 144-pixel photo cache the compact model trains on), goes through the frozen
   EfficientNet-Lite0 once; its five feature maps (strides 4, 8, 16, 32 and the head's mean)
   are stored as float16 in one memory-mapped array per map, with the photo's pixels beside
   them (for the targets and the simulated hints). Done in chunks; a cut-off run goes on from
   the last chunk written.
2. :func:`train_decoder`: weighted random batches of cached photos (the compact model's
   source weights), simulated hints (research.training.simulated_hints), the soft-encoded
   cross-entropy over the 529 bins at stride 4, Adam with a cosine schedule; a checkpoint
   every ``checkpoint_every`` steps, and the weights with the lowest held-out loss kept.

The features are of the photo as it is (no crops or flips: those would need the encoder again),
which is what makes a CPU run of a few hours possible.
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
from numpy.lib.format import open_memmap

from research.networks.lite import LITE0_HEAD, LITE0_TAPS, LiteColorizer, LiteDecoder, encoder_features, load_encoder
from research.training import data
from research.training.prior import measure_log_prior
from research.training.simulated_hints import simulate_hints
from research.training.train import export_weights, lab_norm, soft_targets, split_holdout, training_photos

logger = logging.getLogger(__name__)


@dataclass
class LiteConfig:
    dataset_root: str
    work_dir: str
    output: str
    size: int = 128
    cache_size: int = 144
    steps: int = 3000
    batch_size: int = 32
    learning_rate: float = 2e-3
    warmup: int = 100
    seed: int = 0
    holdout: int = 200
    checkpoint_every: int = 200
    judge_every: int = 500
    soft_sigma: float = 5.0
    threads: int = 1
    chunk: int = 64
    widths: tuple = (160, 128, 80, 56)
    # At most this many photos (0: all), the first of a seeded shuffle: for a quick run.
    limit: int = 0
    prior_count: int = 300
    prior_size: int = 256


def feature_shapes(size):
    """The cached arrays' per-photo shapes at input ``size``."""
    shapes = {
        f"s{4 * 2**i}": (channels, size // (4 * 2**i), size // (4 * 2**i)) for i, (_, channels) in enumerate(LITE0_TAPS)
    }
    shapes["head"] = (LITE0_HEAD, 1, 1)
    return shapes


def _photo_order(paths, config):
    order = np.random.default_rng(config.seed).permutation(len(paths))
    return np.sort(order[: config.limit]) if config.limit else np.arange(len(paths))


def cache_features(config, encoder=None):
    """Compute (or go on computing) the features of every training photo; returns the arrays."""
    torch.set_num_threads(config.threads)
    work_dir = Path(config.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    paths = training_photos(config.dataset_root)
    photos_file = work_dir / f"photos-{data.cache_key(paths, config.cache_size)}.npy"
    logger.info("decoding %d photos into %s (once)", len(paths), photos_file)
    photos = data.build_cache(paths, photos_file, config.cache_size)
    chosen = _photo_order(paths, config)
    folder = work_dir / f"lite0-{config.size}-{data.cache_key([paths[i] for i in chosen], config.size)}"
    folder.mkdir(exist_ok=True)
    (folder / "photos.json").write_text(json.dumps([str(paths[i]) for i in chosen], indent=0))
    count = len(chosen)
    arrays = {}
    for name, shape in {"pixels": (config.size, config.size, 3), **feature_shapes(config.size)}.items():
        file = folder / f"{name}.npy"
        dtype = np.uint8 if name == "pixels" else np.float16
        arrays[name] = open_memmap(file, mode="r+" if file.exists() else "w+", dtype=dtype, shape=(count, *shape))
    done_file = folder / "done"
    done = int(done_file.read_text()) if done_file.exists() else 0
    if done >= count:
        return folder, arrays, chosen
    encoder = encoder if encoder is not None else load_encoder()
    began = time.monotonic()
    for start in range(done, count, config.chunk):
        index = chosen[start : start + config.chunk]
        rgb = torch.from_numpy(np.array(photos[index])).permute(0, 3, 1, 2).float() / 255
        rgb = F.interpolate(rgb, size=(config.size, config.size), mode="area")
        pixels = (rgb * 255).round().clamp(0, 255).to(torch.uint8)
        l_norm, _ = lab_norm(pixels.float() / 255)
        with torch.no_grad():
            features = encoder_features(encoder, l_norm)
        end = start + len(index)
        arrays["pixels"][start:end] = pixels.permute(0, 2, 3, 1).numpy()
        for name, value in zip(feature_shapes(config.size), features, strict=True):
            arrays[name][start:end] = value.half().numpy()
        for array in arrays.values():
            array.flush()
        done_file.write_text(str(end))
        rate = (end - done) / (time.monotonic() - began)
        logger.info("features: %d / %d photos (%.1f photos/s)", end, count, rate)
    return folder, arrays, chosen


def _batch(arrays, index):
    features = [torch.from_numpy(np.array(arrays[name][index])).float() for name in feature_shapes(0)]
    pixels = torch.from_numpy(np.array(arrays["pixels"][index])).permute(0, 3, 1, 2).float() / 255
    return features, pixels


def _loss(decoder, features, ab_norm, hint_ab, mask, sigma):
    logits = decoder.logits(features, hint_ab, mask)
    target = soft_targets(F.avg_pool2d(ab_norm, 4), decoder.bin_centres, sigma)
    return -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


@torch.no_grad()
def holdout_loss(decoder, arrays, index, config, batch=100):
    """The loss on the held-out photos, without hints."""
    decoder.eval()
    total = 0.0
    for start in range(0, len(index), batch):
        part = index[start : start + batch]
        features, pixels = _batch(arrays, part)
        _, ab_norm = lab_norm(pixels)
        empty = torch.zeros_like(ab_norm[:, :1])
        total += _loss(decoder, features, ab_norm, empty.expand(-1, 2, -1, -1), empty, config.soft_sigma).item() * len(
            part
        )
    decoder.train()
    return total / len(index)


def _lr(step, config):
    if step < config.warmup:
        return config.learning_rate * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    return 1e-5 + 0.5 * (config.learning_rate - 1e-5) * (1 + math.cos(math.pi * progress))


def train_decoder(config):
    """Train the decoder on the cached features; writes the best held-out weights to config.output."""
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    folder, arrays, chosen = cache_features(config)
    paths = training_photos(config.dataset_root)
    own, held = split_holdout(paths, config.dataset_root, config.holdout, config.seed)
    position = {photo: i for i, photo in enumerate(chosen)}
    train_index = np.array([position[i] for i in own if i in position])
    holdout_index = np.array([position[i] for i in held if i in position])
    sources = [data.photo_source(paths[chosen[i]], config.dataset_root) for i in train_index]
    probabilities = np.array([data.SOURCE_WEIGHTS[s] for s in sources])
    probabilities /= probabilities.sum()

    decoder = LiteDecoder(tuple(config.widths))
    optimizer = torch.optim.Adam(decoder.parameters(), lr=config.learning_rate, betas=(0.9, 0.99), weight_decay=1e-5)
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    checkpoint = Path(config.work_dir) / "lite0-checkpoint.pt"
    start, best = 0, math.inf
    if checkpoint.exists():
        state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        decoder.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        rng.bit_generator.state = state["rng"]
        generator.set_state(state["generator"])
        start, best = state["step"], state["best_loss"]
        logger.info("resumed from step %d (best held-out loss %.4f)", start, best)
    decoder.train()
    running = None
    began = time.monotonic()
    for step in range(start, config.steps):
        index = np.sort(rng.choice(train_index, size=config.batch_size, p=probabilities))
        features, pixels = _batch(arrays, index)
        _, ab_norm = lab_norm(pixels)
        hint_ab, mask = simulate_hints(ab_norm, generator)
        loss = _loss(decoder, features, ab_norm, hint_ab, mask, config.soft_sigma)
        for group in optimizer.param_groups:
            group["lr"] = _lr(step, config)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if (step + 1) % 50 == 0:
            rate = (step + 1 - start) * config.batch_size / (time.monotonic() - began)
            logger.info("step %d: loss %.4f (%.0f photos/s)", step + 1, running, rate)
        if (step + 1) % config.judge_every == 0 or step + 1 == config.steps:
            loss_held = holdout_loss(decoder, arrays, holdout_index, config)
            kept = loss_held < best
            logger.info("step %d: held-out loss %.4f%s", step + 1, loss_held, " (best so far, kept)" if kept else "")
            if kept:
                best = loss_held
                export_weights(decoder, config.output)
        if (step + 1) % config.checkpoint_every == 0 or step + 1 == config.steps:
            state = {
                "model": decoder.state_dict(),
                "optimizer": optimizer.state_dict(),
                "rng": rng.bit_generator.state,
                "generator": generator.get_state(),
                "step": step + 1,
                "best_loss": best,
                "config": asdict(config),
            }
            partial = checkpoint.with_suffix(".partial")
            torch.save(state, partial)
            partial.replace(checkpoint)
    return finish(config, paths, [paths[chosen[i]] for i in holdout_index])


def finish(config, paths, held_out, encoder=None):
    """The kept (best held-out) weights with their colour prior measured (research.training.prior:
    on ``prior_count`` photos of train/ outside the held-out ones, at ``prior_size``), written
    back to config.output."""
    decoder = LiteDecoder(tuple(config.widths))
    state = torch.load(config.output, map_location="cpu", weights_only=True)
    decoder.load_state_dict({key: value.float() for key, value in state.items()})
    held = {str(path) for path in held_out}
    candidates = [path for path in data.list_photos(Path(config.dataset_root) / "train") if str(path) not in held]
    rng = np.random.default_rng(config.seed)
    chosen = sorted(rng.choice(len(candidates), size=min(config.prior_count, len(candidates)), replace=False))
    model = LiteColorizer(decoder, encoder)
    decoder.log_prior.copy_(measure_log_prior(model, [candidates[i] for i in chosen], input_size=config.prior_size))
    export_weights(decoder, config.output)
    logger.info("wrote %s with its colour prior (%d photos at %d px)", config.output, len(chosen), config.prior_size)
    return decoder
