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

    def applies_to(self, kind: str) -> bool: ...

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

    def applies_to(self, kind: str) -> bool:
        return True

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
    """Offline BM25 in each language; monolingual settings only (lexical matching across languages is
    not a meaningful baseline, so cross-lingual and multilingual cells are reported as n/a)."""

    def __init__(self, name: str = "BM25", **bm25_args):
        self.name, self._args = name, bm25_args
        self._indexes: dict[str, object] = {}

    encoded = None  # lexical: nothing is encoded

    def applies_to(self, kind: str) -> bool:
        return kind == "mono"

    def scores(self, collection: Collection, setting: Setting) -> np.ndarray:
        from pyterrier_hybrid.retrieval.bm25 import BM25Index
        x, data = setting.query_lang, collection.data[setting.query_lang]
        if x not in self._indexes:
            docs = pd.DataFrame({"docno": data.doc_ids, "text": data.doc_texts})
            self._indexes[x] = BM25Index.build(docs, x, **self._args)
        return self._indexes[x].scores(data.query_texts)
