"""Language-bias measures of the multilingual pool, from ranks and as ir_measures measures.

Per query, on 1-based ranks in the ranking of the pool with trec_eval's tie-break:

* **rank distance**: max minus min rank of the query's relevant candidates (0 is ideal);
* **same-language preference**: 1 if the relevant candidate in the query's language (id prefix)
  outranks all the others, else 0; unbiased value: the mean of 1/#relevant.

**When a value is defined.** Only when the query has at least 2 relevant candidates (for the preference, one of
them in the query's language) and *every* relevant candidate is in the run. A query absent from the run, a
relevant candidate missing from it (a truncated run), or qrels naming a document outside the pool make the
query's value undefined: NaN, never a plausible number. ``RankDistance@k`` reads the run as cut at k and gives
every relevant candidate below k, or missing, the rank k + 1, so a truncated run of depth >= k has a defined value.
Aggregates (``ir_measures.calc_aggregate``) leave undefined queries out of the mean and say in one warning how
many. ``pt.Experiment`` averages per-query values itself, so a NaN makes its mean NaN: give it the topics of
:func:`defined_topics`, and retrieve the whole pool (``num_results=None``) or use ``RankDistance@k``.
Pass the measure objects (``ph.RankDistance``) to ``pt.Experiment``: it parses strings as trec_eval names.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
from ir_measures import Metric, measures
from ir_measures.measures.base import Agg, Measure

from datasets_ext.ids import languages_of
from pyterrier_hybrid.evaluation.ranks import docno_keys, relevant_ranks


def _complete(query: np.ndarray, rank: np.ndarray, num_queries: int) -> np.ndarray:
    """Per query: at least 2 relevant candidates, every one of them ranked (no NaN rank)."""
    count = np.bincount(query, minlength=num_queries)
    missing = np.bincount(query, np.isnan(rank).astype(np.float64), minlength=num_queries)
    return (count >= 2) & (missing == 0)


def rank_distance_values(query: np.ndarray, rank: np.ndarray, num_queries: int) -> np.ndarray:
    """Per-query max − min rank over the relevant candidates; NaN (undefined) with fewer than 2 of them or
    any of them unranked (NaN rank).

    ``query`` (ints in ``range(num_queries)``) and ``rank`` have one entry per relevant candidate.
    """
    query, rank = np.asarray(query, dtype=np.int64), np.asarray(rank, dtype=np.float64)
    hi, lo = np.full(num_queries, -np.inf), np.full(num_queries, np.inf)
    np.fmax.at(hi, query, rank)
    np.fmin.at(lo, query, rank)
    return np.where(_complete(query, rank, num_queries), hi - lo, np.nan)


def same_language_preference_values(query: np.ndarray, rank: np.ndarray, same_language: np.ndarray,
                                    num_queries: int) -> np.ndarray:
    """Per-query 1.0 if the same-language candidate has the best rank, else 0.0; NaN (undefined) with fewer than
    2 relevant candidates, none in the query's language, or any unranked; ``same_language`` flags each entry."""
    query, rank = np.asarray(query, dtype=np.int64), np.asarray(rank, dtype=np.float64)
    same_language = np.asarray(same_language, dtype=bool)
    own = np.full(num_queries, np.inf)
    np.fmin.at(own, query[same_language], rank[same_language])
    others = np.full(num_queries, np.inf)
    np.fmin.at(others, query[~same_language], rank[~same_language])
    defined = _complete(query, rank, num_queries) & np.isfinite(own)
    return np.where(defined, (own < others).astype(np.float64), np.nan)


def bias_per_query(scores: np.ndarray, qids: Sequence[str], docnos: Sequence[str], qrels: pd.DataFrame
                   ) -> pd.DataFrame:
    """Rank distance and same-language preference per query (query_id, measure, value) from a (queries × pool)
    score matrix, the full ranking of the pool; NaN where undefined (see the module docstring): fewer than 2
    relevant candidates, or one outside the pool."""
    rel = qrels[qrels["relevance"] > 0]
    query, query_ids = pd.factorize(rel["query_id"])
    rows = pd.Index(qids).get_indexer(query_ids)[query]
    cols = pd.Index(docnos).get_indexer(rel["doc_id"])
    ranks = np.full(len(rel), np.nan)
    ranked = (rows >= 0) & (cols >= 0)
    ranks[ranked] = relevant_ranks(scores, rows[ranked], cols[ranked], docno_keys(docnos))
    same = languages_of(rel["query_id"]) == languages_of(rel["doc_id"])
    n = len(query_ids)
    values = {"RankDistance": rank_distance_values(query, ranks, n),
              "SameLangPref": same_language_preference_values(query, ranks, same, n)}
    return pd.concat([pd.DataFrame({"query_id": query_ids, "measure": name, "value": v})
                      for name, v in values.items()], ignore_index=True)


def same_language_mask(query_ids: pd.Series, doc_ids: pd.Series) -> np.ndarray:
    """Whether each document id has the language prefix of its query id."""
    return languages_of(query_ids) == languages_of(doc_ids)


