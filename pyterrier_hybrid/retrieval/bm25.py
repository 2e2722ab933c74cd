"""Offline BM25 (bm25s + our language analysis) as PyTerrier indexer and retriever; no Java.

BM25 is language-specific: one index holds the candidates of one language, and it only runs
monolingual settings; queries or documents whose id carries another language prefix are refused
with a clear error.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import pandas as pd
import pyterrier as pt

from datasets_ext.ids import language_or_none
from pyterrier_hybrid.core.atomic import atomic_directory, atomic_write_json
from pyterrier_hybrid.retrieval.analysis import analyzer_for

_META = "pyterrier_hybrid_bm25.json"
_FORMAT = 1


def _check_language(ids: Iterable[str], lang: str, what: str) -> None:
    other = sorted({x for x in map(language_or_none, ids) if x is not None and x != lang})
    if other:
        raise ValueError(f"BM25 is monolingual: this index is {lang!r} but {what} in {', '.join(other)} were "
                         "given; BM25 is not applicable to cross-lingual or multilingual settings")


def top_k(scores: np.ndarray, tie_keys: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best of ``scores``, by score descending, ties by ``tie_keys`` descending
    (trec_eval's order: on equal scores the larger docno comes first)."""
    k = min(k, len(scores))
    if k == 0:
        return np.empty(0, dtype=np.int64)
    threshold = np.partition(scores, len(scores) - k)[len(scores) - k]
    cand = np.flatnonzero(scores >= threshold)
    order = np.lexsort((-tie_keys[cand], -scores[cand]))
    return cand[order[:k]]


class BM25Index:
    """An in-memory BM25 index of one language's documents, optionally persisted to a directory."""

    def __init__(self, model: bm25s.BM25, docnos: Sequence[str], lang: str, stem: bool = True):
        self.model, self.lang, self.stem = model, lang, stem
        self.docnos = np.asarray(docnos, dtype=object)
        self.analyze = analyzer_for(lang, stem)
        self.tie_keys = np.argsort(np.argsort(self.docnos.astype(str), kind="stable"), kind="stable")

    @classmethod
    def build(cls, docs: Iterable[dict[str, Any]] | pd.DataFrame, lang: str, *, stem: bool = True,
              k1: float = 1.2, b: float = 0.75, text_field: str = "text") -> BM25Index:
        """Index documents (``docno`` and ``text_field``) of language ``lang``."""
        frame = pd.DataFrame(docs) if not isinstance(docs, pd.DataFrame) else docs
        if len(frame) == 0:
            raise ValueError("cannot build a BM25 index over an empty pool of documents")
        _check_language(frame["docno"], lang, "documents")
        analyze = analyzer_for(lang, stem)
        model = bm25s.BM25(k1=k1, b=b)
        model.index([analyze(text) or [""] for text in frame[text_field]], show_progress=False)
        return cls(model, frame["docno"].astype(str).tolist(), lang, stem)

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for every query: a (len(queries), num_docs) float32 matrix."""
        out = np.zeros((len(queries), len(self.docnos)), dtype=np.float32)
        for i, query in enumerate(queries):
            ids = self.model.get_tokens_ids(self.analyze(query))
            if ids:
                out[i] = self.model.get_scores(ids)
        return out

    def retriever(self, num_results: int = 1000) -> BM25Retriever:
        """A PyTerrier retriever over this index returning ``num_results`` documents per query."""
        return BM25Retriever(self, num_results)

    def save(self, path: str | os.PathLike) -> Path:
        """Persist atomically: written into a temporary sibling directory, then renamed into place."""
        path = Path(path)
        with atomic_directory(path) as tmp:
            self.model.save(tmp, show_progress=False)
            meta = {"format": _FORMAT, "lang": self.lang, "stem": self.stem, "docnos": self.docnos.tolist()}
            atomic_write_json(tmp / _META, meta, indent=None)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> BM25Index:
        """Load an index written by :meth:`save`; a missing or foreign directory is a clear error."""
        path = Path(path)
        meta_file = path / _META
        if not meta_file.exists():
            raise FileNotFoundError(f"{path} is not a complete BM25 index (no {_META})")
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{path}: BM25 index format {meta.get('format')!r}, expected {_FORMAT}")
        return cls(bm25s.BM25.load(path), meta["docnos"], meta["lang"], meta["stem"])


class BM25Retriever(pt.Transformer):
    """Retrieves from a :class:`BM25Index`: topics (qid, query) → (qid, query, docno, score, rank)."""

    def __init__(self, index: BM25Index, num_results: int = 1000):
        self.index, self.num_results = index, num_results

    def __repr__(self) -> str:
        return f"BM25({self.index.lang}, num_results={self.num_results})"

    def transform(self, topics: pd.DataFrame) -> pd.DataFrame:
        """Score every document for each query and keep the ``num_results`` best."""
        pt.validate.query_frame(topics, extra_columns=["query"])
        _check_language(topics["qid"], self.index.lang, "queries")
        scores = self.index.scores(topics["query"].tolist())
        idx = [top_k(row, self.index.tie_keys, self.num_results) for row in scores]
        sizes = np.array([len(i) for i in idx], dtype=np.int64)
        flat = np.concatenate(idx) if idx else np.empty(0, dtype=np.int64)
        rows = np.repeat(np.arange(len(topics)), sizes)
        out = topics.iloc[rows].reset_index(drop=True)
        out["docno"] = self.index.docnos[flat]
        out["score"] = scores[rows, flat].astype(np.float64)
        out["rank"] = np.concatenate([np.arange(n) for n in sizes]) if len(sizes) else np.empty(0, np.int64)
        return out


class BM25Indexer(pt.Indexer):
    """PyTerrier indexer: ``BM25Indexer("de").index(docs)`` → a :class:`BM25Index` (saved if a path is given)."""

    def __init__(self, lang: str, path: str | os.PathLike | None = None, *, stem: bool = True,
                 k1: float = 1.2, b: float = 0.75, text_field: str = "text"):
        analyzer_for(lang, stem)  # validates the language before any work
        self.lang, self.path, self.stem, self.k1, self.b, self.text_field = lang, path, stem, k1, b, text_field

    def index(self, iter: Iterable[dict[str, Any]], **kwargs: Any) -> BM25Index:
        """Index an iterable of dicts with ``docno`` and the text field."""
        index = BM25Index.build(iter, self.lang, stem=self.stem, k1=self.k1, b=self.b, text_field=self.text_field)
        if self.path is not None:
            index.save(self.path)
        return index
