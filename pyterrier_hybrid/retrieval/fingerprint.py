"""Model fingerprints: what makes two models produce the same embeddings.

A local model directory is fingerprinted by a SHA-256 over the relative path and content hash of
every file in it. Content hashes are remembered in ``fingerprints.json`` under the cache root,
keyed by (absolute path, size, mtime), so a second run hashes nothing. An in-memory model (a hub
name loaded from the local Hugging Face cache, or a model being trained) is fingerprinted by its
module layout and the bytes of its parameters and buffers.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pyterrier_hybrid.core.atomic import atomic_write_json

_CHUNK = 1 << 22


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def directory_fingerprint(model_dir: str | Path, memo_file: str | Path | None = None) -> str:
    """Content fingerprint (hex) of a model directory; file hashes are memoised in ``memo_file``."""
    model_dir = Path(model_dir).resolve()
    memo_path = Path(memo_file) if memo_file is not None else None
    memo: dict[str, str] = {}
    if memo_path is not None and memo_path.exists():
        try:
            memo = json.loads(memo_path.read_text())
        except ValueError:  # a damaged memo only costs re-hashing
            memo = {}
    total, changed = hashlib.sha256(), False
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        st = path.stat()
        memo_key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
        if memo_key not in memo:
            memo[memo_key], changed = _file_sha256(path), True
        total.update(f"{path.relative_to(model_dir).as_posix()}\0{memo[memo_key]}\n".encode())
    if changed and memo_path is not None:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(memo_path, memo, indent=0)
    return total.hexdigest()[:32]


def module_fingerprint(model) -> str:
    """Fingerprint (hex) of an in-memory torch module: its layout and every parameter and buffer."""
    import torch
    h = hashlib.sha256(repr(model).encode())
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:32]
