"""Atomic writes, one helper for the whole project: a reader sees the old file (or folder) or the whole new
one, never a part, and a failed write leaves nothing behind.

Files go through PyTerrier's ``pt.io.finalized_open`` (a temporary sibling, then ``os.replace``); writers that
need a file name (faiss, numpy, ONNX) get one from :func:`atomic_path`. Folders are built in a temporary
sibling and swapped into place (:func:`atomic_directory`); :func:`build_directory` adds a file lock, so
concurrent builders (threads or processes) wait for each other and the second finds the work done.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "b") -> Iterator[IO]:
    """A file to write (``mode`` ``"b"`` or ``"t"``, UTF-8), moved to ``path`` only when the block succeeds."""
    import pyterrier as pt
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if mode == "t":  # finalized_open's text mode would use the locale's encoding
        with pt.io.finalized_open(str(path), "b") as raw, open(raw.fileno(), "w", encoding="utf-8",
                                                                 closefd=False) as f:
            yield f
    else:
        with pt.io.finalized_open(str(path), mode) as f:
            yield f


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "b") as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, value: object, indent: int | None = 2) -> None:
    """Write ``value`` as JSON (non-JSON values as ``str``) to ``path`` atomically."""
    atomic_write_text(path, json.dumps(value, indent=indent, default=str, ensure_ascii=False))


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary file name beside ``path`` for writers that take a name; renamed to ``path`` on success,
    removed on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}.tmp-"


@contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """A fresh temporary folder beside ``path`` to build in; on success it replaces ``path`` (an existing one is
    moved aside first, then deleted), on failure it is removed and ``path`` is untouched."""
    path = Path(path).expanduser().absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{_tmp_prefix(path)}{uuid.uuid4().hex}")
    tmp.mkdir()
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f"{_tmp_prefix(path)}old-{uuid.uuid4().hex}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_directory(target: str | os.PathLike, build: Callable[[Path], None], *,
                    is_complete: Callable[[Path], bool], force: bool = False) -> Path:
    """Return ``target``, first running ``build(tmp)`` in an :func:`atomic_directory` unless
    ``is_complete(target)`` (or ``force``), under an OS file lock (``filelock``) released when its holder dies;
    the temporary folders of killed builds are removed by the next one."""
    from filelock import FileLock

    target = Path(target).expanduser().absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(target.parent / f".{target.name}.lock"):
        if not force and is_complete(target):
            return target
        for stale in target.parent.glob(f"{_tmp_prefix(target)}*"):  # safe: only the lock holder makes them
            logger.info("removing %s, left over by an interrupted build", stale)
            shutil.rmtree(stale, ignore_errors=True)
        with atomic_directory(target) as tmp:
            build(tmp)
    return target
