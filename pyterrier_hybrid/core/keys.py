"""Stable short keys of JSON-serialisable values: what stored parts and caches are named by."""
from __future__ import annotations

import hashlib
import json
import os


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def short_hash(value: object) -> str:
    """Eight hex digits identifying a JSON-serialisable value (keys sorted, non-JSON values as ``str``)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:8]
