"""The PyTorch definitions of the registry's networks (training, export checks, parity
tests, the reference benchmark); pure ``nn.Module``s, no I/O, no Django. Production runs
their ONNX graphs (``colorize.onnx_graphs``, ``colorize.runtime``) and never imports this."""

from collections.abc import Callable
from functools import partial

from torch import nn

from colorize.onnx_graphs import compact_has_context, compact_widths
from research.networks.compact import CompactColorizer
from research.networks.zhang import ECCV16, SIGGRAPH17

NETWORKS: dict[str, Callable[[], nn.Module]] = {
    "compact": partial(CompactColorizer, widths=(24, 48, 96, 192)),
    "eccv16": ECCV16,
    "siggraph17": SIGGRAPH17,
}


def build_network(name: str, state=None) -> nn.Module:
    """A fresh (randomly initialised) network for the registry model ``name``; given the
    ``state`` it will load, the compact network has what that file has (its widths, the global
    context, the colour prior: compact-v1 has neither)."""
    if name == "compact" and state is not None:
        return NETWORKS[name](
            widths=compact_widths(state), context=compact_has_context(state), prior="log_prior" in state
        )
    return NETWORKS[name]()
