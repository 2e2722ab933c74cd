"""ANN retrieval at scale: the project's HNSW / IVF retrievers against exact inner-product search.

Usage: python benchmarks/bench_ann.py [--docs 1000000] [--dim 384] [--queries 1000] [--k 10]
           [--source gmm | real --real-cache DIR] [--methods hnsw ivf ivfpq] [--ivf-n-list 1024] [--workdir DIR]

Builds a ``DenseIndex`` of ``--docs`` normalised vectors and runs ``DenseIndex.retriever(method=...)`` (the
``PoolRetriever`` the project uses; its per-language faiss indexes come from ``retrieval/ann.py``) for
``exact`` and each ANN method on held-out queries from the same distribution. Prints per method: build time
(faiss index built and saved), query time and speed-up over exact, and recall@k against the exact top k
(share of the exact top-k docids the method returns). Queries are searched in batches of the retriever's
``qbatch`` (256), as its ``transform`` does.

Vectors (not uniform noise, on which ANN is meaningless):
* ``gmm`` (default): a Gaussian mixture shaped like real sentence embeddings (see ``SpectralMixture``: its
  variance spectrum, mean cosine and small-scale HNSW recall match 26k real multilingual-e5-small vectors).
* ``gmm-isotropic``: isotropic clusters, a harder case for ANN than real embeddings (``IsotropicMixture``).
* ``real``: real embeddings (every ``vecs`` array of the embedding-cache shards under ``--real-cache``, e.g.
  ``~/.cache/pyterrier_hybrid/embeddings/<fingerprint>-fp32``), each repeated with Gaussian noise up to
  ``--docs`` vectors; queries are further noisy copies (near-duplicate families: also harder than real data).

Memory: the vectors (1.5 GB for 1M x 384) live in the index file; the search holds one copy plus the faiss
index of one method at a time (peak RSS 5.6 GB at 1M x 384). Runtime on 2 cores: ~8-11 minutes at 1M, most
of it the HNSW build (the project's defaults: 32 neighbours, ef_construction 40), 5.5-7.5 minutes.
"""
from __future__ import annotations

import argparse
import gc
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

CHUNK = 50_000