def defined_topics(topics: pd.DataFrame, qrels: pd.DataFrame, pool: Iterable[str] | None = None) -> pd.DataFrame:
    """The topics (``qid`` column, as PyTerrier has them) whose bias measures can be defined: at least 2
    relevant candidates in ``qrels`` (``qid``/``docno``/``label`` or ir_measures' columns), all of them in
    ``pool`` (document ids, when given). Dropped topics are counted in one warning. For ``pt.Experiment``, whose
    mean is NaN as soon as one query's value is undefined."""
    q = qrels.rename(columns={"qid": "query_id", "docno": "doc_id", "label": "relevance"})
    rel = q[q["relevance"] > 0]
    outside = ~rel["doc_id"].isin(set(pool)) if pool is not None else pd.Series(False, index=rel.index)
    counts = rel.groupby("query_id").size()
    spoiled = set(rel.loc[outside.to_numpy(), "query_id"])
    keep = set(counts[counts >= 2].index) - spoiled
    kept = topics[topics["qid"].isin(keep)]
    if len(kept) < len(topics):
        warnings.warn(f"{len(topics) - len(kept)} of {len(topics)} topics have no defined language-bias value "
                      f"(fewer than 2 relevant candidates{', or one outside the pool' if pool is not None else ''})"
                      f"; they are left out", stacklevel=2)
    return kept


class NanMeanAgg(Agg):
    """Mean over the defined (non-NaN) values, with one warning naming how many were undefined; NaN when none is
    defined."""

    def __init__(self, name: str) -> None:
        self.name, self.values, self.undefined = name, [], 0

    def add(self, value: float) -> None:
        if np.isnan(value):
            self.undefined += 1
        else:
            self.values.append(value)

    def result(self) -> float:
        if self.undefined:
            warnings.warn(f"{self.name}: {self.undefined} of {self.undefined + len(self.values)} queries have no "
                          "defined value (fewer than 2 relevant candidates, or one missing from the run or outside "
                          "the pool) and are left out of the mean", stacklevel=2)
        return float(np.mean(self.values)) if self.values else float("nan")


def _relevant_ranks_in_run(qrels: pd.DataFrame, run: pd.DataFrame, cutoff: int | None) -> pd.DataFrame:
    """Relevant (query_id, doc_id) pairs with their 1-based trec_eval rank in ``run``: NaN when missing from the
    run; with ``cutoff`` k, k + 1 when missing or ranked below k (queries absent from the run stay NaN)."""
    qrels = qrels[qrels["relevance"] > 0][["query_id", "doc_id"]]
    run = run[run["query_id"].isin(qrels["query_id"])]
    codes, _ = pd.factorize(run["query_id"])
    order = np.lexsort((-docno_keys(run["doc_id"].astype(str).tolist()), -run["score"].to_numpy(float), codes))
    ranked = run.iloc[order][["query_id", "doc_id"]].copy()
    ranked["rank"] = ranked.groupby("query_id", sort=False).cumcount() + 1
    merged = qrels.merge(ranked, on=["query_id", "doc_id"], how="left")
    if cutoff is not None:
        in_run = merged["query_id"].isin(ranked["query_id"])
        merged.loc[in_run, "rank"] = merged.loc[in_run, "rank"].fillna(cutoff + 1).clip(upper=cutoff + 1)
    return merged


class _BiasMeasure(Measure):
    """An ir_measures measure computed by :meth:`per_query` from relevant candidates' ranks."""

    SUPPORTED_PARAMS: dict = {}
    DEFAULT = float("nan")
    RUN_INPUTS = ["query_id", "doc_id", "score"]
    QREL_INPUTS = ["query_id", "doc_id", "relevance"]

    def aggregator(self) -> Agg:
        return NanMeanAgg(str(self))

    def per_query(self, pairs: pd.DataFrame, query: np.ndarray, num_queries: int) -> np.ndarray:
        raise NotImplementedError

    def runtime_impl(self, qrels: pd.DataFrame, run: pd.DataFrame) -> Iterator[Metric]:
        """Called by ir_measures' runtime provider with the qrels and run of all queries."""
        pairs = _relevant_ranks_in_run(qrels, run, self.params.get("cutoff"))
        query, query_ids = pd.factorize(pairs["query_id"])
        for qid, value in zip(query_ids, self.per_query(pairs, query, len(query_ids))):
            yield Metric(qid, self, float(value))


class _RankDistance(_BiasMeasure):
    """Max minus min rank of a query's relevant candidates in the pool ranking (lower = less bias); ``@k``: ranks
    beyond k, and missing candidates, count as k + 1."""

    NAME = __name__ = "RankDistance"
    SUPPORTED_PARAMS = {"cutoff": measures.ParamInfo(dtype=int, required=False,
                                                     desc="ranks beyond it (or missing) count as cutoff + 1")}

    def per_query(self, pairs: pd.DataFrame, query: np.ndarray, num_queries: int) -> np.ndarray:
        return rank_distance_values(query, pairs["rank"].to_numpy(float), num_queries)


class _SameLangPref(_BiasMeasure):
    """Whether the same-language relevant candidate outranks all its translations (share of queries)."""

    NAME = __name__ = "SameLangPref"

    def per_query(self, pairs: pd.DataFrame, query: np.ndarray, num_queries: int) -> np.ndarray:
        same = same_language_mask(pairs["query_id"], pairs["doc_id"])
        return same_language_preference_values(query, pairs["rank"].to_numpy(float), same, num_queries)


RankDistance = _RankDistance()
SameLangPref = _SameLangPref()
measures.register(RankDistance)
measures.register(SameLangPref)
