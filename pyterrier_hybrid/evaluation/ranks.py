"""Exact 1-based ranks of relevant candidates in a full pool ranking, computed from score matrices.

Ties follow the evaluator ir_measures uses for the measure: trec_eval (``pytrec_eval``: AP, nDCG,
R, P, RR without cutoff) puts the *larger* docno first among equal scores; MS MARCO's RR@k
(``msmarco``) puts the *smaller* docno first. A candidate's rank is
``1 + #(higher scores) + #(equal scores whose docno comes first)``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Tie-breaks: the docno order among equal scores of each evaluator behind ir_measures.
TIE_BREAKS: tuple[str, ...] = ("trec_eval", "msmarco")


def docno_keys(docnos: Sequence[str]) -> np.ndarray:
    """Position of each docno in lexicographic (code point) order: the key the tie-breaks sort by."""
    keys = np.empty(len(docnos), dtype=np.int64)
    keys[np.argsort(np.asarray(docnos, dtype=str), kind="stable")] = np.arange(len(docnos))
    return keys


def relevant_ranks(scores: np.ndarray, query_index: np.ndarray, doc_index: np.ndarray, keys: np.ndarray,
                   tie_break: str = "trec_eval", chunk: int = 512) -> np.ndarray:
    """Rank (1-based) of candidate ``doc_index[i]`` in the ranking of row ``query_index[i]`` of ``scores``.

    ``scores`` is (num_queries, pool_size), ``keys`` the :func:`docno_keys` of the pool's docnos.
    """
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"unknown tie_break {tie_break!r}; valid: {', '.join(TIE_BREAKS)}")
    query_index, doc_index = np.asarray(query_index, dtype=np.int64), np.asarray(doc_index, dtype=np.int64)
    out = np.empty(len(query_index), dtype=np.int64)
    for start in range(0, len(query_index), chunk):
        q, d = query_index[start:start + chunk], doc_index[start:start + chunk]
        rows = scores[q]
        own = rows[np.arange(len(q)), d][:, None]
        ties_first = keys[None, :] > keys[d][:, None] if tie_break == "trec_eval" else keys[None, :] < keys[d][:, None]
        out[start:start + chunk] = 1 + (rows > own).sum(1) + ((rows == own) & ties_first).sum(1)
    return out
