"""Colour maths against scikit-image (what the authors' pipeline uses), and the pipeline
against the authors' pre/post-processing written out with scikit-image."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import color

from colorize import colour, pipeline, recombination, registry, site
from research.networks import build_network
from research.testing import photo

pytestmark = pytest.mark.filterwarnings("ignore:Conversion from CIE-LAB")


def test_rgb_to_lab_matches_skimage():
    rgb = np.random.default_rng(0).random((3, 17, 13))
    ours = colour.rgb_to_lab(rgb.transpose(1, 2, 0))
    theirs = color.rgb2lab(rgb.transpose(1, 2, 0))
    assert np.abs(ours - theirs).max() < 1e-6


def test_lab_to_rgb_matches_skimage_including_out_of_gamut():
    rng = np.random.default_rng(1)
    lab = np.stack((rng.uniform(0, 100, (9, 11)), rng.uniform(-110, 110, (9, 11)), rng.uniform(-110, 110, (9, 11))))
    ours = colour.lab_to_rgb(lab.transpose(1, 2, 0))
    theirs = color.lab2rgb(lab.transpose(1, 2, 0))
    assert np.abs(ours - theirs).max() < 1e-6


def test_strip_conversion_matches_skimage_to_one_level():
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (6, 50, 3), dtype=np.uint8)
    ab = rng.uniform(-90, 90, (2, 6, 50)).astype(np.float32)
    ours = recombination._strip_to_srgb8(pixels, ab[0].copy(), ab[1].copy()).astype(int)
    lightness = color.rgb2lab(pixels)[..., :1]
    theirs = color.lab2rgb(np.concatenate((lightness, ab.transpose(1, 2, 0).astype(np.float64)), axis=-1))
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


def test_pipeline_matches_the_reference_pipeline(engine_weights):
    spec = registry.get_spec("eccv16")
    network = build_network("eccv16").eval()
    network.load_state_dict(torch.load(site.weights_store().source_path(spec), weights_only=True))
    source = photo(150, 100)
    ours = np.asarray(pipeline.colorize(source, model=site.model("eccv16"))).astype(float)
    theirs = reference_colorize(np.asarray(source), network)
    assert psnr(ours, theirs) > 45
    assert np.abs(ours - theirs).max() <= 2
