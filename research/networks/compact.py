"""The project's own compact colorizer: L + ab hints + hint mask in, ab out.

A small U-Net in the SIGGRAPH17 spirit that predicts, at a quarter of the input
resolution, a distribution over a 23x23 grid of ab bins (10 units apart, like
SIGGRAPH17's classification branch) and decodes it with Zhang et al.'s annealed mean.
The decoding temperature is a buffer, so the calibrated value ships with the weights; so is
the model's colour prior (``log_prior``: the log of its own mean predicted distribution over
training photos), which vividness takes out of the prediction (colorize.decoding).

Version 2 adds global context at the bottleneck: the image-wide mean of the bottleneck's
features, through two 1x1 convolutions, added back to every position (``context``), so one
part of the photo can inform the colours of another far away.
"""

import math

import torch
from torch import nn

AB_GRID_STEP = 10.0
AB_GRID_LIMIT = 110.0


def ab_bin_centres():
    """(529, 2) ab values of the classification bins, a-major."""
    axis = torch.arange(-AB_GRID_LIMIT, AB_GRID_LIMIT + 1, AB_GRID_STEP)
    a, b = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack((a.flatten(), b.flatten()), dim=1)


def _conv(c_in, c_out, *, stride=1, dilation=1):
    return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=dilation, dilation=dilation), nn.ReLU(True)]


class _Up(nn.Module):
    """Transposed-conv upsampling, summed with the encoder's skip, then a conv."""

    def __init__(self, c_in, c_out):
        super().__init__()
        self.up = nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1)
        self.refine = nn.Sequential(nn.ReLU(True), *_conv(c_out, c_out), nn.BatchNorm2d(c_out))

    def forward(self, x, skip):
        return self.refine(self.up(x) + skip)


class CompactColorizer(nn.Module):
    """Predicts normalised ab at a quarter of the input's resolution; the pipeline anchors it
    to the hints (colorize.hints.anchor) and upsamples it (the registry's output_stride)."""

    def __init__(self, widths=(32, 64, 128, 256), temperature=0.38, context=True, prior=True):
        super().__init__()
        c0, c1, c2, c3 = widths
        self.stem = nn.Sequential(*_conv(4, c0, stride=2), nn.BatchNorm2d(c0))
        self.down4 = nn.Sequential(*_conv(c0, c1, stride=2), *_conv(c1, c1), nn.BatchNorm2d(c1))
        self.down8 = nn.Sequential(*_conv(c1, c2, stride=2), *_conv(c2, c2), nn.BatchNorm2d(c2))
        self.down16 = nn.Sequential(
            *_conv(c2, c3, stride=2), *_conv(c3, c3, dilation=2), *_conv(c3, c3, dilation=4), nn.BatchNorm2d(c3)
        )
        if context:
            self.context = nn.Sequential(
                nn.AdaptiveAvgPool2d(1), nn.Conv2d(c3, c3, 1), nn.ReLU(True), nn.Conv2d(c3, c3, 1)
            )
            # Starts as "no context", so weights trained without it load and carry on unchanged.
            nn.init.zeros_(self.context[3].weight)
            nn.init.zeros_(self.context[3].bias)
        else:
            self.context = None
        self.up8 = _Up(c3, c2)
        self.up4 = _Up(c2, c1)
        self.classify = nn.Conv2d(c1, len(ab_bin_centres()), 1)
        self.register_buffer("bin_centres", ab_bin_centres() / 110.0)
        self.register_buffer("temperature", torch.tensor(float(temperature)))
        # Uniform until measured (research.training.prior); then vividness has something to take
        # out. The first files (compact-v1) have none: uniform.
        bins = len(ab_bin_centres())
        self.register_buffer("log_prior", torch.full((bins,), -math.log(bins)) if prior else None)

    def logits(self, l_norm, hint_ab_norm, hint_mask):
        x = self.stem(torch.cat((l_norm, hint_ab_norm, hint_mask - 0.5), dim=1))
        skip4 = self.down4(x)
        skip8 = self.down8(skip4)
        x = self.down16(skip8)
        if self.context is not None:
            x = x + self.context(x)
        return self.classify(self.up4(self.up8(x, skip8), skip4))

    def decode(self, logits, strength=0.0, temperature=None):
        """Annealed mean of the prior-corrected distribution, as normalised ab:
        softmax((log p - strength * log prior) / T) weighted bin centres (T: the buffer's
        calibrated temperature unless given). The reference for colorize.decoding."""
        temperature = self.temperature if temperature is None else temperature
        corrected = torch.log_softmax(logits, dim=1)
        if self.log_prior is not None:
            corrected = corrected - strength * self.log_prior[None, :, None, None]
        probabilities = torch.softmax(corrected / temperature, dim=1)
        return torch.einsum("nkhw,kc->nchw", probabilities, self.bin_centres)

    def forward(self, l_norm, hint_ab_norm=None, hint_mask=None, strength=0.0, temperature=None):
        if hint_ab_norm is None:
            hint_ab_norm = torch.zeros_like(l_norm).expand(-1, 2, -1, -1)
        if hint_mask is None:
            hint_mask = torch.zeros_like(l_norm)
        return self.decode(self.logits(l_norm, hint_ab_norm, hint_mask), strength, temperature)
