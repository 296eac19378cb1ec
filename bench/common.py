"""Shared by the benchmark's parent and worker processes (no Django needed)."""

WEIGHT_FILES = {
    "eccv16": "colorization_release_v2-9b330a0b.pth",
    "siggraph17": "siggraph17-df00044c.pth",
}


def weight_file(model):
    return WEIGHT_FILES[model]


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


def cpu_description(cpuinfo="/proc/cpuinfo"):
    """'AMD EPYC ... (AVX2, AVX-512, AVX-512 VNNI)': the CPU's model and vector features, for a
    benchmark's header (speed-ups between pipelines depend on them)."""
    try:
        with open(cpuinfo) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return "unknown CPU"
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = set(fields.get("flags", "").split())
    features = [name for flag, name in VECTOR_FEATURES.items() if flag in flags]
    return f"{fields.get('model name', 'unknown CPU')} ({', '.join(features) or 'no AVX2'})"
