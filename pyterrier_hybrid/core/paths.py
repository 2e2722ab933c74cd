"""Where the project keeps its caches: embeddings, converted models, ONNX graphs."""
from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "PYTERRIER_HYBRID_CACHE"


def default_cache_dir() -> Path:
    """``$PYTERRIER_HYBRID_CACHE`` if set, else ``~/.cache/pyterrier_hybrid/embeddings``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "pyterrier_hybrid" / "embeddings"


def models_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """``<cache>/models``, where converted base models live (the project cache by default)."""
    return Path(cache_dir if cache_dir is not None else default_cache_dir()).expanduser() / "models"
