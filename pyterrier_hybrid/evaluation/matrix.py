"""The language-pair experiment: every monolingual, cross-lingual and multilingual setting of a family
for several systems, evaluated from score matrices and the exact ranks of the relevant candidates.

A full-ranking DataFrame of the XQuAD-R matrix would hold ~343M rows, so each setting is scored as
one (queries × pool) matrix and every measure is derived from the ranks of the relevant candidates
(:func:`~pyterrier_hybrid.evaluation.metrics.evaluate_scores`), equal to what ir_measures gives on
the full ranking. Each language's queries and candidates are encoded once per system and reused
by every setting that needs them.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from datasets_ext import KINDS, Setting, candidate_text, check_languages, item_of, settings
from datasets_ext.ids import items_of, languages_of
from pyterrier_hybrid.evaluation.bias import rank_distance_values, same_language_preference_values
from pyterrier_hybrid.evaluation.metrics import evaluate_scores, parse_measures
from pyterrier_hybrid.evaluation.ranks import docno_keys, relevant_ranks
from pyterrier_hybrid.evaluation.report import RESULT_COLUMNS, macro_averages, write_csv, write_heatmaps, write_markdown

DEFAULT_MEASURES: dict[str, tuple[str, ...]] = {
    "lareqa": ("AP", "nDCG@10", "R@1", "R@10", "R@100", "RR@10"),
    "miracl": ("nDCG@10", "R@100"),
}
BIAS_MEASURES: tuple[str, ...] = ("RankDistance", "SameLangPref")


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
        langs = check_languages(family, None if languages is None else list(languages))
        data = {}
        for mono in settings(family, langs, "mono", split):
            ds = mono.dataset()
            queries = list(ds.queries_iter())
            docs = list(ds.docs_iter())
            if not docs:
                raise ValueError(f"{mono.dataset_id} has an empty pool of candidates")
            data[mono.query_lang] = LanguageData([q.query_id for q in queries], [q.text for q in queries],
                                                 [d.doc_id for d in docs],
                                                 [candidate_text(d, with_context) for d in docs], qrels_frame(mono))
        return cls(family, langs, data, split)

    def sample_queries(self, items: int, seed: int = 0) -> Collection:
        """The same pools with the questions of ``items`` random items only, the same items in every language
        (cross-lingual settings stay parallel): a cheaper evaluation in which every candidate is still ranked."""
        all_items = sorted({item_of(qid) for part in self.data.values() for qid in part.query_ids})
        if items < 1:
            raise ValueError(f"need at least one item to sample, got {items}")
        if items >= len(all_items):
            return self
        keep = set(np.random.default_rng(seed).choice(all_items, items, replace=False).tolist())
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


class System(Protocol):
    """A system of the matrix: scores one language's queries against a pool of languages."""
    name: str

    def applies_to(self, kind: str) -> bool: ...

    def scores(self, collection: Collection, setting: Setting) -> np.ndarray: ...


class DenseSystem:
    """A bi-encoder: every language's queries and candidates are encoded once, then pools are stacked."""

    def __init__(self, encoder, name: str | None = None):
        self.encoder, self.name = encoder, name or encoder.model_name
        self._queries: dict[str, np.ndarray] = {}
        self._docs: dict[str, np.ndarray] = {}

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

    def applies_to(self, kind: str) -> bool:
        return kind == "mono"

    def scores(self, collection: Collection, setting: Setting) -> np.ndarray:
        from pyterrier_hybrid.retrieval.bm25 import BM25Index
        x, data = setting.query_lang, collection.data[setting.query_lang]
        if x not in self._indexes:
            docs = pd.DataFrame({"docno": data.doc_ids, "text": data.doc_texts})
            self._indexes[x] = BM25Index.build(docs, x, **self._args)
        return self._indexes[x].scores(data.query_texts)


def bias_per_query(scores: np.ndarray, qids: Sequence[str], docnos: Sequence[str], qrels: pd.DataFrame
                   ) -> pd.DataFrame:
    """Rank distance and same-language preference per query (query_id, measure, value); NaN for queries with
    fewer than 2 relevant candidates, which the measures leave out."""
    rel = qrels[qrels["relevance"] > 0]
    query, query_ids = pd.factorize(rel["query_id"])
    rows = pd.Index(qids).get_indexer(query_ids)[query]
    cols = pd.Index(docnos).get_indexer(rel["doc_id"])
    ranks = relevant_ranks(scores, rows, cols, docno_keys(docnos))
    same = languages_of(rel["query_id"]) == languages_of(rel["doc_id"])
    n = len(query_ids)
    values = {"RankDistance": rank_distance_values(query, ranks, n),
              "SameLangPref": same_language_preference_values(query, ranks, same, n)}
    return pd.concat([pd.DataFrame({"query_id": query_ids, "measure": name, "value": v})
                      for name, v in values.items()], ignore_index=True)


