"""Offline BM25 (bm25s + our language analysis) as PyTerrier indexer and retriever; no Java.

Each document is analysed in its own language and each query in its own, so one index may hold several
languages and a query may search a pool in another language. Across languages BM25 can only match what the
texts share literally (names, numbers, cognates): a known weak baseline for cross-lingual and multilingual
settings, reported as *lexical overlap only*. A document's or query's language is its ``lang`` column, else
its id's prefix (``{lang}:...``), else the index's single language.
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
_FORMAT = 2  # 1: one language for the whole index; 2: a language per document


def languages_of(frame: pd.DataFrame, id_column: str, default: str | None, what: str) -> list[str]:
    """Each row's language: its ``lang`` column, else its id's prefix, else ``default``; a row whose column and
    prefix disagree, or that has no language at all, is an error naming it."""
    prefixes = [language_or_none(str(x)) for x in frame[id_column]]
    column = frame["lang"].tolist() if "lang" in frame.columns else [None] * len(frame)
    langs = []
    for ident, prefix, given in zip(frame[id_column], prefixes, column):
        if given and prefix and given != prefix:
            raise ValueError(f"{what} {ident!r} has lang {given!r} but its id says {prefix!r}")
        lang = given or prefix or default
        if lang is None:
            raise ValueError(f"{what} {ident!r} has no language: give a 'lang' column, a '{{lang}}:' id prefix or "
                             "the index's language")
        langs.append(lang)
    return langs


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
    """An in-memory BM25 index of documents in one or several languages, optionally persisted to a directory."""

    def __init__(self, model: bm25s.BM25, docnos: Sequence[str], doc_langs: Sequence[str], stem: bool = True):
        self.model, self.stem = model, stem
        self.docnos = np.asarray(docnos, dtype=object)
        self.doc_langs = np.asarray(doc_langs, dtype=object)
        self.languages: tuple[str, ...] = tuple(sorted(set(self.doc_langs.tolist())))
        self.tie_keys = np.argsort(np.argsort(self.docnos.astype(str), kind="stable"), kind="stable")

    @property
    def lang(self) -> str | None:
        """The index's language when it holds one, else None (a multilingual index)."""
        return self.languages[0] if len(self.languages) == 1 else None

    @classmethod
    def build(cls, docs: Iterable[dict[str, Any]] | pd.DataFrame, lang: str | None = None, *, stem: bool = True,
              k1: float = 1.2, b: float = 0.75, text_field: str = "text") -> BM25Index:
        """Index documents (``docno``, ``text_field``, optionally ``lang``), each analysed in its language.

        ``lang``: every document is in this language (one whose id or ``lang`` says otherwise is an error);
        None: documents of any languages, each language read from its ``lang`` column or its id's prefix.
        """
        frame = pd.DataFrame(docs) if not isinstance(docs, pd.DataFrame) else docs
        if len(frame) == 0:
            raise ValueError("cannot build a BM25 index over an empty pool of documents")
        if lang is not None:
            analyzer_for(lang, stem)  # validates the language
        langs = languages_of(frame, "docno", lang, "document")
        other = sorted(set(langs) - {lang}) if lang is not None else []
        if other:
            raise ValueError(f"this BM25 index is {lang!r} but documents in {', '.join(other)} were given; build "
                             "with lang=None for an index of several languages (each analysed in its own)")
        texts = frame[text_field].tolist()
        tokens = [analyzer_for(x, stem)(text) or [""] for x, text in zip(langs, texts)]
        model = bm25s.BM25(k1=k1, b=b)
        model.index(tokens, show_progress=False)
        return cls(model, frame["docno"].astype(str).tolist(), langs, stem)

    def scores(self, queries: Sequence[str], langs: str | Sequence[str] | None = None) -> np.ndarray:
        """BM25 score of every document for every query, each query analysed in its language (``langs``: one per
        query, or one for all; default the index's own): a (len(queries), num_docs) float32 matrix."""
        langs = self._query_languages(len(queries), langs)
        out = np.zeros((len(queries), len(self.docnos)), dtype=np.float32)
        for i, (query, lang) in enumerate(zip(queries, langs)):
            ids = self.model.get_tokens_ids(analyzer_for(lang, self.stem)(query))
            if ids:
                out[i] = self.model.get_scores(ids)
        return out

    def _query_languages(self, n: int, langs: str | Sequence[str] | None) -> list[str]:
        if langs is None:
            if self.lang is None:
                raise ValueError(f"the queries' languages are needed to analyse them: this index holds "
                                 f"{' '.join(self.languages)} (give langs=, a 'lang' column or '{{lang}}:' qids)")
            langs = self.lang
        if isinstance(langs, str):
            return [langs] * n
        if len(langs) != n:
            raise ValueError(f"{len(langs)} query languages for {n} queries")
        return list(langs)

    def retriever(self, num_results: int = 1000) -> BM25Retriever:
        """A PyTerrier retriever over this index returning ``num_results`` documents per query."""
        return BM25Retriever(self, num_results)

    def save(self, path: str | os.PathLike) -> Path:
        """Persist atomically: written into a temporary sibling directory, then renamed into place."""
        path = Path(path)
        codes = {lang: i for i, lang in enumerate(self.languages)}
        with atomic_directory(path) as tmp:
            self.model.save(tmp, show_progress=False)
            meta = {"format": _FORMAT, "languages": list(self.languages), "stem": self.stem,
                    "docnos": self.docnos.tolist(), "doc_langs": [codes[x] for x in self.doc_langs]}
            atomic_write_json(tmp / _META, meta, indent=None)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> BM25Index:
        """Load an index written by :meth:`save` (either format); a missing or foreign directory is a clear error."""
        path = Path(path)
        meta_file = path / _META
        if not meta_file.exists():
            raise FileNotFoundError(f"{path} is not a complete BM25 index (no {_META})")
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("format") == 1:
            langs = [meta["lang"]] * len(meta["docnos"])
        elif meta.get("format") == _FORMAT:
            langs = [meta["languages"][code] for code in meta["doc_langs"]]
        else:
            raise ValueError(f"{path}: BM25 index format {meta.get('format')!r}, expected 1 or {_FORMAT}")
        return cls(bm25s.BM25.load(path), meta["docnos"], langs, meta["stem"])


