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


def check_writable(path: str | os.PathLike, what: str) -> Path:
    """Create the folder ``path`` if needed and prove it writable with a scratch file, before any work; otherwise
    a one-line ValueError naming ``what`` (e.g. ``--out``) and the reason."""
    import tempfile
    path = Path(path).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise ValueError(f"{what} {str(path)!r} is not a writable folder ({e.strerror or e})") from None
    return path


def check_cache_writable() -> Path:
    """:func:`check_writable` of the embedding cache, :func:`default_cache_dir`."""
    return check_writable(default_cache_dir(), f"the embedding cache (${CACHE_ENV})")