@dataclass
class MatrixResult:
    """Tidy results (system, kind, query_lang, pool_lang, measure, value), encoding counters and, when asked
    for, the per-query values behind them (the same columns plus query_id), for significance tests."""
    results: pd.DataFrame
    encoded: dict[str, int] = field(default_factory=dict)
    per_query: pd.DataFrame | None = None

    def macro(self) -> pd.DataFrame:
        """Macro-averages over the settings of each kind: rows (system, kind), one column per measure."""
        return macro_averages(self.results)

    def save(self, out_dir: str | Path, heatmap_measures: Sequence[str] | None = None) -> list[Path]:
        """Write ``results.csv``, the macro-average table ``results.md`` and one heatmap PNG per system and
        measure (default: every non-bias measure) under ``out_dir``; return the paths written."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [write_csv(self.results, out / "results.csv"), write_markdown(self.results, out / "results.md")]
        measures = heatmap_measures or [m for m in pd.unique(self.results["measure"]) if m not in BIAS_MEASURES]
        return paths + write_heatmaps(self.results, out / "heatmaps", measures)


def run_matrix(family: str, systems: Sequence[System], languages: Iterable[str] | None = None, *,
               kinds: Sequence[str] = KINDS, measures: Sequence[str] | None = None, bias: bool = True,
               with_context: bool = False, collection: Collection | None = None,
               run_dir: str | Path | None = None, run_depth: int = 100, per_query: bool = False) -> MatrixResult:
    """Evaluate ``systems`` on every setting of ``kinds`` of ``family`` (restricted to ``languages``).

    Bad input (unknown family, language, kind or measure; no systems) fails before anything is encoded.
    With ``run_dir``, a TREC run file (top ``run_depth``) per system and setting is written there; with
    ``per_query``, the result also keeps every query's values (``MatrixResult.per_query``).
    """
    if not systems:
        raise ValueError("no systems to evaluate")
    measures = parse_measures(measures or DEFAULT_MEASURES["miracl" if family == "miracl" else "lareqa"])
    collection = collection or Collection.load(family, languages, with_context=with_context)
    settings = collection.settings(kinds)
    rows, query_frames = [], []
    for system in systems:
        for setting in settings:
            cell = dict(system=system.name, kind=setting.kind, query_lang=setting.query_lang,
                        pool_lang=setting.pool_name)
            names = [str(m) for m in measures] + (list(BIAS_MEASURES) if bias and setting.kind == "multi" else [])
            if not system.applies_to(setting.kind):
                rows += [dict(cell, measure=name, value=np.nan) for name in names]
                continue
            values = _evaluate_setting(system, collection, setting, measures, bias, run_dir, run_depth)
            means = values.groupby("measure", sort=False)["value"].mean()
            rows += [dict(cell, measure=name, value=means[name]) for name in names]
            if per_query:
                query_frames.append(values.assign(**cell))
    encoded = {s.name: s.encoder.stats.encoded for s in systems if isinstance(s, DenseSystem)}
    queries = (pd.concat(query_frames, ignore_index=True)[[*RESULT_COLUMNS[:4], "query_id", "measure", "value"]]
               if query_frames else None)
    return MatrixResult(pd.DataFrame(rows), encoded, queries)


def _evaluate_setting(system: System, collection: Collection, setting: Setting, measures, bias: bool,
                      run_dir: str | Path | None, run_depth: int) -> pd.DataFrame:
    """Per-query values (query_id, measure, value) of one system on one setting."""
    qrels = collection.qrels(setting)
    data = collection.data[setting.query_lang]
    keep = np.flatnonzero(pd.Index(data.query_ids).isin(qrels["query_id"]))
    scores = system.scores(collection, setting)[keep]
    qids = [data.query_ids[i] for i in keep]
    docnos = collection.pool_doc_ids(setting)
    values = evaluate_scores(scores, qids, docnos, qrels, measures)
    if bias and setting.kind == "multi":
        values = pd.concat([values, bias_per_query(scores, qids, docnos, qrels)], ignore_index=True)
    if run_dir is not None:
        write_run(scores, qids, docnos, Path(run_dir) / system.name.replace("/", "_") /
                  f"{collection.family}_{setting.query_lang}-{setting.pool_name}.run", run_depth, system.name)
    return values


def write_run(scores: np.ndarray, qids: Sequence[str], docnos: Sequence[str], path: Path, depth: int,
              tag: str) -> Path:
    """Write the top ``depth`` candidates of each query as a TREC run file."""
    import pyterrier as pt
    depth = min(depth, scores.shape[1])
    top = np.argsort(-scores, axis=1, kind="stable")[:, :depth]
    run = pd.DataFrame({"qid": np.repeat(np.asarray(qids, dtype=object), depth),
                        "docno": np.asarray(docnos, dtype=object)[top.ravel()],
                        "score": np.take_along_axis(scores, top, axis=1).ravel(),
                        "rank": np.tile(np.arange(depth), len(qids))})
    path.parent.mkdir(parents=True, exist_ok=True)
    pt.io.write_results(run, str(path), format="trec", run_name=tag.replace(" ", "_"))
    return path


