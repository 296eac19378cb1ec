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


_EMITTERS: dict[str, Callable[[_Graph, State], tuple[list[onnx.ValueInfoProto], Outputs]]] = {
    "eccv16": _emit_eccv16,
    "siggraph17": _emit_siggraph17,
    "compact": _emit_compact,
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
