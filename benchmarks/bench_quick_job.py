"""The quick main job's cost: wall time, bytes written and disk left behind (targets: <= 8 min, <= 1 GB written).

    .venv/bin/python benchmarks/bench_quick_job.py [--work DIR] [--keep] [-- EXTRA REPRODUCE ARGS]

Runs ``pyterrier-hybrid reproduce --quick`` (the README's main job) in a child process on a fresh output folder and
a fresh embedding cache (``$PYTERRIER_HYBRID_CACHE``: its ``models/`` links to the user's, so the offline encoder
is not rebuilt, and nothing is encoded from an earlier run's cache), and prints, measured in this run:

* the wall time;
* bytes written by the job and everything it started (``/proc/self/io`` of this process, into which the kernel
  folds every reaped child): ``wchar`` (bytes passed to ``write``) and ``write_bytes`` (bytes sent to storage);
* the peak and final size on disk of the output folder and of the embedding cache (sampled every 2 s).

Data: ``$PYTERRIER_HYBRID_LAREQA`` or ../shared/data/lareqa (offline); the working folder is removed unless
``--keep``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lareqa"


def io_counters() -> dict[str, int]:
    """This process's I/O counters, reaped children included."""
    with open("/proc/self/io") as f:
        return {name: int(value) for name, value in (line.split(":") for line in f)}


def folder_bytes(folder: Path) -> int:
    """Bytes of the regular files under ``folder`` (links not followed; files vanishing meanwhile skipped)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                info = os.lstat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            total += 0 if stat.S_ISLNK(info.st_mode) else info.st_size
    return total


class PeakSize(threading.Thread):
    """Peak size of some folders, sampled every ``every`` seconds until :meth:`stop`."""

    def __init__(self, folders: dict[str, Path], every: float = 2.0):
        super().__init__(daemon=True)
        self.folders, self.every, self.peak = folders, every, dict.fromkeys(folders, 0)
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.every):
            for name, folder in self.folders.items():
                self.peak[name] = max(self.peak[name], folder_bytes(folder))

    def stop(self) -> None:
        self._done.set()
        self.join()


def gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument("extra", nargs="*", help="further arguments to reproduce (after --)")
    args = parser.parse_args()
    from pyterrier_hybrid.core.cpu import cpu_label
    from pyterrier_hybrid.core.paths import default_cache_dir, models_dir

    work = Path(tempfile.mkdtemp(prefix="bench_quick_job_", dir=args.work))
    out, cache = work / "run", work / "cache"
    cache.mkdir()
    if models_dir().exists():
        (cache / "models").symlink_to(models_dir().resolve(), target_is_directory=True)
    env = {**os.environ, "PYTERRIER_HYBRID_CACHE": str(cache)}
    if "PYTERRIER_HYBRID_LAREQA" not in env and DEFAULT_DATA.is_dir():
        env["PYTERRIER_HYBRID_LAREQA"] = str(DEFAULT_DATA)
    command = [sys.executable, "-m", "pyterrier_hybrid.cli", "reproduce", "--quick", "--out", str(out), *args.extra]
    sizes = PeakSize({"output folder": out, "embedding cache": cache})
    sizes.start()
    before, clock = io_counters(), time.perf_counter()
    try:
        subprocess.run(command, check=True, env=env)
    finally:
        seconds, after = time.perf_counter() - clock, io_counters()
        sizes.stop()
    final = {name: folder_bytes(folder) for name, folder in sizes.folders.items()}
    print(f"\nCPU: {cpu_label()}; command: {' '.join(command[1:])} (user cache {default_cache_dir()} not used)")
    print(f"wall time {seconds / 60:.1f} min (target <= 8 min)")
    print(f"written: wchar {gb(after['wchar'] - before['wchar'])}, write_bytes "
          f"{gb(after['write_bytes'] - before['write_bytes'])} (target <= 1 GB), cancelled "
          f"{gb(after['cancelled_write_bytes'] - before['cancelled_write_bytes'])}")
    for name in final:
        print(f"{name}: peak {gb(max(sizes.peak[name], final[name]))}, left {gb(final[name])}")
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
