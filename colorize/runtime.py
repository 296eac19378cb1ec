"""Runs a model's ONNX graph on the CPU with ONNX Runtime: the production inference runtime.

Only the worker imports this module (the web pages never load an ML runtime). A session is
made once per process and weight file and shared between threads (ONNX Runtime's ``run`` is
thread-safe); a file replaced in place is picked up on the next run.
"""

import os
import threading
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from django.conf import settings

from colorize import weights
from colorize.errors import ModelFailed, ModelNotInstalled
from colorize.registry import ModelSpec, fetch_hint

if TYPE_CHECKING:
    import onnxruntime

_sessions: dict[tuple[str, str, int, int], "onnxruntime.InferenceSession"] = {}
_view_sessions: dict[tuple[int, ...], "onnxruntime.InferenceSession"] = {}
_lock = threading.Lock()


def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def threads() -> int:
    """settings.COLORIZE_THREADS, or with 0 (the default) every CPU this process may use."""
    return int(settings.COLORIZE_THREADS) or cpus()


def _session_options() -> "onnxruntime.SessionOptions":
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads()
    options.inter_op_num_threads = 1
    # Idle pool threads sleep instead of spinning: on a small instance the worker shares its
    # cores with the web server and the recombination threads.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # The arena keeps the largest run's buffers for the next run (faster, more resident
    # memory); COLORIZE_MEMORY_ARENA=false gives them back after every run.
    options.enable_cpu_mem_arena = bool(settings.COLORIZE_MEMORY_ARENA)
    options.log_severity_level = 3
    return options


def _cpu_session(model: str | bytes) -> "onnxruntime.InferenceSession":
    """An inference session on the CPU for an ONNX file's path or a serialised graph."""
    import onnxruntime

    return onnxruntime.InferenceSession(model, _session_options(), providers=["CPUExecutionProvider"])


def _new_session(spec: ModelSpec, path: str) -> "onnxruntime.InferenceSession":
    try:
        return _cpu_session(path)
    except Exception as error:
        raise ModelNotInstalled(
            f"The model {spec.name!r} at {path} could not be loaded ({error}); {fetch_hint(spec)} again.",
            user_message=f"The model {spec.title} is not installed properly on this server.",
        ) from error


def load(spec: ModelSpec) -> "onnxruntime.InferenceSession":
    """The model's inference session, made once per process and file. ModelNotInstalled when
    its file is absent or cannot be loaded."""
    path = weights.runtime_path(spec)
    try:
        stat = path.stat()
    except OSError:
        stat = None
    if stat is None or stat.st_size == 0:
        raise ModelNotInstalled(
            f"The model {spec.name!r} is not installed ({path} is missing); {fetch_hint(spec)}.",
            user_message=f"The model {spec.title} is not installed on this server.",
        )
    key = (spec.name, str(path), stat.st_mtime_ns, stat.st_size)
    with _lock:
        session = _sessions.get(key)
        if session is None:
            session = _new_session(spec, str(path))
            for old in [k for k in _sessions if k[0] == spec.name]:
                del _sessions[old]
            _sessions[key] = session
        return session


def run(spec: ModelSpec, inputs: dict[str, npt.NDArray[np.float32]]) -> dict[str, npt.NDArray[np.float32]]:
    """Every output of the model's graph for ``inputs``, by name, checked finite: ``ab_norm``
    (1x2xhxw, normalised) for a network that regresses ab, ``logits`` (1xKxhxw) and the
    decoding's constants for one that predicts a distribution (see colorize.onnx_graphs)."""
    session = load(spec)
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


def mean_of_views(main: npt.NDArray[np.float32], views: list[npt.NDArray[np.float32]]) -> npt.NDArray[np.float32]:
    """The mean of a distribution network's scores over views of one photo (1xKxHxW, the views
    at whole fractions of H and W, upsampled bilinearly): see onnx_graphs.views_mean."""
    from colorize import onnx_graphs

    factors = tuple(main.shape[-1] // view.shape[-1] for view in views)
    with _lock:
        session = _view_sessions.get(factors)
        if session is None:
            session = _cpu_session(onnx_graphs.views_mean(factors).SerializeToString())
            _view_sessions[factors] = session
    feeds = {"main": main, **{f"view{index}": view for index, view in enumerate(views)}}
    (mean,) = session.run(["logits"], feeds)
    return np.asarray(mean, dtype=np.float32)
