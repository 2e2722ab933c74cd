"""Systems of the language-pair matrix: a bi-encoder (each language encoded once, pools stacked) and BM25."""
from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from datasets_ext import Setting
from pyterrier_hybrid.evaluation.collection import Collection


class System(Protocol):
    """A system of the matrix: scores one language's queries against a pool of languages, and counts the texts
    it encoded (None for systems that encode nothing)."""
    name: str

    @property
    def encoded(self) -> int | None: ...

    def scores(self, collection: Collection, setting: Setting) -> np.ndarray: ...


class DenseSystem:
    """A bi-encoder: every language's queries and candidates are encoded once, then pools are stacked."""

    def __init__(self, encoder, name: str | None = None):
        self.encoder, self.name = encoder, name or encoder.model_name
        self._queries: dict[str, np.ndarray] = {}
        self._docs: dict[str, np.ndarray] = {}

    @property
    def encoded(self) -> int:
        """Texts encoded so far (texts found in the embedding cache are not counted)."""
        return self.encoder.stats.encoded

    def scores(self, collection: Collection, setting: Setting) -> np.ndarray:
        x = setting.query_lang
        if x not in self._queries:
            self._queries[x] = self.encoder.encode_queries(collection.data[x].query_texts)
        for lang in setting.pool_langs:
            if lang not in self._docs:
                self._docs[lang] = self.encoder.encode_docs(collection.data[lang].doc_texts)
        pool = np.concatenate([self._docs[lang] for lang in setting.pool_langs])
        return self._queries[x] @ pool.T


class BM25System:
    """Offline BM25 in every setting: one index per pool (each document analysed in its own language, the queries
    in theirs). Across languages it matches only shared strings (names, numbers, cognates), so its cross-lingual
    and multilingual values are a lexical-overlap floor, not a cross-lingual retriever."""

    #: Kinds in which BM25 is lexical overlap only (the reports mark them so).
    LEXICAL_ONLY_KINDS: tuple[str, ...] = ("cross", "multi")

    def __init__(self, name: str = "BM25", **bm25_args):
        self.name, self._args = name, bm25_args
        self._indexes: dict[tuple[str, ...], object] = {}

    encoded = None  # lexical: nothing is encoded

    def scores(self, collection: Collection, setting: Setting) -> np.ndarray:
        from pyterrier_hybrid.retrieval.bm25 import BM25Index
        pool = tuple(setting.pool_langs)
        if pool not in self._indexes:
            docs = pd.DataFrame({"docno": collection.pool_doc_ids(setting),
                                 "text": [t for lang in pool for t in collection.data[lang].doc_texts],
                                 "lang": [lang for lang in pool for _ in collection.data[lang].doc_ids]})
            self._indexes[pool] = BM25Index.build(docs, **self._args)
        return self._indexes[pool].scores(collection.data[setting.query_lang].query_texts, setting.query_lang)


class PipelineSystem:
    """Any PyTerrier pipeline: ``make(setting)`` builds the transformer for a setting (a pyterrier-dr encoder with a
    FlexIndex, BM25 followed by a dense re-ranker, a fusion, ...), which is run on the setting's queries
    (``qid``, ``query``) and evaluated on its ranking (``qid``, ``docno``, ``score``) with ir_measures. A
    document from outside the setting's pool is an error; a ranking shorter than the pool labels its measures
    @k (see :func:`~pyterrier_hybrid.evaluation.matrix.run_matrix`)."""

    encoded = None  # what the pipeline encodes is its own business

    def __init__(self, name: str, make):
        self.name, self.make = name, make

    def ranking(self, collection: Collection, setting: Setting, query_ids: list[str]) -> pd.DataFrame:
        """The pipeline's ranking of ``query_ids`` (in the query language of ``setting``): qid, docno, score."""
        data = collection.data[setting.query_lang]
        text = dict(zip(data.query_ids, data.query_texts))
        topics = pd.DataFrame({"qid": query_ids, "query": [text[q] for q in query_ids]})
        res = self.make(setting)(topics)
        missing = [c for c in ("qid", "docno", "score") if c not in res.columns]
        if missing:
            raise ValueError(f"{self.name} on {setting.query_lang}->{setting.pool_name} returned no {missing} column(s)")
        pool = set(collection.pool_doc_ids(setting))
        outside = ~res["docno"].isin(pool)
        if outside.any():
            raise ValueError(f"{self.name} returned {int(outside.sum())} document(s) from outside the pool of "
                             f"{setting.query_lang}->{setting.pool_name} ({' '.join(setting.pool_langs)}), e.g. "
                             f"{res.loc[outside, 'docno'].iloc[0]!r}: a setting's ranking must come from its pool")
        return res[["qid", "docno", "score"]]
