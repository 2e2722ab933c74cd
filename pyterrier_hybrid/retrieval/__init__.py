"""PyTerrier transformers: dense encode / index / retrieve / re-rank, offline BM25.

Names are loaded from their modules on first access (see ``pyterrier_hybrid._lazy``): the dense ones build on
pyterrier-dr, whose import (torch, transformers, sentence-transformers) takes seconds.
"""
from __future__ import annotations

from pyterrier_hybrid._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "bm25": ("BM25Index", "BM25Indexer", "BM25Retriever"),
    "cache": ("EmbeddingCache", "default_cache_dir"),
    "encoder": ("DenseEncoder", "EncodingStats"),
    "fingerprint": ("directory_fingerprint", "module_fingerprint"),
    "index": ("DenseIndex", "DenseIndexer"),
    "parts": ("CorpusParts", "DenseIndexError", "Shard"),
    "pool": ("PoolRetriever", "resolve_pool"),
})
