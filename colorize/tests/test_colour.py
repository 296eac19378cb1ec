"""Colour maths against scikit-image (what the authors' pipeline uses), and the pipeline
against the authors' pre/post-processing written out with scikit-image."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import color

from colorize import colour, pipeline, registry
from colorize.tests.conftest import photo

pytestmark = pytest.mark.filterwarnings("ignore:Conversion from CIE-LAB")


def test_rgb_to_lab_matches_skimage():
    rgb = np.random.default_rng(0).random((3, 17, 13))
    ours = colour.rgb_to_lab(torch.from_numpy(rgb)).numpy()
    theirs = color.rgb2lab(rgb.transpose(1, 2, 0)).transpose(2, 0, 1)
    assert np.abs(ours - theirs).max() < 1e-6


def test_lab_to_rgb_matches_skimage_including_out_of_gamut():
    rng = np.random.default_rng(1)
    lab = np.stack((rng.uniform(0, 100, (9, 11)), rng.uniform(-110, 110, (9, 11)), rng.uniform(-110, 110, (9, 11))))
    ours = colour.lab_to_rgb(torch.from_numpy(lab)).numpy()
    theirs = color.lab2rgb(lab.transpose(1, 2, 0)).transpose(2, 0, 1)
    assert np.abs(ours - theirs).max() < 1e-6


def test_strip_conversion_matches_skimage_to_one_level():
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (6, 50, 3), dtype=np.uint8)
    ab = torch.from_numpy(rng.uniform(-90, 90, (2, 6, 50))).float()
    ours = pipeline._strip_to_srgb8(pixels, ab[0].clone(), ab[1].clone()).astype(int)
    lightness = color.rgb2lab(pixels)[..., :1]
    theirs = color.lab2rgb(np.concatenate((lightness, ab.permute(1, 2, 0).double().numpy()), axis=-1))
    assert np.abs(ours - np.round(theirs * 255)).max() <= 1


def reference_colorize(rgb, network):
    """The authors' util.preprocess_img / postprocess_tens (rz-colorization 1.0.5), verbatim in
    substance: bicubic resize of the uint8 RGB, skimage L, bilinear ab upsampling, lab2rgb."""
    resized = np.asarray(Image.fromarray(rgb).resize((256, 256), resample=3))
    l_orig = torch.Tensor(color.rgb2lab(rgb)[:, :, 0])[None, None]
    l_small = torch.Tensor(color.rgb2lab(resized)[:, :, 0])[None, None]
    with torch.no_grad():
        ab = network((l_small - 50) / 100) * 110
    ab = F.interpolate(ab, size=l_orig.shape[2:], mode="bilinear")
    lab = torch.cat((l_orig, ab), dim=1)[0].numpy().transpose(1, 2, 0)
    return (np.clip(color.lab2rgb(lab), 0, 1) * 255).round()


def psnr(first, second):
    mse = np.mean((first - second) ** 2)
    return np.inf if mse == 0 else 10 * np.log10(255**2 / mse)


def test_pipeline_in_float32_matches_the_reference_pipeline(engine_weights, settings):
    settings.COLORIZE_CPU_BF16 = "0"
    source = photo(150, 100)
    network = registry.load_model("eccv16")
    ours = np.asarray(pipeline.colorize(source, model="eccv16")).astype(float)
    theirs = reference_colorize(np.asarray(source), network)
    assert psnr(ours, theirs) > 45
    assert np.abs(ours - theirs).max() <= 2


def test_pipeline_in_bfloat16_stays_within_40_db_of_the_reference(engine_weights, settings):
    settings.COLORIZE_CPU_BF16 = "1"
    source = photo(150, 100)
    network = registry.load_model("eccv16")
    ours = np.asarray(pipeline.colorize(source, model="eccv16")).astype(float)
    assert psnr(ours, reference_colorize(np.asarray(source), network)) > 40


def test_bf16_setting_and_model_flag(settings):
    compact, eccv16 = registry.get_spec("compact"), registry.get_spec("eccv16")
    settings.COLORIZE_CPU_BF16 = "1"
    assert registry.use_bf16(eccv16) and not registry.use_bf16(compact)
    settings.COLORIZE_CPU_BF16 = "0"
    assert not registry.use_bf16(eccv16)
    settings.COLORIZE_CPU_BF16 = "auto"
    assert registry.use_bf16(eccv16) == registry.native_bf16()
