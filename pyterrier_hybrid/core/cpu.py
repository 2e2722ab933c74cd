"""What this CPU can do, for choices of precision (training autocast, encoding weights), and its name in timing records."""
from __future__ import annotations

import functools
import os
import platform
from pathlib import Path


#: Instruction-set features that decide the speed of dense encoding and training, as a record names them.
SPEED_FEATURES: dict[str, str] = {"amx_bf16": "AMX-BF16", "avx512_bf16": "AVX512-BF16", "avx512_vnni": "VNNI",
                                  "avx512f": "AVX-512", "avx2": "AVX2"}


@functools.cache
def _cpuinfo() -> str | None:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return None


@functools.cache
def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (x86 AMX-BF16 / AVX512-BF16, Arm BF16)."""
    flags = _cpuinfo()
    if flags is None:  # not Linux: Apple silicon from M2 on has BF16; otherwise assume not
        return platform.system() == "Darwin" and platform.machine() == "arm64"
    return bool(set(flags.split()) & {"amx_bf16", "avx512_bf16", "bf16"})


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    for line in (_cpuinfo() or "").splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def cpu_label() -> str:
    """The CPU as a timing record names it: model, cores and speed-relevant features, e.g. ``AMD EPYC, 2 cores,
    AVX2 AVX-512 VNNI AVX512-BF16`` (parts measured on different CPUs do not compare in time)."""
    flags = set((_cpuinfo() or "").split())
    features = " ".join(name for flag, name in reversed(SPEED_FEATURES.items()) if flag in flags)
    return f"{cpu_model()}, {os.cpu_count()} cores" + (f", {features}" if features else "")
