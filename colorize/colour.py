"""sRGB <-> CIELAB (D65, 2 degree observer) on torch tensors, channel-first.

The constants and branch points match scikit-image's ``rgb2lab``/``lab2rgb``, which the
authors' reference pipeline uses, so results agree with it to float precision.
"""

import torch

_XYZ_FROM_RGB = torch.tensor(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]],
    dtype=torch.float64,
)
_RGB_FROM_XYZ = torch.linalg.inv(_XYZ_FROM_RGB)
_WHITE_D65 = torch.tensor([0.95047, 1.0, 1.08883], dtype=torch.float64)
_EPSILON = 0.008856
_KAPPA = 7.787
_OFFSET = 16.0 / 116.0


def _mix(matrix, image, dtype):
    """Apply a 3x3 colour matrix to a (..., 3, H, W) tensor."""
    return torch.einsum("ij,...jhw->...ihw", matrix.to(dtype), image)


def srgb_to_linear(rgb):
    return torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)


def linear_to_srgb(linear):
    return torch.where(linear > 0.0031308, 1.055 * linear.clamp_min(0.0031308) ** (1 / 2.4) - 0.055, linear * 12.92)


def _lab_f(t):
    return torch.where(t > _EPSILON, t.clamp_min(_EPSILON) ** (1 / 3), _KAPPA * t + _OFFSET)


def rgb_to_lab(rgb):
    """sRGB in [0, 1], shape (..., 3, H, W) -> Lab (L in 0..100, ab roughly -110..110)."""
    xyz = _mix(_XYZ_FROM_RGB / _WHITE_D65[:, None], srgb_to_linear(rgb), rgb.dtype)
    fx, fy, fz = _lab_f(xyz).unbind(-3)
    return torch.stack((116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)), dim=-3)


def rgb_to_lightness(rgb):
    """Only the L channel of :func:`rgb_to_lab`, shape (..., 1, H, W); a third of the work."""
    weights = _XYZ_FROM_RGB[1].to(rgb.dtype).view(3, 1, 1)
    luminance = (srgb_to_linear(rgb) * weights).sum(-3, keepdim=True)
    return 116 * _lab_f(luminance) - 16


def lab_to_rgb(lab):
    """Lab, shape (..., 3, H, W) -> sRGB clipped to [0, 1]."""
    lightness, a, b = lab.unbind(-3)
    fy = (lightness + 16) / 116
    fxyz = torch.stack((fy + a / 500, fy, (fy - b / 200).clamp_min(0)), dim=-3)
    xyz = torch.where(fxyz > 0.2068966, fxyz**3, (fxyz - _OFFSET) / _KAPPA)
    linear = _mix(_RGB_FROM_XYZ * _WHITE_D65, xyz, lab.dtype)
    return linear_to_srgb(linear).clamp(0, 1)
