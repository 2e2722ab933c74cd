"""Stable short keys of JSON-serialisable values: what stored parts and caches are named by."""
from __future__ import annotations

import hashlib
import json


def short_hash(value: object) -> str:
    """Eight hex digits identifying a JSON-serialisable value (keys sorted, non-JSON values as ``str``)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:8]
