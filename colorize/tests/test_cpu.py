"""The CPU in words, with its vector features: int8 and bfloat16 speed-ups depend on them (the
int8 self-check records it, the benchmark's header prints it)."""

from colorize import cpu

CPUINFO = """processor\t: 0
model name\t: AMD EPYC 9R14
flags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16
"""


def test_it_names_the_model_and_its_vector_features(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    assert cpu.description(path) == "AMD EPYC 9R14 (AVX2, AVX-512, AVX-512 VNNI, AVX-512 BF16)"


def test_a_machine_without_cpuinfo_is_an_unknown_cpu(tmp_path):
    assert cpu.description(tmp_path / "absent") == "unknown CPU"
