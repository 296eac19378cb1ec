"""The training photos: listed by source, decoded once into a small uint8 cache, sampled by weight."""

import hashlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}

# Relative sampling weight of one photo from each source. train/ holds the varied,
# higher-resolution photos; the extra sets are small, narrow in subject, and many (faces
# alone are 5000), so each of their photos counts for less.
SOURCE_WEIGHTS = {
    "train": 3.0,
    "imagenette": 1.0,
    "faces": 0.4,
    "scenes": 0.8,
    "pets": 0.6,
    "flowers": 0.8,
}


def list_photos(folder):
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)


def photo_source(path, dataset_root):
    """The source a photo belongs to: 'train' or the sub-folder name inside train-extra/."""
    relative = Path(path).relative_to(dataset_root)
    return "train" if relative.parts[0] == "train" else relative.parts[1]


def load_square(path, size):
    """Decode a photo and squash it to size x size RGB, as the networks see whole photos."""
    with Image.open(path) as image:
        image.draft("RGB", (size * 2, size * 2))
        return np.asarray(image.convert("RGB").resize((size, size), Image.Resampling.BICUBIC))


def _load_square_args(args):
    return load_square(*args)


def build_cache(paths, cache_file, size, workers=2):
    """Decode every photo once into an (N, size, size, 3) uint8 array stored at cache_file."""
    cache_file = Path(cache_file)
    if cache_file.exists():
        return np.load(cache_file, mmap_mode="r")
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    # spawn, not fork: the caller may already run torch's threads.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        images = list(pool.map(_load_square_args, ((p, size) for p in paths), chunksize=64))
    array = np.stack(images)
    partial = cache_file.with_suffix(".partial.npy")
    np.save(partial, array)
    partial.replace(cache_file)
    return array


def cache_key(paths, size):
    digest = hashlib.sha256(f"{size}\n".encode())
    for path in paths:
        digest.update(f"{path}\n".encode())
    return digest.hexdigest()[:16]
