"""Which colorization models exist and how to build them.

Every model, the authors' and the project's own, is described the same way; nothing else
in the code base special-cases a model by name.
"""

import os
import re
import threading
from dataclasses import dataclass
from functools import cache, partial

import torch
from django.conf import settings

from colorize import weights
from colorize.errors import ModelNotInstalled
from colorize.networks.compact import CompactColorizer
from colorize.networks.zhang import ECCV16, SIGGRAPH17
from colorize.weights import BUNDLED_WEIGHTS_DIR  # noqa: F401  (re-exported: where bundled weights live)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    description: str
    build: callable
    weight_file: str
    sha256: str
    url: str = ""
    takes_hints: bool = False
    input_size: int = 256
    # Weights that ship inside the repository need no download.
    bundled: bool = False
    licence: str = ""
    # Run in bfloat16 on CPUs with native bf16 (see settings.COLORIZE_CPU_BF16): about twice as
    # fast for the large networks, within about 50 dB of float32 in the final picture.
    cpu_bf16: bool = False


MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="compact",
            title="Compact (built in)",
            description="The project's own small, fast colorizer; takes colour hints. Ships with the site.",
            build=partial(CompactColorizer, widths=(24, 48, 96, 192)),
            weight_file="compact-v1.pt",
            sha256="c40d43b68d5d3ccb23d0ed8a03c7875bf0531a0576678c4128b14f0392b76a33",
            takes_hints=True,
            bundled=True,
            licence="trained by this project on research-only data: non-commercial use (see compact-v1.md)",
        ),
        ModelSpec(
            name="eccv16",
            title="ECCV16 (Zhang et al.)",
            description="Colorful Image Colorization, ECCV 2016: vivid automatic colours. No hints.",
            build=ECCV16,
            weight_file="colorization_release_v2-9b330a0b.pth",
            sha256="9b330a0bae53f4ded77b1e23defbf78beaa09c10ebc4c4999e8e4f4a160b93f9",
            url="https://colorizers.s3.us-east-2.amazonaws.com/colorization_release_v2-9b330a0b.pth",
            licence="BSD-2-Clause",
            cpu_bf16=True,
        ),
        ModelSpec(
            name="siggraph17",
            title="SIGGRAPH17 (Zhang et al.)",
            description="Real-Time User-Guided Image Colorization, SIGGRAPH 2017: automatic or guided by hints.",
            build=SIGGRAPH17,
            weight_file="siggraph17-df00044c.pth",
            sha256="df00044c0a4d7c3edcecf6f75437ce346a66e7a42612d9b968e1a7e17dbc6f66",
            url="https://colorizers.s3.us-east-2.amazonaws.com/siggraph17-df00044c.pth",
            takes_hints=True,
            licence="BSD-2-Clause",
            cpu_bf16=True,
        ),
    )
}


class UnknownModel(KeyError):
    def __str__(self):
        return f"unknown model {self.args[0]!r}; known models: {', '.join(MODELS)}"


def get_spec(name):
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownModel(name) from None


def _fetch_hint(spec):
    if spec.bundled:
        return f"its weights file {spec.weight_file} should ship in {BUNDLED_WEIGHTS_DIR}"
    return f"fetch its weights with: python manage.py fetch_weights {spec.name}"


def is_installed(name):
    """True when the model's weight file is present (never a silently random network)."""
    return weights.is_present(get_spec(name))


def installed_models():
    return [spec for spec in MODELS.values() if weights.is_present(spec)]


def default_model_name(*, required=False):
    """settings.COLORIZE_DEFAULT_MODEL if set, else "compact" if installed, else the first
    installed model. With none installed: None, or ModelNotInstalled when ``required``."""
    configured = getattr(settings, "COLORIZE_DEFAULT_MODEL", "")
    if configured:
        get_spec(configured)
        return configured
    installed = installed_models()
    for spec in installed:
        if spec.name == "compact":
            return spec.name
    if installed:
        return installed[0].name
    if required:
        raise ModelNotInstalled(
            "No colorization model is installed. Fetch one with: python manage.py fetch_weights eccv16 "
            "(or siggraph17), or set COLORIZE_WEIGHTS_DIR to a folder that holds the weights.",
            user_message="No colorization model is installed yet.",
        )
    return None


