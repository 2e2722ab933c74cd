"""What this CPU can do, for choices of precision (training autocast, encoding weights)."""
from __future__ import annotations

import functools
import platform
from pathlib import Path


@functools.cache
def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (x86 AMX-BF16 / AVX512-BF16, Arm BF16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: Apple silicon from M2 on has BF16; otherwise assume not
        return platform.system() == "Darwin" and platform.machine() == "arm64"
    return bool(set(flags.split()) & {"amx_bf16", "avx512_bf16", "bf16"})