class BM25Retriever(pt.Transformer):
    """Retrieves from a :class:`BM25Index`: topics (qid, query, optionally lang) → (qid, query, docno, score,
    rank); each query analysed in its own language (its ``lang``, its qid's prefix, or the index's language)."""

    def __init__(self, index: BM25Index, num_results: int = 1000):
        self.index, self.num_results = index, num_results

    def __repr__(self) -> str:
        return f"BM25({' '.join(self.index.languages)}, num_results={self.num_results})"

    def transform(self, topics: pd.DataFrame) -> pd.DataFrame:
        """Score every document for each query and keep the ``num_results`` best."""
        pt.validate.query_frame(topics, extra_columns=["query"])
        langs = languages_of(topics, "qid", self.index.lang, "query")
        scores = self.index.scores(topics["query"].tolist(), langs)
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
    """PyTerrier indexer: ``BM25Indexer("de").index(docs)`` or, over several languages, ``BM25Indexer().index(docs)``
    → a :class:`BM25Index` (saved if a path is given)."""

    def __init__(self, lang: str | None = None, path: str | os.PathLike | None = None, *, stem: bool = True,
                 k1: float = 1.2, b: float = 0.75, text_field: str = "text"):
        if lang is not None:
            analyzer_for(lang, stem)  # validates the language before any work
        self.lang, self.path, self.stem, self.k1, self.b, self.text_field = lang, path, stem, k1, b, text_field

    def index(self, iter: Iterable[dict[str, Any]], **kwargs: Any) -> BM25Index:
        """Index an iterable of dicts with ``docno`` and the text field (and optionally ``lang``)."""
        index = BM25Index.build(iter, self.lang, stem=self.stem, k1=self.k1, b=self.b, text_field=self.text_field)
        if self.path is not None:
            index.save(self.path)
        return index
