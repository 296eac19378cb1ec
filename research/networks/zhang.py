"""Zhang et al.'s ECCV16 and SIGGRAPH17 colorizers.

The module and attribute names mirror the authors' release so that their official
state_dicts load with ``strict=True``. Inputs and outputs use the papers' normalisation:
``l_norm = (L - 50) / 100``, ``ab_norm = ab / 110``.
"""

import torch
from torch import nn

AB_SCALE = 110.0
L_CENTER = 50.0
L_SCALE = 100.0


def _conv_block(widths, *, last_stride=1, dilation=1):
    """3x3 Conv+ReLU over consecutive ``widths``, the last conv strided, closed by BatchNorm."""
    layers = []
    pairs = list(zip(widths, widths[1:], strict=False))
    for index, (c_in, c_out) in enumerate(pairs):
        stride = last_stride if index == len(pairs) - 1 else 1
        layers += [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=dilation, dilation=dilation), nn.ReLU(True)]
    return [*layers, nn.BatchNorm2d(widths[-1])]


class ECCV16(nn.Module):
    """Colorful Image Colorization (ECCV 2016): L in, ab out, via 313 ab classes."""

    def __init__(self, num_bins=313):
        super().__init__()
        self.model1 = nn.Sequential(*_conv_block([1, 64, 64], last_stride=2))
        self.model2 = nn.Sequential(*_conv_block([64, 128, 128], last_stride=2))
        self.model3 = nn.Sequential(*_conv_block([128, 256, 256, 256], last_stride=2))
        self.model4 = nn.Sequential(*_conv_block([256, 512, 512, 512]))
        self.model5 = nn.Sequential(*_conv_block([512, 512, 512, 512], dilation=2))
        self.model6 = nn.Sequential(*_conv_block([512, 512, 512, 512], dilation=2))
        self.model7 = nn.Sequential(*_conv_block([512, 512, 512, 512]))
        self.model8 = nn.Sequential(
            nn.ConvTranspose2d(512, 256, kernel_size=4, stride=2, padding=1, bias=True),
            nn.ReLU(True),
            nn.Conv2d(256, 256, 3, padding=1),
            nn.ReLU(True),
            nn.Conv2d(256, 256, 3, padding=1),
            nn.ReLU(True),
            nn.Conv2d(256, num_bins, kernel_size=1, bias=True),
        )
        self.softmax = nn.Softmax(dim=1)
        self.model_out = nn.Conv2d(num_bins, 2, kernel_size=1, padding=0, dilation=1, stride=1, bias=False)
        self.upsample4 = nn.Upsample(scale_factor=4, mode="bilinear")

    def logits(self, l_norm):
        """The 313 class scores at a quarter of the input's resolution."""
        x = self.model1(l_norm)
        for block in (self.model2, self.model3, self.model4, self.model5, self.model6, self.model7, self.model8):
            x = block(x)
        return x

    def forward(self, l_norm, temperature=1.0):
        """ab from the annealed mean softmax(log p / T) (T = 1: the authors' plain mean)."""
        x = self.logits(l_norm)
        if temperature != 1.0:
            x = torch.log_softmax(x, dim=1) / temperature
        ab_norm = self.model_out(self.softmax(x))
        return self.upsample4(ab_norm)


class SIGGRAPH17(nn.Module):
    """Real-Time User-Guided Image Colorization (SIGGRAPH 2017): L + ab hints + mask in, ab out."""

    def __init__(self, num_classes=529):
        super().__init__()
        self.model1 = nn.Sequential(*_conv_block([4, 64, 64]))
        self.model2 = nn.Sequential(*_conv_block([64, 128, 128]))
        self.model3 = nn.Sequential(*_conv_block([128, 256, 256, 256]))
        self.model4 = nn.Sequential(*_conv_block([256, 512, 512, 512]))
        self.model5 = nn.Sequential(*_conv_block([512, 512, 512, 512], dilation=2))
        self.model6 = nn.Sequential(*_conv_block([512, 512, 512, 512], dilation=2))
        self.model7 = nn.Sequential(*_conv_block([512, 512, 512, 512]))
        self.model8up = nn.Sequential(nn.ConvTranspose2d(512, 256, kernel_size=4, stride=2, padding=1, bias=True))
        self.model3short8 = nn.Sequential(nn.Conv2d(256, 256, kernel_size=3, padding=1, bias=True))
        self.model8 = nn.Sequential(nn.ReLU(True), *_conv_block([256, 256, 256]))
        self.model9up = nn.Sequential(nn.ConvTranspose2d(256, 128, kernel_size=4, stride=2, padding=1, bias=True))
        self.model2short9 = nn.Sequential(nn.Conv2d(128, 128, kernel_size=3, padding=1, bias=True))
        self.model9 = nn.Sequential(nn.ReLU(True), *_conv_block([128, 128]))
        self.model10up = nn.Sequential(nn.ConvTranspose2d(128, 128, kernel_size=4, stride=2, padding=1, bias=True))
        self.model1short10 = nn.Sequential(nn.Conv2d(64, 128, kernel_size=3, padding=1, bias=True))
        self.model10 = nn.Sequential(nn.ReLU(True), nn.Conv2d(128, 128, 3, padding=1), nn.LeakyReLU(0.2))
        # Classification branch of the paper (529 ab classes, 23x23 bins 10 apart, on conv8_3):
        # not used for the colours, read for the suggested colours (``classify``).
        self.model_class = nn.Sequential(nn.Conv2d(256, num_classes, kernel_size=1, bias=True))
        self.model_out = nn.Sequential(nn.Conv2d(128, 2, kernel_size=1, bias=True), nn.Tanh())

    def _run(self, l_norm, hint_ab_norm, hint_mask):
        """(ab_norm, class scores)."""
        if hint_ab_norm is None:
            hint_ab_norm = torch.zeros_like(l_norm).expand(-1, 2, -1, -1)
        if hint_mask is None:
            hint_mask = torch.zeros_like(l_norm)
        # The authors' release feeds the mask as given (0/1), not centred: ``mask_B``.
        conv1_2 = self.model1(torch.cat((l_norm, hint_ab_norm, hint_mask), dim=1))
        conv2_2 = self.model2(conv1_2[:, :, ::2, ::2])
        conv3_3 = self.model3(conv2_2[:, :, ::2, ::2])
        x = self.model4(conv3_3[:, :, ::2, ::2])
        x = self.model7(self.model6(self.model5(x)))
        conv8_3 = self.model8(self.model8up(x) + self.model3short8(conv3_3))
        x = self.model9(self.model9up(conv8_3) + self.model2short9(conv2_2))
        x = self.model10(self.model10up(x) + self.model1short10(conv1_2))
        return self.model_out(x), self.model_class(conv8_3)

    def classify(self, l_norm, hint_ab_norm=None, hint_mask=None):
        """The classification branch's 529 ab class scores at a quarter of the resolution."""
        return self._run(l_norm, hint_ab_norm, hint_mask)[1]

    def forward(self, l_norm, hint_ab_norm=None, hint_mask=None):
        return self._run(l_norm, hint_ab_norm, hint_mask)[0]