def _normalise(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


class SpectralMixture:
    """Clustered unit vectors shaped like sentence embeddings (the default, ``gmm``).

    A Gaussian mixture (``clusters`` centres, Zipf-distributed sizes) whose centres and within-cluster noise
    have a decaying variance spectrum (std of dimension j ~ j^-0.35, half the variance between clusters) around
    a common mean direction. Calibrated on 26,021 real multilingual-e5-small vectors (XQuAD-R questions and
    sentences): both need ~50 / ~175 / ~255 principal components for 50 / 80 / 90 % of the variance, have mean
    pairwise cosine 0.75, and give the project's default HNSW recall@10 0.98 (synthetic) vs 0.99 (real) at
    that size.
    """

    def __init__(self, dim: int, clusters: int, seed: int, decay: float = 0.35, between: float = 0.5,
                 mean_cos: float = 0.745):
        rng = np.random.default_rng(seed)
        std = np.arange(1, dim + 1, dtype=np.float32) ** -decay
        self.std = std / np.sqrt((std ** 2).sum())
        self.centres = rng.standard_normal((clusters, dim), dtype=np.float32) * self.std * np.sqrt(between)
        weights = 1.0 / np.arange(1, clusters + 1) ** 0.8
        self.p = weights / weights.sum()
        self.within = np.float32(np.sqrt(1 - between))
        direction = rng.standard_normal(dim).astype(np.float32)
        self.mean = direction / np.linalg.norm(direction) * np.float32(np.sqrt(mean_cos / (1 - mean_cos)))
        self.dim = dim

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        c = rng.choice(len(self.p), size=n, p=self.p)
        x = rng.standard_normal((n, self.dim), dtype=np.float32) * (self.std * self.within)
        return _normalise(x + self.centres[c] + self.mean)


class IsotropicMixture:
    """A harder case (``gmm-isotropic``): isotropic Gaussian clusters around centres in a loose cone.

    Its local neighbourhoods are nearly equidistant (most variance in ~270 of 384 components, mean cosine
    0.36), unlike real embeddings, so ANN recall is lower than on real data.
    """

    def __init__(self, dim: int, clusters: int, seed: int):
        rng = np.random.default_rng(seed)
        common = _normalise(rng.standard_normal((1, dim)).astype(np.float32))
        self.centres = _normalise(1.2 * common + rng.standard_normal((clusters, dim)).astype(np.float32)
                                  / np.sqrt(dim))
        weights = 1.0 / np.arange(1, clusters + 1) ** 0.8
        self.p = weights / weights.sum()
        self.spread = rng.uniform(0.6, 1.0, clusters).astype(np.float32) / np.sqrt(dim)
        self.dim = dim

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        c = rng.choice(len(self.p), size=n, p=self.p)
        x = rng.standard_normal((n, self.dim), dtype=np.float32) * self.spread[c, None]
        return _normalise(x + self.centres[c])


def describe(x: np.ndarray) -> str:
    """Principal components for 50/80/90 % of the variance and mean pairwise cosine of a sample."""
    centred = x - x.mean(0)
    var = np.linalg.svd(centred, compute_uv=False) ** 2
    share = np.cumsum(var) / var.sum()
    pcs = "/".join(str(int(np.searchsorted(share, q)) + 1) for q in (0.5, 0.8, 0.9))
    return f"{pcs} principal components for 50/80/90 % of the variance, mean cosine {(x[:2000] @ x[:2000].T).mean():.3f}"


class NoisyReal:
    """Real embeddings repeated with Gaussian noise."""

    def __init__(self, cache_dir: Path, noise: float):
        shards = sorted(Path(cache_dir).expanduser().rglob("shard-*.npz"))
        if not shards:
            raise SystemExit(f"no embedding-cache shards (shard-*.npz) under {cache_dir}")
        self.base = np.concatenate([np.load(s)["vecs"] for s in shards]).astype(np.float32)
        self.dim, self.noise = self.base.shape[1], noise / np.sqrt(self.base.shape[1])
        print(f"real embeddings: {len(self.base)} vectors of dimension {self.dim} from {len(shards)} shards")

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        x = self.base[rng.integers(len(self.base), size=n)]
        return _normalise(x + self.noise * rng.standard_normal(x.shape, dtype=np.float32))


def build_index(path: Path, source, n: int, rng: np.random.Generator):
    from pyterrier_hybrid.retrieval import DenseIndex

    def docs():
        for start in range(0, n, CHUNK):
            for i, vec in enumerate(source.sample(min(CHUNK, n - start), rng), start):
                yield {"docno": f"en:{i}", "doc_vec": vec}

    t = time.perf_counter()
    index = DenseIndex(path).index(docs())
    print(f"dense index of {len(index):,} vectors written in {time.perf_counter() - t:.1f} s "
          f"({(path / 'vecs.f4').stat().st_size / 2**30:.2f} GiB)", flush=True)
    return index


def run_method(index, method: str, params: dict, queries: np.ndarray, k: int, repeats: int):
    """(build seconds, median query seconds, docids) of one retrieval method."""
    retriever = index.retriever(num_results=k, method=method, **params)
    t = time.perf_counter()
    retriever._searchers()  # builds (and for ANN saves) the faiss index
    build = time.perf_counter() - t
    times, docids = [], None
    for _ in range(repeats):  # in batches of the retriever's qbatch queries, as its transform() does
        t = time.perf_counter()
        docids = np.concatenate([retriever.search(queries[i:i + retriever.qbatch])[1]
                                 for i in range(0, len(queries), retriever.qbatch)])
        times.append(time.perf_counter() - t)
    index._cache.clear()  # free this method's faiss index before the next one
    gc.collect()
    return build, float(np.median(times)), docids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--source", choices=["gmm", "gmm-isotropic", "real"], default="gmm")
    parser.add_argument("--clusters", type=int, default=2000, help="gmm: mixture components")
    parser.add_argument("--real-cache", type=Path, help="real: folder of embedding-cache shards")
    parser.add_argument("--noise", type=float, default=0.5, help="real: noise norm relative to the unit vector")
    parser.add_argument("--methods", nargs="+", default=["hnsw", "ivf", "ivfpq"], choices=["hnsw", "ivf", "ivfpq"])
    parser.add_argument("--ivf-n-list", type=int, default=1024,
                        help="IVF lists (ann.py's default 4*sqrt(N) = 4000 at 1M takes ~10 min of k-means here)")
    parser.add_argument("--ivf-n-probe", type=int, nargs="+", default=[16],
                        help="IVF lists searched; several values reuse one built index")
    parser.add_argument("--ivfpq-m", type=int, default=None,
                        help="IVF-PQ sub-quantisers, bytes per vector (ann.py's default: dim / 8)")
    parser.add_argument("--ivfpq-refine", type=int, nargs="+", default=[1, 4, 16, 64],
                        help="IVF-PQ: refine x k candidates re-scored exactly (1: codes only)")
    parser.add_argument("--hnsw-ef-search", type=int, nargs="+", default=[64, 128],
                        help="HNSW search breadth; several values reuse one built index")
    parser.add_argument("--repeats", type=int, default=3, help="query timing repeats (median counts)")
    parser.add_argument("--workdir", type=Path, help="where the index is written (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import faiss
    rng = np.random.default_rng(args.seed)
    if args.source == "real":
        source = NoisyReal(args.real_cache, args.noise)
    else:
        source = (SpectralMixture if args.source == "gmm" else IsotropicMixture)(args.dim, args.clusters, args.seed)
    print(f"{args.source} vectors: {describe(source.sample(20_000, np.random.default_rng(args.seed + 2)))}")
    work = Path(tempfile.mkdtemp(prefix="bench_ann_", dir=args.workdir))
    try:
        queries = source.sample(args.queries, np.random.default_rng(args.seed + 1))
        index = build_index(work / "index", source, args.docs, rng)
        print(f"{args.queries} queries, top {args.k}, faiss {faiss.__version__} with {faiss.omp_get_max_threads()} "
              f"threads; query time = median of {args.repeats}\n", flush=True)
        build, exact_s, exact_ids = run_method(index, "exact", {}, queries, args.k, args.repeats)
        rows = [("exact", "", build, exact_s, 1.0)]
        print(f"  exact: {exact_s:.2f} s", flush=True)
        configs = []
        if "hnsw" in args.methods:
            configs += [("hnsw", {"ef_search": ef}) for ef in args.hnsw_ef_search]
        if "ivf" in args.methods:
            configs += [("ivf", {"n_list": args.ivf_n_list, "n_probe": p}) for p in args.ivf_n_probe]
        if "ivfpq" in args.methods:
            configs += [("ivfpq", {"n_list": args.ivf_n_list, "m": args.ivfpq_m, "n_probe": p, "refine": r})
                        for p in args.ivf_n_probe for r in args.ivfpq_refine]
        for method, params in configs:
            build, seconds, ids = run_method(index, method, params, queries, args.k, args.repeats)
            recall = np.mean([len(set(a) & set(b[b >= 0])) / args.k for a, b in zip(exact_ids, ids)])
            label = " ".join(f"{k}={v}" for k, v in params.items())
            rows.append((method, label, build, seconds, recall))
            print(f"  {method} {label}: build {build:.1f} s, query {seconds:.3f} s, recall@{args.k} {recall:.4f}",
                  flush=True)
        print(f"\n{args.source} vectors: {args.docs:,} x {args.dim}" +
              (f", {args.clusters} clusters" if args.source != "real" else ""))
        print(f"  {'method':6s} {'parameters':40s} {'build s':>8s} {'query s':>8s} {'q/s':>9s} {'speed-up':>9s} "
              f"{'recall@' + str(args.k):>9s}")
        for method, label, build, seconds, recall in rows:
            b = f"{build:8.1f}" if method != "exact" else f"{'-':>8s}"
            print(f"  {method:6s} {label:40s} {b} {seconds:8.3f} {args.queries / seconds:9.0f} "
                  f"{exact_s / seconds:8.1f}x {recall:9.4f}")
        print("(ANN build time includes saving the faiss index; a second run with the same parameters loads it; "
              "later rows of one method reuse the index built for the first.)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
