"""Persistent embedding cache: one folder per (model fingerprint, prompt, max sequence length).

Each folder holds immutable ``shard-*.npz`` files (``keys``: 16-byte BLAKE2b digests of the texts as rows of uint8,
``vecs``: float32 rows). A shard is written to a temporary file and renamed into place, so an
interrupted run leaves either a complete shard or none; several processes may share a folder.
"""
from __future__ import annotations

import hashlib
import io
import json
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pyterrier_hybrid.core.atomic import atomic_write_bytes, atomic_write_json
from pyterrier_hybrid.core.paths import default_cache_dir  # noqa: F401  (re-exported by retrieval)

_KEY_BYTES = 16


def text_key(text: str) -> bytes:
    """The 16-byte digest that identifies a text inside one cache folder."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=_KEY_BYTES).digest()


class EmbeddingCache:
    """Embeddings of texts for one model/prompt/length namespace; on disk when ``root`` is given."""

    def __init__(self, root: str | Path | None, fingerprint: str, prompt: str, max_seq_length: int | None,
                 dim: int | None = None):
        """``dim``: the model's embedding width; a stored shard of another width is ignored (and named)."""
        self.namespace = {"fingerprint": fingerprint, "prompt": prompt, "max_seq_length": max_seq_length}
        self.dim = dim
        digest = hashlib.sha256(json.dumps(self.namespace, sort_keys=True).encode()).hexdigest()[:16]
        self.path = None if root is None else Path(root) / fingerprint / digest
        self._rows: dict[bytes, np.ndarray] = {}
        if self.path is not None:
            self._load()

    def _load(self) -> None:
        for shard in sorted(self.path.glob("shard-*.npz")):
            try:
                with np.load(shard) as data:
                    keys, vecs = data["keys"], data["vecs"]
            except Exception as e:  # an unreadable shard only costs re-encoding its texts
                warnings.warn(f"ignoring unreadable embedding cache shard {shard}: {e}")
                continue
            width = vecs.shape[1] if vecs.ndim == 2 else None
            if keys.shape != (len(vecs), _KEY_BYTES) or width is None or (self.dim is not None and width != self.dim):
                warnings.warn(f"ignoring embedding cache shard {shard}: it holds {vecs.shape} vectors for "
                              f"{keys.shape[0]} keys, expected {self.dim or 'N'}-wide rows, one per key")
                continue
            self._rows.update(zip((row.tobytes() for row in keys), vecs))

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, keys: Sequence[bytes]) -> list[np.ndarray | None]:
        """The cached vector of each key, or None where it is missing."""
        return [self._rows.get(k) for k in keys]

    def put(self, keys: Sequence[bytes], vecs: np.ndarray) -> None:
        """Add vectors (one row per key); on disk this writes one new shard atomically."""
        if not len(keys):
            return
        vecs = np.asarray(vecs, dtype=np.float32)
        if self.path is not None:
            self.path.mkdir(parents=True, exist_ok=True)
            meta = self.path / "namespace.json"
            if not meta.exists():
                atomic_write_json(meta, self.namespace, indent=1)
            buf = io.BytesIO()
            # keys as a uint8 matrix: numpy's bytes dtype would drop a digest's trailing NUL bytes
            np.savez(buf, keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, _KEY_BYTES), vecs=vecs)
            atomic_write_bytes(self.path / f"shard-{uuid.uuid4().hex}.npz", buf.getvalue())
        self._rows.update(zip(keys, vecs))
