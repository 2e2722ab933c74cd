"""Language-bias measures of the multilingual pool, from ranks and as ir_measures measures.

Both are defined per query with ≥ 2 relevant candidates (others get NaN and are left out of
the mean), on 1-based ranks in the full pool ranking with trec_eval's tie-break:

* **rank distance**: max minus min rank of the query's relevant candidates (0 is ideal);
* **same-language preference**: 1 if the relevant candidate in the query's language (id prefix)
  outranks all the others, else 0; unbiased value: the mean of 1/#relevant.

``RankDistance`` and ``SameLangPref`` are ir_measures measures (evaluated by ir_measures'
runtime provider), so they work in ``ir_measures.calc_aggregate`` and ``pt.Experiment``. Pass
the run of the whole pool: a relevant candidate missing from the run is ranked just below the
last retrieved one. ``pt.Experiment`` averages per-query values itself, so give it only queries
with ≥ 2 relevant candidates (every multilingual XQuAD-R query has 11), or the mean is NaN.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from ir_measures import Metric, measures
from ir_measures.measures.base import Agg, Measure

from datasets_ext.ids import languages_of
from pyterrier_hybrid.evaluation.ranks import docno_keys, relevant_ranks


def rank_distance_values(query: np.ndarray, rank: np.ndarray, num_queries: int) -> np.ndarray:
    """Per-query max − min rank over the relevant candidates (NaN with fewer than 2).

    ``query`` (ints in ``range(num_queries)``) and ``rank`` have one entry per relevant candidate.
    """
    query, rank = np.asarray(query, dtype=np.int64), np.asarray(rank, dtype=np.float64)
    hi, lo = np.full(num_queries, -np.inf), np.full(num_queries, np.inf)
    np.maximum.at(hi, query, rank)
    np.minimum.at(lo, query, rank)
    return np.where(np.bincount(query, minlength=num_queries) >= 2, hi - lo, np.nan)


def same_language_preference_values(query: np.ndarray, rank: np.ndarray, same_language: np.ndarray,
                                    num_queries: int) -> np.ndarray:
    """Per-query 1.0 if the same-language candidate has the best rank, else 0.0 (NaN with fewer than 2
    relevant candidates or none in the query's language); ``same_language`` flags each entry."""
    query, rank = np.asarray(query, dtype=np.int64), np.asarray(rank, dtype=np.float64)
    same_language = np.asarray(same_language, dtype=bool)
    own = np.full(num_queries, np.inf)
    np.minimum.at(own, query[same_language], rank[same_language])
    others = np.full(num_queries, np.inf)
    np.minimum.at(others, query[~same_language], rank[~same_language])
    defined = (np.bincount(query, minlength=num_queries) >= 2) & np.isfinite(own)
    return np.where(defined, (own < others).astype(np.float64), np.nan)


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


def same_language_mask(query_ids: pd.Series, doc_ids: pd.Series) -> np.ndarray:
    """Whether each document id has the language prefix of its query id."""
    return languages_of(query_ids) == languages_of(doc_ids)


class NanMeanAgg(Agg):
    """Mean over the defined (non-NaN) values; NaN when there is none."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def add(self, value: float) -> None:
        if not np.isnan(value):
            self.values.append(value)

    def result(self) -> float:
        return float(np.mean(self.values)) if self.values else float("nan")


def _relevant_ranks_in_run(qrels: pd.DataFrame, run: pd.DataFrame) -> pd.DataFrame:
    """Relevant (query_id, doc_id) pairs with their 1-based trec_eval rank in ``run`` (absent → after last)."""
    qrels = qrels[qrels["relevance"] > 0][["query_id", "doc_id"]]
    run = run[run["query_id"].isin(qrels["query_id"])]
    codes, _ = pd.factorize(run["query_id"])
    order = np.lexsort((-docno_keys(run["doc_id"].astype(str).tolist()), -run["score"].to_numpy(float), codes))
    ranked = run.iloc[order][["query_id", "doc_id"]].copy()
    ranked["rank"] = ranked.groupby("query_id", sort=False).cumcount() + 1
    merged = qrels.merge(ranked, on=["query_id", "doc_id"], how="left")
    fallback = merged["query_id"].map(ranked.groupby("query_id").size()).fillna(0) + 1
    merged["rank"] = merged["rank"].fillna(fallback)
    return merged


class _BiasMeasure(Measure):
    """An ir_measures measure computed by :meth:`per_query` from relevant candidates' ranks."""

    SUPPORTED_PARAMS: dict = {}
    DEFAULT = float("nan")
    RUN_INPUTS = ["query_id", "doc_id", "score"]
    QREL_INPUTS = ["query_id", "doc_id", "relevance"]

    def aggregator(self) -> Agg:
        return NanMeanAgg()

    def per_query(self, pairs: pd.DataFrame, query: np.ndarray, num_queries: int) -> np.ndarray:
        raise NotImplementedError

    def runtime_impl(self, qrels: pd.DataFrame, run: pd.DataFrame) -> Iterator[Metric]:
        """Called by ir_measures' runtime provider with the qrels and run of all queries."""
        pairs = _relevant_ranks_in_run(qrels, run)
        query, query_ids = pd.factorize(pairs["query_id"])
        for qid, value in zip(query_ids, self.per_query(pairs, query, len(query_ids))):
            yield Metric(qid, self, float(value))


class _RankDistance(_BiasMeasure):
    """Max minus min rank of a query's relevant candidates in the full pool ranking (lower = less bias)."""

    NAME = __name__ = "RankDistance"

    def per_query(self, pairs: pd.DataFrame, query: np.ndarray, num_queries: int) -> np.ndarray:
        return rank_distance_values(query, pairs["rank"].to_numpy(), num_queries)


class _SameLangPref(_BiasMeasure):
    """Whether the same-language relevant candidate outranks all its translations (share of queries)."""

    NAME = __name__ = "SameLangPref"

    def per_query(self, pairs: pd.DataFrame, query: np.ndarray, num_queries: int) -> np.ndarray:
        same = same_language_mask(pairs["query_id"], pairs["doc_id"])
        return same_language_preference_values(query, pairs["rank"].to_numpy(), same, num_queries)


RankDistance = _RankDistance()
SameLangPref = _SameLangPref()
measures.register(RankDistance)
measures.register(SameLangPref)
