"""PyTerrier transformers: dense encode / index / retrieve / re-rank, offline BM25."""
from pyterrier_hybrid.retrieval.bm25 import BM25Index, BM25Indexer, BM25Retriever
from pyterrier_hybrid.retrieval.cache import EmbeddingCache, default_cache_dir
from pyterrier_hybrid.retrieval.encoder import DenseEncoder, EncodingStats
from pyterrier_hybrid.retrieval.fingerprint import directory_fingerprint, module_fingerprint
from pyterrier_hybrid.retrieval.index import DenseIndex, DenseIndexError, DenseIndexer
from pyterrier_hybrid.retrieval.pool import PoolRetriever, resolve_pool

__all__ = ["BM25Index", "BM25Indexer", "BM25Retriever", "DenseEncoder", "DenseIndex", "DenseIndexError", "DenseIndexer", "EmbeddingCache", "EncodingStats",
           "PoolRetriever", "default_cache_dir", "directory_fingerprint", "module_fingerprint", "resolve_pool"]
