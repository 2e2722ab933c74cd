"""Build a directory once, atomically: under a file lock, in a temporary sibling, renamed into place.

Readers see either no directory or a complete one; concurrent builders (threads or processes) wait for
each other and the second finds the work done. The lock is an OS lock (``filelock``), released when its
holder dies, so a killed build leaves at most a lock file and a temporary folder, which the next build
ignores and removes.
"""
from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)


def build_directory(target: str | Path, build: Callable[[Path], None], *,
                    is_complete: Callable[[Path], bool], force: bool = False) -> Path:
    """Return ``target``, first running ``build(tmp)`` into a fresh sibling folder and renaming it to
    ``target`` unless ``is_complete(target)`` (or ``force``). If ``build`` raises, nothing is left behind.
    """
    from filelock import FileLock

    target = Path(target).expanduser().absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(target.parent / f".{target.name}.lock"):
        if not force and is_complete(target):
            return target
        _remove_leftovers(target)
        tmp = target.with_name(f"{_tmp_prefix(target)}{uuid.uuid4().hex}")
        tmp.mkdir()
        try:
            build(tmp)
            if target.exists():   # an outdated or incomplete copy: move it aside, then swap
                old = target.with_name(f"{_tmp_prefix(target)}old-{uuid.uuid4().hex}")
                os.replace(target, old)
                os.replace(tmp, target)
                shutil.rmtree(old)
            else:
                os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}.tmp-"


def _remove_leftovers(target: Path) -> None:
    """Temporary folders of builds that died (safe: only the lock holder creates them)."""
    for stale in target.parent.glob(f"{_tmp_prefix(target)}*"):
        logger.info("removing %s, left over by an interrupted build", stale)
        shutil.rmtree(stale, ignore_errors=True)
