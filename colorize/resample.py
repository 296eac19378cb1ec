"""Bilinear resampling of ab maps in numpy, exactly as PyTorch's interpolate with
align_corners=False: the pipeline's upsampling to full resolution and the hint tools'."""

import numpy as np
import numpy.typing as npt

Float32 = npt.NDArray[np.float32]


def bilinear_weights(out_size: int, in_size: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], Float32]:
    """Bilinear source indices and weights (align_corners=False, like PyTorch's interpolate)
    for each output position."""
    scale = in_size / out_size
    source = np.maximum((np.arange(out_size, dtype=np.float64) + 0.5) * scale - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(np.intp), in_size - 1)
    high = np.minimum(low + 1, in_size - 1)
    weight = np.clip(source - low, 0.0, 1.0).astype(np.float32)
    return low, high, weight


def lerp(start: Float32, end: Float32, weight: Float32) -> Float32:
    return start + (end - start) * weight


def resize_ab(ab: Float32, height: int, width: int) -> Float32:
    """Bilinear resize of a (1, 2, h, w) map (align_corners=False, like PyTorch)."""
    low, high, weight = bilinear_weights(width, ab.shape[3])
    wide = lerp(ab[..., low], ab[..., high], weight)
    low, high, weight = bilinear_weights(height, ab.shape[2])
    return lerp(wide[..., low, :], wide[..., high, :], weight[:, None])
