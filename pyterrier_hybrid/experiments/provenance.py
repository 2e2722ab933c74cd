"""What a result was produced with: the exact command, package versions, hardware and wall time."""
from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

from pyterrier_hybrid.core.cpu import cpu_label, cpu_model

PACKAGES: tuple[str, ...] = ("pyterrier-hybrid", "torch", "transformers", "sentence-transformers", "python-terrier",
                             "pyterrier-dr", "ir-datasets", "ir-measures", "faiss-cpu", "bm25s", "numpy", "pandas")


def package_versions() -> dict[str, str]:
    """Installed version of each package the results depend on (``-`` when not installed)."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "-"
    return versions


def hardware() -> dict[str, object]:
    """CPU (model, and as timing records name it), core count, memory and GPU of this machine."""
    import torch
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
    return {"platform": platform.platform(), "cpu": cpu_model(), "cpu label": cpu_label(), "cores": os.cpu_count(),
            "torch threads": torch.get_num_threads(), "memory GiB": round(memory / 2**30, 1),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"}


def git_commit() -> str:
    """The commit of the source tree this package runs from (``-`` outside a git checkout)."""
    try:
        root = Path(__file__).resolve().parents[2]
        out = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or "-"
    except (OSError, subprocess.SubprocessError):
        return "-"


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed, e.g. ``pyterrier-hybrid reproduce --quick``."""
    argv = sys.argv if argv is None else argv
    program = Path(argv[0]).name if argv else "python"
    return shlex.join([program, *argv[1:]])
