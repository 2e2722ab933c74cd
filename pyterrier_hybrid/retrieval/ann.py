"""Per-language faiss indexes over a DenseIndex's vectors: exact inner product, HNSW or IVF.

Searching each pool language's own index and merging the top k lists gives the exact top k of the
pool (for ``exact``), and no document of another language can ever be a candidate. ANN structures
are saved under ``ann/`` in the index folder, each file written atomically.

Exact search runs on faiss's BLAS path (matrix products; ``_BlasFlat``): faiss 1.15 raised
``distance_compute_blas_threshold`` to 128000 queries, sending the retriever's batches to a much slower
per-vector kernel (measured in ``benchmarks/README.md``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from pyterrier_hybrid.core.atomic import atomic_path

METHODS = ("exact", "hnsw", "ivf")
_BLAS_THRESHOLD = 20  # queries per search from which faiss uses BLAS (its default before 1.15)
DEFAULTS = {"exact": {}, "hnsw": {"neighbours": 32, "ef_construction": 40, "ef_search": 128},
            "ivf": {"n_list": None, "n_probe": 16}}


def ann_params(method: str, params: dict) -> dict:
    """The full parameter set of ``method`` (defaults filled in); rejects unknown methods and names."""
    if method not in METHODS:
        raise ValueError(f"unknown retrieval method {method!r}; valid: {', '.join(METHODS)}")
    unknown = set(params) - set(DEFAULTS[method])
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(sorted(unknown))} for method {method!r}; "
                         f"valid: {', '.join(DEFAULTS[method]) or '(none)'}")
    return {**DEFAULTS[method], **params}


def _build(method: str, vecs: np.ndarray, params: dict):
    import faiss
    dim = vecs.shape[1]
    if method == "exact":
        index = faiss.IndexFlatIP(dim)
    elif method == "hnsw":
        index = faiss.IndexHNSWFlat(dim, params["neighbours"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params["ef_construction"]
    else:
        n_list = params["n_list"] or max(1, int(4 * np.sqrt(len(vecs))))
        n_list = min(n_list, max(1, len(vecs) // 39))  # faiss wants >= 39 training points per list
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, n_list, faiss.METRIC_INNER_PRODUCT)
        index.train(vecs)
    index.add(vecs)
    return index


class _BlasFlat:
    """A flat faiss index whose ``search`` takes faiss's BLAS path for batches of ``_BLAS_THRESHOLD`` or more
    queries. The threshold is a faiss global, lowered only for the call (a concurrent search in another thread
    may take the other exact kernel meanwhile: same results up to float rounding, different speed)."""

    def __init__(self, index):
        self.index = index

    def __getattr__(self, name):
        return getattr(self.index, name)

    def search(self, x: np.ndarray, k: int):
        import faiss
        old = faiss.cvar.distance_compute_blas_threshold
        faiss.cvar.distance_compute_blas_threshold = min(old, _BLAS_THRESHOLD)
        try:
            return self.index.search(x, k)
        finally:
            faiss.cvar.distance_compute_blas_threshold = old


def _configure(index, method: str, params: dict):
    if method == "hnsw":
        index.hnsw.efSearch = params["ef_search"]
    elif method == "ivf":
        index.nprobe = params["n_probe"]
    else:
        return _BlasFlat(index)
    return index


def language_searcher(vecs: np.ndarray, method: str, params: dict, save_dir: Path, lang: str):
    """A faiss index over one language's vectors; ANN ones are loaded from / saved to ``save_dir``."""
    import faiss
    vecs = np.ascontiguousarray(vecs, dtype=np.float32)
    if method == "exact":
        return _configure(_build(method, vecs, params), method, params)
    build_params = {k: v for k, v in params.items() if k not in ("ef_search", "n_probe")}
    folder = save_dir / (method + "".join(f"_{k}-{v}" for k, v in sorted(build_params.items())))
    file = folder / f"{lang}.faiss"
    if file.exists():
        try:
            index = faiss.read_index(str(file))
        except RuntimeError as e:
            raise ValueError(f"corrupt ANN index file {str(file)!r} ({e}); delete it to rebuild") from e
        if index.ntotal != len(vecs) or index.d != vecs.shape[1]:
            raise ValueError(f"ANN index file {str(file)!r} does not match the index vectors; delete it to rebuild")
    else:
        index = _build(method, vecs, params)
        with atomic_path(file) as tmp:
            faiss.write_index(index, str(tmp))
    return _configure(index, method, params)
