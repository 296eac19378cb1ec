"""sRGB -> CIELAB for training, in torch on any device, channel-first (N, 3, H, W).

The same formula and constants as the engine's numpy version (colorize.colour), so what the
network learns from is what the pipeline feeds it; the training batches stay on the GPU.
"""

import torch

from colorize import colour


def rgb_to_lab(rgb):
    """sRGB in [0, 1], (N, 3, H, W) -> Lab (N, 3, H, W), L in 0..100."""
    linear = torch.where(rgb > 0.04045, ((rgb.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    to_xyz = torch.as_tensor(colour.XYZ_FROM_RGB / colour.WHITE_D65[:, None], dtype=rgb.dtype, device=rgb.device)
    xyz = torch.einsum("ij,njhw->nihw", to_xyz, linear)
    f = torch.where(xyz > colour.EPSILON, xyz.clamp_min(colour.EPSILON) ** (1 / 3), colour.KAPPA * xyz + colour.OFFSET)
    fx, fy, fz = f[:, 0], f[:, 1], f[:, 2]
    return torch.stack((116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)), dim=1)
