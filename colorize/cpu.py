"""What CPU this process runs on, in words: int8 and bfloat16 kernels are only faster where the
CPU has the vector extensions for them, so an int8 graph's self-check (colorize.int8) and the
benchmark's header name them."""

import functools
from pathlib import Path

# The vector extensions int8 and bfloat16 kernels use, as /proc/cpuinfo names them.
VECTOR_FEATURES = {
    "avx2": "AVX2",
    "avx512f": "AVX-512",
    "avx512_vnni": "AVX-512 VNNI",
    "avx_vnni": "AVX-VNNI",
    "avx512_bf16": "AVX-512 BF16",
    "amx_tile": "AMX",
    "amx_int8": "AMX-INT8",
    "amx_bf16": "AMX-BF16",
}
CPUINFO = Path("/proc/cpuinfo")


@functools.cache
def description(cpuinfo: Path = CPUINFO) -> str:
    """'AMD EPYC ... (AVX2, AVX-512, AVX-512 VNNI)': the CPU's model and vector features (read
    once per process: a model's graph is chosen on every job)."""
    try:
        lines = cpuinfo.read_text().splitlines()
    except OSError:
        return "unknown CPU"
    fields = {key.strip(): value.strip() for key, value in (line.split(":", 1) for line in lines if ":" in line)}
    flags = set(fields.get("flags", "").split())
    features = [name for flag, name in VECTOR_FEATURES.items() if flag in flags]
    return f"{fields.get('model name', 'unknown CPU')} ({', '.join(features) or 'no AVX2'})"


def available_memory(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """Bytes of memory available to a new process now (the kernel's MemAvailable); None where
    there is no /proc/meminfo."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
