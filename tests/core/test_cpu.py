"""The CPU as timing records name it (parts measured on different CPUs do not compare in time)."""
from __future__ import annotations

import os

from pyterrier_hybrid.core import cpu

ZEN4 = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16\n"
SAPPHIRE_RAPIDS = "model name\t: Intel(R) Xeon(R) Platinum 8481C\nflags\t\t: avx2 avx512f avx512_vnni amx_bf16\n"


def test_cpu_label_names_model_cores_and_features(monkeypatch):
    monkeypatch.setattr(cpu, "_cpuinfo", lambda: ZEN4)
    assert cpu.cpu_label() == f"AMD EPYC, {os.cpu_count()} cores, AVX2 AVX-512 VNNI AVX512-BF16"
    monkeypatch.setattr(cpu, "_cpuinfo", lambda: SAPPHIRE_RAPIDS)
    assert cpu.cpu_label().endswith("cores, AVX2 AVX-512 VNNI AMX-BF16")
    assert cpu.cpu_model() == "Intel(R) Xeon(R) Platinum 8481C"


def test_cpu_label_without_cpuinfo(monkeypatch):
    monkeypatch.setattr(cpu, "_cpuinfo", lambda: None)
    assert cpu.cpu_label() == f"{cpu.cpu_model()}, {os.cpu_count()} cores" and cpu.cpu_model()