_cache = {}
_cache_lock = threading.Lock()


def _cpus():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _runnable_elsewhere():
    """Threads other than the caller that are runnable right now (Linux /proc/loadavg's
    instantaneous count; the least of three reads), or 0 where that is not available."""
    counts = []
    try:
        for _ in range(3):
            with open("/proc/loadavg") as handle:
                counts.append(int(handle.read().split()[3].split("/")[0]))
    except (OSError, ValueError, IndexError):
        return 0
    return max(0, min(counts) - 1)


def torch_threads():
    """How many threads the networks should use now: settings.COLORIZE_TORCH_THREADS, or with
    0 (the default) the CPUs that no other runnable thread is using, at least one. On a busy
    small machine fewer OpenMP threads finish sooner: each parallel step waits for its slowest
    thread, and a thread that shares its core with other work is slow."""
    wanted = int(getattr(settings, "COLORIZE_TORCH_THREADS", 0) or 0)
    if wanted > 0:
        return wanted
    return max(1, _cpus() - _runnable_elsewhere())


@cache
def native_bf16():
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX); emulated bf16 is slow."""
    try:
        with open("/proc/cpuinfo") as handle:
            return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", handle.read()))
    except OSError:
        return False


def use_bf16(spec):
    """settings.COLORIZE_CPU_BF16: "auto" (the default) runs models marked cpu_bf16 in bfloat16
    where the CPU has native bf16; "1" always, "0" never (exact float32)."""
    mode = str(getattr(settings, "COLORIZE_CPU_BF16", "auto")).strip().lower()
    if not spec.cpu_bf16 or mode in ("0", "false", "no", "off"):
        return False
    if mode in ("1", "true", "yes", "on"):
        return True
    return native_bf16()


def use_torch_threads():
    """Set torch's intra-op threads for the calling thread's next network run; returns them."""
    threads = torch_threads()
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def _read_state_dict(path):
    # Not memory-mapped: a file replaced in place under a running process must not crash it.
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise TypeError(f"expected a state_dict, found {type(state).__name__}")
    for key, value in state.items():
        if value.is_floating_point():
            value = value.float()
            if value.ndim == 4:
                # Convolutions run fastest on oneDNN's channels-last layout; converted one
                # tensor at a time so the weights are never held twice.
                value = value.contiguous(memory_format=torch.channels_last)
            state[key] = value
    return state


def _build_loaded(spec, path):
    state = _read_state_dict(path)
    # Built on the meta device and given the loaded tensors, so the weights are held once.
    with torch.device("meta"):
        network = spec.build()
    network.load_state_dict(state, strict=True, assign=True)
    if any(t.is_meta for t in (*network.parameters(), *network.buffers())):
        network = spec.build()
        network.load_state_dict(state, strict=True)
    network.eval().requires_grad_(False)
    return network


def load_model(name):
    """The model ``name`` in eval mode with its weights loaded strictly; built once per process
    (per weight file) and shared between threads. ModelNotInstalled when its file is absent."""
    spec = get_spec(name)
    path = weights.weight_path(spec)
    try:
        stat = path.stat()
    except OSError:
        stat = None
    if stat is None or stat.st_size == 0:
        raise ModelNotInstalled(
            f"The model {name!r} is not installed ({path} is missing); {_fetch_hint(spec)}.",
            user_message=f"The model {spec.title} is not installed on this server.",
        )
    key = (name, str(path), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        network = _cache.get(key)
        if network is None:
            try:
                network = _build_loaded(spec, path)
            except Exception as error:
                raise ModelNotInstalled(
                    f"The weights of {name!r} at {path} could not be loaded ({error}); {_fetch_hint(spec)} again.",
                    user_message=f"The model {spec.title} is not installed properly on this server.",
                ) from error
            for old in [k for k in _cache if k[0] == name]:
                del _cache[old]
            _cache[key] = network
        return network
