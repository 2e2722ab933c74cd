"""Dense retrieval restricted to a pool of languages.

Only the pool languages' own faiss indexes are searched, so a document of another language is
never a candidate, whatever its score (masking scores to zero would fail: cosines can be negative).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyterrier as pt
import pyterrier_alpha as pta

from datasets_ext import MULTI, check_languages
from pyterrier_hybrid.retrieval.ann import ann_params, language_searcher


def resolve_pool(pool: str | Iterable[str] | None, available: Sequence[str], family: str | None = None
                 ) -> tuple[str, ...]:
    """Validate a pool of languages against ``family`` (if given) and the ``available`` ones.

    None or ``"multi"`` means every available language; an empty pool or an unknown language
    raises ValueError listing the valid languages.
    """
    if pool is None or pool == MULTI:
        return tuple(available)
    if not isinstance(pool, (str, Iterable)):  # e.g. index.retriever(100), meant as a number of results
        raise TypeError(f"the pool is a language, a list of languages, 'multi' or None, not {pool!r}; a number of "
                        "results goes by keyword: retriever(pool, num_results=...)")
    langs = (pool,) if isinstance(pool, str) else tuple(dict.fromkeys(pool))
    if not langs:
        raise ValueError(f"empty language pool; valid languages: {' '.join(available)} (or None/'multi' for all)")
    if family is not None:
        check_languages(family, langs)
    unknown = [lang for lang in langs if lang not in available]
    if unknown:
        raise ValueError(f"unknown pool language(s) {', '.join(map(repr, unknown))}: the index holds no documents "
                         f"in them; valid languages: {' '.join(available)}")
    return langs


class PoolRetriever(pt.Transformer):
    """Top ``num_results`` documents of the pool languages by inner product with ``query_vec``."""

    def __init__(self, index, pool: str | Iterable[str] | None = None, *, family: str | None = None,
                 num_results: int | None = 1000, method: str = "exact", qbatch: int = 256, **params):
        """Validate the pool and method now, before any query is encoded; ``num_results=None``: whole pool."""
        self.index = index
        self.pool = resolve_pool(pool, sorted(index.languages()), family)
        self.method, self.params = method, ann_params(method, params)
        self.num_results, self.qbatch = num_results, qbatch
        self.pool_size = sum(index.languages()[lang] for lang in self.pool)

    def __repr__(self) -> str:
        return (f"{self.index!r}.retriever(pool={list(self.pool)!r}, num_results={self.num_results!r}, "
                f"method={self.method!r})")

    def fuse_rank_cutoff(self, k: int) -> PoolRetriever | None:
        """``retriever % k`` as one exact retriever of ``k`` results (ANN results depend on k, so not fused)."""
        if self.method != "exact" or (self.num_results is not None and k >= self.num_results):
            return None
        return PoolRetriever(self.index, self.pool, num_results=k, method=self.method, qbatch=self.qbatch)

    def _searchers(self) -> list[tuple[object, np.ndarray]]:
        key = ("pool_searchers", self.method, tuple(sorted(self.params.items())))
        cache = self.index._cache.setdefault(key, {})
        dvecs, meta = self.index.payload(return_docnos=False)
        for lang in self.pool:
            if lang not in cache:
                docids = self.index.language_docids(lang)
                cache[lang] = (language_searcher(dvecs, docids, self.method, self.params,
                                                 self.index.index_path / "ann", lang), docids)
        return [cache[lang] for lang in self.pool]

    def search(self, query_vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores and docids (rows sorted by score, best first; docid -1 / score -inf pad ANN misses)."""
        k = self.pool_size if self.num_results is None else min(self.num_results, self.pool_size)
        scores, docids = [], []
        for searcher, lang_docids in self._searchers():
            s, i = searcher.search(query_vecs, min(k, len(lang_docids)))
            hit = i >= 0
            scores.append(np.where(hit, s, -np.inf))
            docids.append(np.where(hit, lang_docids[np.where(hit, i, 0)], -1))
        scores, docids = np.concatenate(scores, axis=1), np.concatenate(docids, axis=1)
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(scores, top, axis=1), np.take_along_axis(docids, top, axis=1)

    def transform(self, inp: pd.DataFrame) -> pd.DataFrame:
        """Rank the pool for each query of ``inp`` (which needs ``qid`` and ``query_vec``)."""
        pta.validate.query_frame(inp, extra_columns=["query_vec"])
        inp = inp.reset_index(drop=True)
        docnos, meta = self.index.payload(return_dvecs=False)
        query_vecs = (np.stack(inp["query_vec"]).astype(np.float32) if len(inp)
                      else np.empty((0, meta["vec_size"]), np.float32))
        if query_vecs.shape[1] != meta["vec_size"]:
            raise ValueError(f"query vectors have {query_vecs.shape[1]} dimensions but {self.index!r} holds "
                             f"{meta['vec_size']}-dimensional vectors: the query encoder is not the index's model")
        scores, docids, counts = [np.empty(0, np.float32)], [np.empty(0, np.int64)], []
        for start in range(0, len(query_vecs), self.qbatch):
            for s, d in zip(*self.search(query_vecs[start:start + self.qbatch])):
                keep = d >= 0
                scores.append(s[keep])
                docids.append(d[keep])
                counts.append(int(keep.sum()))
        docids = np.concatenate(docids)
        out = inp.iloc[np.repeat(np.arange(len(inp)), counts)].reset_index(drop=True)
        return out.assign(docno=docnos.fwd[docids] if len(docids) else np.empty(0, dtype=object),
                          docid=docids, score=np.concatenate(scores),
                          rank=np.concatenate([np.arange(c) for c in counts] or [np.empty(0, np.int64)]))
