"""PyTerrier transformers: dense encode / index / retrieve / re-rank, offline BM25.

Names are loaded from their modules on first access (module ``__getattr__``): the dense ones build on
pyterrier-dr, whose import (torch, transformers, sentence-transformers) takes seconds.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pyterrier_hybrid._lazy import lazy_exports

_LAZY = {
    "BM25Index": "bm25", "BM25Indexer": "bm25", "BM25Retriever": "bm25",
    "EmbeddingCache": "cache", "default_cache_dir": "cache",
    "DenseEncoder": "encoder", "EncodingStats": "encoder",
    "directory_fingerprint": "fingerprint", "module_fingerprint": "fingerprint",
    "DenseIndex": "index", "DenseIndexError": "index", "DenseIndexer": "index",
    "PoolRetriever": "pool", "resolve_pool": "pool",
}

__all__ = ["BM25Index", "BM25Indexer", "BM25Retriever", "DenseEncoder", "DenseIndex", "DenseIndexError", "DenseIndexer",
           "EmbeddingCache", "EncodingStats", "PoolRetriever", "default_cache_dir", "directory_fingerprint",
           "module_fingerprint", "resolve_pool"]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


if TYPE_CHECKING:
    from pyterrier_hybrid.retrieval.bm25 import BM25Index, BM25Indexer, BM25Retriever
    from pyterrier_hybrid.retrieval.cache import EmbeddingCache, default_cache_dir
    from pyterrier_hybrid.retrieval.encoder import DenseEncoder, EncodingStats
    from pyterrier_hybrid.retrieval.fingerprint import directory_fingerprint, module_fingerprint
    from pyterrier_hybrid.retrieval.index import DenseIndex, DenseIndexError, DenseIndexer
    from pyterrier_hybrid.retrieval.pool import PoolRetriever, resolve_pool
