"""The project's own compact colorizer: L + ab hints + hint mask in, ab out.

A small U-Net in the SIGGRAPH17 spirit that predicts, at a quarter of the input
resolution, a distribution over a 23x23 grid of ab bins (10 units apart, like
SIGGRAPH17's classification branch) and decodes it with Zhang et al.'s annealed mean.
The decoding temperature is a buffer, so the calibrated value ships with the weights.
"""

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
    takes_hints = True

    def __init__(self, widths=(32, 64, 128, 256), temperature=0.38):
        super().__init__()
        c0, c1, c2, c3 = widths
        self.stem = nn.Sequential(*_conv(4, c0, stride=2), nn.BatchNorm2d(c0))
        self.down4 = nn.Sequential(*_conv(c0, c1, stride=2), *_conv(c1, c1), nn.BatchNorm2d(c1))
        self.down8 = nn.Sequential(*_conv(c1, c2, stride=2), *_conv(c2, c2), nn.BatchNorm2d(c2))
        self.down16 = nn.Sequential(
            *_conv(c2, c3, stride=2), *_conv(c3, c3, dilation=2), *_conv(c3, c3, dilation=4), nn.BatchNorm2d(c3)
        )
        self.up8 = _Up(c3, c2)
        self.up4 = _Up(c2, c1)
        self.classify = nn.Conv2d(c1, len(ab_bin_centres()), 1)
        self.register_buffer("bin_centres", ab_bin_centres() / 110.0)
        self.register_buffer("temperature", torch.tensor(float(temperature)))
        # Hint anchoring (see anchor_to_hints): spatial sigma as a fraction of the output side,
        # lightness sigma in normalised L (L / 100), and how much the prediction counts.
        # Chosen on 40 photos held out of training, never on val/.
        self.anchor_spatial_sigma = 0.2
        self.anchor_lightness_sigma = 0.1
        self.anchor_prior = 0.05

    def logits(self, l_norm, hint_ab_norm, hint_mask):
        x = self.stem(torch.cat((l_norm, hint_ab_norm, hint_mask - 0.5), dim=1))
        skip4 = self.down4(x)
        skip8 = self.down8(skip4)
        x = self.down16(skip8)
        return self.classify(self.up4(self.up8(x, skip8), skip4))

    def decode(self, logits):
        """Annealed mean: softmax(log p / T) weighted bin centres, as normalised ab."""
        probabilities = torch.softmax(logits / self.temperature, dim=1)
        return torch.einsum("nkhw,kc->nchw", probabilities, self.bin_centres)

    def forward(self, l_norm, hint_ab_norm=None, hint_mask=None):
        if hint_ab_norm is None:
            hint_ab_norm = torch.zeros_like(l_norm).expand(-1, 2, -1, -1)
        if hint_mask is None:
            hint_mask = torch.zeros_like(l_norm)
        ab_norm = self.decode(self.logits(l_norm, hint_ab_norm, hint_mask))
        if hint_mask.any():
            ab_norm = self.anchor_to_hints(ab_norm, l_norm, hint_ab_norm, hint_mask)
        return nn.functional.interpolate(ab_norm, scale_factor=4, mode="bilinear", align_corners=False)

    def anchor_to_hints(self, ab_norm, l_norm, hint_ab_norm, hint_mask):
        """Pull the prediction to the hints' colours around them, without crossing edges.

        The network alone follows a hint only loosely; a person who clicked a colour expects to
        see it. The residual (hint minus prediction) at each hinted cell is spread by a joint
        bilateral weight (near in space and in lightness) and blended with the prediction, which
        wins where no hint is near. Parameter-free: nothing here is learned.
        """
        cells = nn.functional.adaptive_avg_pool2d
        size = ab_norm.shape[-2:]
        lightness = cells(l_norm, size)
        coverage = cells(hint_mask, size)
        hint_ab = cells(hint_ab_norm * hint_mask, size) / coverage.clamp_min(1e-6)
        rows, columns = torch.meshgrid(
            torch.arange(size[0], dtype=ab_norm.dtype), torch.arange(size[1], dtype=ab_norm.dtype), indexing="ij"
        )
        spatial_sigma = self.anchor_spatial_sigma * max(size)
        anchored = []
        for index in range(len(ab_norm)):
            hinted = coverage[index, 0] > 0
            if not hinted.any():
                anchored.append(ab_norm[index])
                continue
            residual = (hint_ab[index] - ab_norm[index])[:, hinted]  # (2, P)
            distance2 = (rows[..., None] - rows[hinted]) ** 2 + (columns[..., None] - columns[hinted]) ** 2
            contrast2 = (lightness[index, 0][..., None] - lightness[index, 0][hinted]) ** 2
            weight = torch.exp(
                -distance2 / (2 * spatial_sigma**2) - contrast2 / (2 * self.anchor_lightness_sigma**2)
            )  # (H, W, P)
            correction = (weight @ residual.T) / (weight.sum(-1, keepdim=True) + self.anchor_prior)
            anchored.append(ab_norm[index] + correction.permute(2, 0, 1))
        return torch.stack(anchored)
