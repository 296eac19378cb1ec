"""Runs a model's ONNX graph on the CPU with ONNX Runtime: the production inference runtime.

Only the worker imports this module (the web pages never load an ML runtime). A
:class:`Model` is a model's description, the graph file it runs and how; a session is made
once per process, file and options and shared between threads (ONNX Runtime's ``run`` is
thread-safe); a file replaced in place is picked up on the next run.
"""

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from colorize.errors import ModelFailed, ModelNotInstalled
from colorize.registry import ModelSpec, fetch_hint

if TYPE_CHECKING:
    import onnxruntime


@dataclass(frozen=True)
class RuntimeOptions:
    """How ONNX Runtime runs a graph: ``threads`` per run (0: every CPU this process may use);
    ``memory_arena`` keeps the largest run's buffers for the next run (faster, more resident
    memory); without it they are given back after every run."""

    threads: int = 0
    memory_arena: bool = True

    def resolved_threads(self) -> int:
        return self.threads or cpus()


@dataclass(frozen=True)
class Model:
    """A model as the engine runs it: its description, its ONNX graph's file, how to run it and
    the graph's precision ("float32", or "int8": see colorize.int8). Trying other weights is
    another Model (``dataclasses.replace(model, path=...)``)."""

    spec: ModelSpec
    path: Path
    options: RuntimeOptions = field(default_factory=RuntimeOptions)
    precision: str = "float32"

    @property
    def name(self) -> str:
        return self.spec.name


_SessionKey = tuple[str, int, int, RuntimeOptions]
_sessions: dict[_SessionKey, "onnxruntime.InferenceSession"] = {}
_view_sessions: dict[tuple[tuple[int, ...], RuntimeOptions], "onnxruntime.InferenceSession"] = {}
_lock = threading.Lock()


def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _session_options(runtime_options: RuntimeOptions) -> "onnxruntime.SessionOptions":
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = runtime_options.resolved_threads()
    options.inter_op_num_threads = 1
    # Idle pool threads sleep instead of spinning: on a small instance the worker shares its
    # cores with the web server and the recombination threads.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_cpu_mem_arena = runtime_options.memory_arena
    options.log_severity_level = 3
    return options


def _cpu_session(graph: str | bytes, options: RuntimeOptions) -> "onnxruntime.InferenceSession":
    """An inference session on the CPU for an ONNX file's path or a serialised graph."""
    import onnxruntime

    return onnxruntime.InferenceSession(graph, _session_options(options), providers=["CPUExecutionProvider"])


def _new_session(model: Model) -> "onnxruntime.InferenceSession":
    try:
        return _cpu_session(str(model.path), model.options)
    except Exception as error:  # ONNX Runtime raises its own exception types for a bad file
        raise ModelNotInstalled(
            f"The model {model.name!r} at {model.path} could not be loaded ({error}); {fetch_hint(model.spec)} again.",
            user_message=f"The model {model.spec.title} is not installed properly on this server.",
        ) from error


def load(model: Model) -> "onnxruntime.InferenceSession":
    """The model's inference session, made once per process, file and options.
    ModelNotInstalled when its file is absent or cannot be loaded."""
    try:
        stat = model.path.stat()
    except OSError:
        stat = None
    if stat is None or stat.st_size == 0:
        raise ModelNotInstalled(
            f"The model {model.name!r} is not installed ({model.path} is missing); {fetch_hint(model.spec)}.",
            user_message=f"The model {model.spec.title} is not installed on this server.",
        )
    path = str(model.path)
    key = (path, stat.st_mtime_ns, stat.st_size, model.options)
    with _lock:
        session = _sessions.get(key)
        if session is None:
            session = _new_session(model)
            # A file replaced in place: its old sessions go.
            for old in [k for k in _sessions if k[0] == path]:
                del _sessions[old]
            _sessions[key] = session
        return session


def run(model: Model, inputs: dict[str, npt.NDArray[np.float32]]) -> dict[str, npt.NDArray[np.float32]]:
    """Every output of the model's graph for ``inputs``, by name, checked finite: ``ab_norm``
    (1x2xhxw, normalised) for a network that regresses ab, ``logits`` (1xKxhxw) and the
    decoding's constants for one that predicts a distribution (see colorize.onnx_graphs)."""
    spec = model.spec
    session = load(model)
    wanted = {node.name for node in session.get_inputs()}
    names = [node.name for node in session.get_outputs()]
    try:
        values = session.run(names, {name: value for name, value in inputs.items() if name in wanted})
    except Exception as error:  # ONNX Runtime raises its own exception types for bad runs
        raise ModelFailed(f"{spec.name} raised {error.__class__.__name__}: {error}") from error
    outputs = {name: np.asarray(value, dtype=np.float32) for name, value in zip(names, values, strict=False)}
    main = "logits" if "logits" in outputs else "ab_norm"
    output = outputs.get(main)
    if output is None or output.ndim != 4 or output.shape[0] != 1 or (main == "ab_norm" and output.shape[1] != 2):
        shape = None if output is None else tuple(output.shape)
        raise ModelFailed(f"{spec.name} returned {main} of shape {shape}, not 1x{'K' if main == 'logits' else 2}xHxW")
    for name, value in outputs.items():
        if not np.isfinite(value).all():
            raise ModelFailed(f"{spec.name} produced non-finite values ({name})")
    return outputs


def mean_of_views(
    main: npt.NDArray[np.float32], views: list[npt.NDArray[np.float32]], options: RuntimeOptions
) -> npt.NDArray[np.float32]:
    """The mean of a distribution network's scores over views of one photo (1xKxHxW, the views
    at whole fractions of H and W, upsampled bilinearly): see onnx_graphs.views_mean."""
    from colorize import onnx_graphs

    factors = tuple(main.shape[-1] // view.shape[-1] for view in views)
    with _lock:
        session = _view_sessions.get((factors, options))
        if session is None:
            session = _cpu_session(onnx_graphs.views_mean(factors).SerializeToString(), options)
            _view_sessions[factors, options] = session
    feeds = {"main": main, **{f"view{index}": view for index, view in enumerate(views)}}
    (mean,) = session.run(["logits"], feeds)
    return np.asarray(mean, dtype=np.float32)
