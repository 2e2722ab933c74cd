"""Per-language faiss indexes over a DenseIndex's vectors: exact inner product, HNSW, IVF or IVF-PQ.

Searching each pool language's own index and merging the top k lists gives the exact top k of the
pool (for ``exact``), and no document of another language can ever be a candidate. ANN structures
are saved under ``ann/`` in the index folder, each file written atomically.

Exact search runs on faiss's BLAS path (matrix products; ``_BlasFlat``): faiss 1.15 raised
``distance_compute_blas_threshold`` to 128000 queries, sending the retriever's batches to a much slower
per-vector kernel (measured in ``benchmarks/README.md``).

ANN indexes are built in bounded memory from the index's memory-mapped vectors: quantisers are trained on a
random sample (``train_size`` rows) and vectors are added in chunks of ``ADD_CHUNK`` rows. ``ivfpq`` keeps only
``m`` bytes per vector (product-quantised codes; 48 for 384 dimensions, 32x less than float32), so a language
of tens of millions of passages fits in memory; ``hnsw`` and ``ivf`` keep every vector. Its codes give approximate
scores, so it re-ranks ``refine`` x k candidates by their exact inner products, read from the vectors on disk:
the scores it returns are exact, and only the candidates' rows are read.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from pyterrier_hybrid.core.atomic import atomic_path

METHODS = ("exact", "hnsw", "ivf", "ivfpq")
_BLAS_THRESHOLD = 20  # queries per search from which faiss uses BLAS (its default before 1.15)
#: ``n_list`` None: 4·sqrt(n) lists; ``m`` None: one sub-quantiser per 8 dimensions (a divisor of the dimension);
#: ``n_bits``: bits per code, lowered to what a small language's sample can train (2^bits <= its rows).
DEFAULTS = {"exact": {}, "hnsw": {"neighbours": 32, "ef_construction": 40, "ef_search": 128},
            "ivf": {"n_list": None, "n_probe": 16, "train_size": 262144},
            "ivfpq": {"n_list": None, "m": None, "n_bits": 8, "n_probe": 16, "train_size": 262144, "refine": 16}}
SEARCH_PARAMS = frozenset({"ef_search", "n_probe", "refine"})  # set at search time: not part of a saved index's identity
ADD_CHUNK = 65536  # rows read from the vectors and added per call while building
_REFINE_FLOATS = 1 << 24  # candidate vector floats (64 MB) re-scored at once by an ivfpq search


def ann_params(method: str, params: dict) -> dict:
    """The full parameter set of ``method`` (defaults filled in); rejects unknown methods and names."""
    if method not in METHODS:
        raise ValueError(f"unknown retrieval method {method!r}; valid: {', '.join(METHODS)}")
    unknown = set(params) - set(DEFAULTS[method])
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(sorted(unknown))} for method {method!r}; "
                         f"valid: {', '.join(DEFAULTS[method]) or '(none)'}")
    return {**DEFAULTS[method], **params}


def _n_list(params: dict, n: int) -> int:
    n_list = params["n_list"] or max(1, int(4 * np.sqrt(n)))
    return max(1, min(n_list, n // 39))  # faiss wants >= 39 training points per list


def _sub_quantisers(m: int | None, dim: int) -> int:
    if m is None:
        return max(d for d in range(1, max(1, dim // 8) + 1) if dim % d == 0)
    if dim % m:
        raise ValueError(f"ivfpq: m={m} sub-quantisers must divide the vector dimension {dim}")
    return m


def _rows(vecs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vecs[rows], dtype=np.float32)


def _build(method: str, vecs: np.ndarray, rows: np.ndarray, params: dict):
    """A faiss index over ``vecs[rows]``: the quantisers trained on a sample, the vectors added chunk by chunk."""
    import faiss
    dim = vecs.shape[1]
    if method == "hnsw":
        index = faiss.IndexHNSWFlat(dim, params["neighbours"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params["ef_construction"]
    else:
        sample = np.sort(np.random.default_rng(0).choice(rows, min(len(rows), params["train_size"]), replace=False))
        train = _rows(vecs, sample)
        n_list = _n_list(params, len(rows))
        if len(train) < 2:  # one vector trains no quantiser: the language is its own exact index
            index = faiss.IndexFlatIP(dim)
        elif method == "ivf":
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, n_list, faiss.METRIC_INNER_PRODUCT)
        else:
            n_bits = max(1, min(params["n_bits"], int(np.log2(len(train)))))
            index = faiss.IndexIVFPQ(faiss.IndexFlatIP(dim), dim, n_list, _sub_quantisers(params["m"], dim), n_bits,
                                     faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            index.train(train)
    for start in range(0, len(rows), ADD_CHUNK):
        index.add(_rows(vecs, rows[start:start + ADD_CHUNK]))
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


class _Refined:
    """An IVF-PQ index whose ``refine`` x k candidates are re-ranked by exact inner product with ``vecs[rows]``."""

    def __init__(self, index, vecs: np.ndarray, rows: np.ndarray, refine: int):
        self.index, self.vecs, self.rows, self.refine = index, vecs, rows, refine

    def __getattr__(self, name):
        return getattr(self.index, name)

    def search(self, x: np.ndarray, k: int):
        _, found = self.index.search(x, min(k * self.refine, len(self.rows)))
        exact = np.full(found.shape, -np.inf, np.float32)
        step = max(1, _REFINE_FLOATS // max(1, found.shape[1] * x.shape[1]))  # bounds the candidates read at once
        for start in range(0, len(x), step):
            block = found[start:start + step]
            hit = block >= 0
            unique, where = np.unique(np.where(hit, block, 0), return_inverse=True)  # each row read once
            candidates = _rows(self.vecs, self.rows[unique])[where.reshape(block.shape)]
            exact[start:start + step] = np.where(hit, np.einsum("qd,qcd->qc", x[start:start + step], candidates),
                                                 -np.inf)
        top = np.argsort(-exact, axis=1, kind="stable")[:, :k]
        scores = np.take_along_axis(exact, top, axis=1)
        return scores, np.where(np.isfinite(scores), np.take_along_axis(found, top, axis=1), -1)


def _configure(index, method: str, params: dict, vecs: np.ndarray, rows: np.ndarray):
    if method == "hnsw":
        index.hnsw.efSearch = params["ef_search"]
    elif method in ("ivf", "ivfpq") and hasattr(index, "nprobe"):
        index.nprobe = params["n_probe"]
        if method == "ivfpq" and params["refine"] > 1:
            return _Refined(index, vecs, rows, params["refine"])
    else:
        return _BlasFlat(index)
    return index


def language_searcher(vecs: np.ndarray, rows: np.ndarray, method: str, params: dict, save_dir: Path, lang: str):
    """A faiss index over one language's vectors ``vecs[rows]`` (``vecs`` may be memory-mapped: ANN indexes read
    it in chunks); ANN ones are loaded from / saved to ``save_dir``."""
    import faiss
    if method == "exact":
        index = faiss.IndexFlatIP(vecs.shape[1])
        index.add(_rows(vecs, rows))
        return _configure(index, method, params, vecs, rows)
    build_params = {k: v for k, v in params.items() if k not in SEARCH_PARAMS}
    folder = save_dir / (method + "".join(f"_{k}-{v}" for k, v in sorted(build_params.items())))
    file = folder / f"{lang}.faiss"
    if file.exists():
        try:
            index = faiss.read_index(str(file))
        except RuntimeError as e:
            raise ValueError(f"corrupt ANN index file {str(file)!r} ({e}); delete it to rebuild") from e
        if index.ntotal != len(rows) or index.d != vecs.shape[1]:
            raise ValueError(f"ANN index file {str(file)!r} does not match the index vectors; delete it to rebuild")
    else:
        index = _build(method, vecs, rows, params)
        with atomic_path(file) as tmp:
            faiss.write_index(index, str(tmp))
    return _configure(index, method, params, vecs, rows)
