"""Rank-based metrics (AP, nDCG@k, R@k, P@k, RR@k) equal to ir_measures', computed from the ranks of
the relevant candidates only, so a full ranking of the pool never has to be materialised.

Relevance is binary (qrels with relevance > 0 are relevant). Each measure's ranks must use the
tie-break of the evaluator ir_measures picks for it (:func:`tie_break_of`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import ir_measures
import numpy as np
import pandas as pd
from ir_measures import Measure

from pyterrier_hybrid.evaluation.ranks import docno_keys, relevant_ranks

_FAMILIES = frozenset({"AP", "nDCG", "R", "P", "RR"})
SUPPORTED_MEASURES = "AP, nDCG, nDCG@k, R@k, P@k, RR, RR@k (binary relevance, no other parameters)"


def parse_measures(measures: Iterable[str | Measure]) -> list[Measure]:
    """Parse measure names (``"AP"``, ``"nDCG@10"``, ...) or ir_measures objects; unsupported → ValueError."""
    parsed = []
    for m in ([measures] if isinstance(measures, (str, Measure)) else measures):
        try:
            measure = ir_measures.parse_measure(m)
        except (NameError, ValueError, SyntaxError, AssertionError) as e:
            raise ValueError(f"unknown measure {m!r} ({e}); supported: {SUPPORTED_MEASURES}") from None
        cutoff_only = set(measure.params) <= {"cutoff"}
        needs_cutoff = measure.NAME in ("R", "P")
        if measure.NAME not in _FAMILIES or not cutoff_only or (needs_cutoff and "cutoff" not in measure.params) \
                or (measure.NAME == "AP" and measure.params):
            raise ValueError(f"measure {m!r} cannot be computed from ranks; supported: {SUPPORTED_MEASURES}")
        parsed.append(measure)
    return parsed


def tie_break_of(measure: Measure) -> str:
    """``"msmarco"`` for RR@k (ir_measures evaluates it with MS MARCO's script), else ``"trec_eval"``."""
    return "msmarco" if measure.NAME == "RR" and "cutoff" in measure.params else "trec_eval"


def values_from_ranks(measure: Measure, query: np.ndarray, rank: np.ndarray, num_rel: np.ndarray) -> np.ndarray:
    """Per-query values of ``measure``.

    ``query`` (ints in ``range(len(num_rel))``) and ``rank`` (1-based, ``inf`` = not ranked) give one
    entry per relevant candidate; ``num_rel`` is each query's number of relevant candidates.
    """
    query, rank = np.asarray(query, dtype=np.int64), np.asarray(rank, dtype=np.float64)
    num_rel = np.asarray(num_rel, dtype=np.float64)
    n = len(num_rel)
    cutoff = float(measure.params.get("cutoff", np.inf))
    within = rank <= cutoff
    if measure.NAME == "AP":
        order = np.lexsort((rank, query))
        q, r = query[order], rank[order]
        position = np.arange(len(q)) - np.searchsorted(q, q) + 1
        return np.bincount(q, position / r, minlength=n) / num_rel
    if measure.NAME == "nDCG":
        dcg = np.bincount(query, np.where(within, 1 / np.log2(rank + 1), 0.0), minlength=n)
        ideal_len = np.minimum(num_rel, cutoff).astype(np.int64)
        ideal = np.concatenate([[0.0], np.cumsum(1 / np.log2(np.arange(2, ideal_len.max(initial=0) + 2)))])
        return np.divide(dcg, ideal[ideal_len], out=np.zeros(n), where=ideal_len > 0)
    hits = np.bincount(query, within.astype(np.float64), minlength=n)
    if measure.NAME == "R":
        return hits / num_rel
    if measure.NAME == "P":
        return hits / cutoff
    best = np.full(n, np.inf)
    np.minimum.at(best, query, rank)
    return np.where(best <= cutoff, 1 / best, 0.0)


def evaluate_scores(scores: np.ndarray, qids: Sequence[str], docnos: Sequence[str], qrels: pd.DataFrame,
                    measures: Iterable[str | Measure]) -> pd.DataFrame:
    """Per-query values (query_id, measure, value) of ``measures`` for a (queries × pool) score matrix,
    as ir_measures would give for the full ranking. ``qrels`` has query_id, doc_id, relevance."""
    measures = parse_measures(measures)
    rel = qrels[qrels["relevance"] > 0]
    query_ids = pd.Index(pd.unique(rel["query_id"]))
    row_of = pd.Index(qids).get_indexer(query_ids)
    if (row_of < 0).any():
        raise ValueError(f"{(row_of < 0).sum()} qrels queries have no row in the score matrix, "
                         f"e.g. {query_ids[row_of < 0][0]!r}")
    q = query_ids.get_indexer(rel["query_id"])
    col = pd.Index(docnos).get_indexer(rel["doc_id"])
    num_rel = np.bincount(q, minlength=len(query_ids))
    in_pool = col >= 0
    keys = docno_keys(docnos)
    ranks = {}
    frames = []
    for measure in measures:
        tie = tie_break_of(measure)
        if tie not in ranks:
            ranks[tie] = np.full(len(q), np.inf)
            ranks[tie][in_pool] = relevant_ranks(scores, row_of[q[in_pool]], col[in_pool], keys, tie)
        values = values_from_ranks(measure, q, ranks[tie], num_rel)
        frames.append(pd.DataFrame({"query_id": query_ids, "measure": str(measure), "value": values}))
    return pd.concat(frames, ignore_index=True)
