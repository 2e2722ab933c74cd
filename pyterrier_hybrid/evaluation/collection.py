"""What a family's language-pair matrix reads once: each language's queries, candidates (their texts by the one
candidate-text rule) and monolingual qrels; settings and their qrels come from the dataset layer."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from datasets_ext import KINDS, Setting, candidate_text, item_of, settings
from datasets_ext.ids import items_of


@dataclass
class LanguageData:
    """One language of a family: its queries, its candidates and its monolingual qrels."""
    query_ids: list[str]
    query_texts: list[str]
    doc_ids: list[str]
    doc_texts: list[str]
    qrels: pd.DataFrame  # query_id, doc_id, relevance of the monolingual setting


def qrels_frame(setting: Setting) -> pd.DataFrame:
    """The qrels of a setting as the dataset layer defines them (query_id, doc_id, relevance)."""
    return pd.DataFrame(setting.dataset().qrels_iter(), columns=["query_id", "doc_id", "relevance", "iteration"]
                        )[["query_id", "doc_id", "relevance"]]


@dataclass
class Collection:
    """Everything one family's matrix needs, read once through ir_datasets: each language's queries and
    candidates; settings and their qrels come from the dataset layer (``datasets_ext.settings``)."""
    family: str
    languages: tuple[str, ...]
    data: dict[str, LanguageData]
    split: str = "dev"
    _qrels: dict[Setting, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, family: str, languages: Iterable[str] | None = None, *, with_context: bool = False,
             split: str = "dev") -> Collection:
        """Read queries, candidates and monolingual qrels of each language (all of the family's by default)."""
        monos = settings(family, languages, "mono", split)  # validates the family and languages
        data = {}
        for mono in monos:
            ds = mono.dataset()
            queries = list(ds.queries_iter())
            docs = list(ds.docs_iter())
            if not docs:
                raise ValueError(f"{mono.dataset_id} has an empty pool of candidates")
            data[mono.query_lang] = LanguageData([q.query_id for q in queries], [q.text for q in queries],
                                                 [d.doc_id for d in docs],
                                                 [candidate_text(d, with_context) for d in docs], qrels_frame(mono))
        return cls(family, tuple(data), data, split)

    def sample_queries(self, items: int, seed: int = 0) -> Collection:
        """The same pools with the questions of ``items`` random items only, the same items in every language
        (cross-lingual settings stay parallel): a cheaper evaluation in which every candidate is still ranked."""
        all_items = sorted({item_of(qid) for part in self.data.values() for qid in part.query_ids})
        if items < 1:
            raise ValueError(f"need at least one item to sample, got {items}")
        if items >= len(all_items):
            return self
        return self.with_items(set(np.random.default_rng(seed).choice(all_items, items, replace=False).tolist()))

    def with_items(self, keep: set[str]) -> Collection:
        """The same pools with the questions of the items in ``keep`` only (e.g. items held out of training)."""
        data = {}
        for lang, part in self.data.items():
            kept = [i for i, qid in enumerate(part.query_ids) if item_of(qid) in keep]
            qrels = part.qrels[pd.Series(items_of(part.qrels["query_id"])).isin(keep).to_numpy()]
            data[lang] = LanguageData([part.query_ids[i] for i in kept], [part.query_texts[i] for i in kept],
                                      part.doc_ids, part.doc_texts, qrels.reset_index(drop=True))
        return Collection(self.family, self.languages, data, self.split)

    def settings(self, kinds: Sequence[str] = KINDS) -> list[Setting]:
        """Every setting of ``kinds`` over this collection's languages (MIRACL: monolingual only)."""
        return settings(self.family, self.languages, kinds, self.split)

    def qrels(self, setting: Setting) -> pd.DataFrame:
        """Relevant candidates of a setting, for this collection's queries: the answer in every pool language
        having the question (the dataset layer's qrels, restricted to the queries sampled)."""
        if setting.kind == "mono":
            return self.data[setting.query_lang].qrels
        if setting not in self._qrels:
            qrels = qrels_frame(setting)
            keep = qrels["query_id"].isin(self.data[setting.query_lang].query_ids)
            self._qrels[setting] = qrels[keep].reset_index(drop=True)
        return self._qrels[setting]

    def pool_doc_ids(self, setting: Setting) -> list[str]:
        return [d for lang in setting.pool_langs for d in self.data[lang].doc_ids]
