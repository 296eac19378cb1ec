"""sRGB <-> CIELAB (D65, 2 degree observer) in numpy, channel-last (..., 3).

The constants and branch points match scikit-image's ``rgb2lab``/``lab2rgb``, which the
authors' reference pipeline uses, so results agree with it to float precision. The engine
runs without torch; training has its own tensor version (``research.training.torch_colour``) built
on the same constants.
"""

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]

XYZ_FROM_RGB = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
RGB_FROM_XYZ = np.linalg.inv(XYZ_FROM_RGB)
WHITE_D65 = np.array([0.95047, 1.0, 1.08883])
# Lab's companding: f(t) = t^(1/3) above EPSILON, KAPPA * t + OFFSET below; its inverse
# switches at F_KNEE (= f(EPSILON)).
EPSILON = 0.008856
KAPPA = 7.787
OFFSET = 16.0 / 116.0
F_KNEE = 0.2068966


def srgb_to_linear(rgb: FloatArray) -> FloatArray:
    return np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)


def linear_to_srgb(linear: FloatArray) -> FloatArray:
    return np.where(linear > 0.0031308, 1.055 * np.maximum(linear, 0.0031308) ** (1 / 2.4) - 0.055, linear * 12.92)


def lab_f(t: FloatArray) -> FloatArray:
    return np.where(t > EPSILON, np.cbrt(np.maximum(t, EPSILON)), KAPPA * t + OFFSET)


def lab_f_inverse(f: FloatArray) -> FloatArray:
    return np.where(f > F_KNEE, f**3, (f - OFFSET) / KAPPA)


def rgb_to_lab(rgb: FloatArray) -> FloatArray:
    """sRGB in [0, 1], shape (..., 3) -> Lab (L in 0..100, ab roughly -110..110)."""
    xyz = srgb_to_linear(np.asarray(rgb, dtype=np.float64)) @ (XYZ_FROM_RGB / WHITE_D65[:, None]).T
    f = lab_f(xyz)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    return np.stack((116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)), axis=-1)


def rgb_to_lightness(rgb: FloatArray) -> FloatArray:
    """Only the L channel of :func:`rgb_to_lab`, shape (...); a third of the work."""
    luminance = srgb_to_linear(np.asarray(rgb, dtype=np.float64)) @ XYZ_FROM_RGB[1]
    return 116 * lab_f(luminance) - 16


def lab_to_rgb(lab: FloatArray) -> FloatArray:
    """Lab, shape (..., 3) -> sRGB clipped to [0, 1]."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16) / 116
    fxyz = np.stack((fy + lab[..., 1] / 500, fy, np.maximum(fy - lab[..., 2] / 200, 0)), axis=-1)
    linear = lab_f_inverse(fxyz) @ (RGB_FROM_XYZ * WHITE_D65).T
    return np.clip(linear_to_srgb(linear), 0, 1)
