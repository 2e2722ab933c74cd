"""Rank-based metrics equal ir_measures on random score matrices (with ties); measure parsing."""
from __future__ import annotations

import ir_measures
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from pyterrier_hybrid.evaluation import (docno_keys, evaluate_scores, parse_measures, relevant_ranks,
                                         tie_break_of)

MEASURES = ["AP", "nDCG@10", "R@1", "R@10", "R@100", "RR@10", "RR", "P@5", "nDCG"]


def _full_run(scores: np.ndarray, qids: list[str], docnos: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"query_id": np.repeat(qids, len(docnos)), "doc_id": np.tile(docnos, len(qids)),
                         "score": scores.ravel().astype(float)})


@st.composite
def settings_with_ties(draw):
    num_queries, num_docs = draw(st.integers(1, 6)), draw(st.integers(4, 130))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    levels = draw(st.sampled_from([2, 4, 50, 10**6]))  # few levels = many ties
    scores = rng.integers(0, levels, (num_queries, num_docs)).astype(np.float32) / 7
    # docnos of varying length so that lexicographic and numeric order differ
    docnos = [f"{rng.choice(['de', 'en'])}:{j}:{rng.integers(0, 30)}" for j in range(num_docs)]
    qids = [f"de:q{i}" for i in range(num_queries)]
    rel = [(qids[i], docnos[j], 1) for i in range(num_queries)
           for j in rng.choice(num_docs, rng.integers(1, 5), replace=False)]
    return scores, qids, docnos, pd.DataFrame(rel, columns=["query_id", "doc_id", "relevance"])


@settings(max_examples=60, deadline=None)
@given(settings_with_ties())
def test_metrics_from_ranks_equal_ir_measures(case):
    scores, qids, docnos, qrels = case
    measures = parse_measures(MEASURES)
    ours = evaluate_scores(scores, qids, docnos, qrels, measures)
    ref = pd.DataFrame([(m.query_id, str(m.measure), m.value)
                        for m in ir_measures.iter_calc(measures, qrels, _full_run(scores, qids, docnos))],
                       columns=["query_id", "measure", "value"])
    joined = ours.merge(ref, on=["query_id", "measure"], how="outer", validate="one_to_one")
    assert len(joined) == len(qids) * len(MEASURES)
    np.testing.assert_allclose(joined["value_x"], joined["value_y"], atol=1e-12)
    aggregate = ir_measures.calc_aggregate(measures, qrels, _full_run(scores, qids, docnos))
    means = ours.groupby("measure")["value"].mean()
    for m in measures:
        assert means[str(m)] == pytest.approx(aggregate[m], abs=1e-12)


def test_relevant_ranks_brute_force_and_tie_breaks():
    scores = np.array([[3.0, 1.0, 3.0, 2.0, 3.0]])
    docnos = ["a", "b", "c", "d", "e"]
    keys = docno_keys(docnos)
    q, d = np.zeros(5, dtype=int), np.arange(5)
    # trec_eval: equal scores, larger docno first → e, c, a, d, b
    assert relevant_ranks(scores, q, d, keys, "trec_eval").tolist() == [3, 5, 2, 4, 1]
    # msmarco (RR@k): smaller docno first → a, c, e, d, b
    assert relevant_ranks(scores, q, d, keys, "msmarco").tolist() == [1, 5, 2, 4, 3]
    with pytest.raises(ValueError, match="tie_break"):
        relevant_ranks(scores, q, d, keys, "random")


def test_relevant_ranks_chunks_match_unchunked():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 3, (20, 50)).astype(np.float32)
    keys = docno_keys([f"d{j}" for j in range(50)])
    q, d = rng.integers(0, 20, 300), rng.integers(0, 50, 300)
    assert (relevant_ranks(scores, q, d, keys, chunk=7) == relevant_ranks(scores, q, d, keys)).all()


def test_relevant_missing_from_pool_counts_as_unretrieved():
    scores = np.array([[1.0, 0.5]])
    qrels = pd.DataFrame({"query_id": ["q", "q"], "doc_id": ["a", "zz"], "relevance": [1, 1]})
    values = evaluate_scores(scores, ["q"], ["a", "b"], qrels, ["AP", "R@10"]).set_index("measure")["value"]
    assert values["AP"] == 0.5 and values["R@10"] == 0.5


def test_parse_measures_names_and_tie_breaks():
    parsed = parse_measures(["AP", "nDCG@10", "R@100", "RR@10", ir_measures.R @ 1])
    assert [str(m) for m in parsed] == ["AP", "nDCG@10", "R@100", "RR@10", "R@1"]
    assert [tie_break_of(m) for m in parsed] == ["trec_eval", "trec_eval", "trec_eval", "msmarco", "trec_eval"]


@pytest.mark.parametrize("name", ["Foo", "ERR@10", "R", "AP@10", "nDCG(dcg='exp-log2')@10", "AP("])
def test_unknown_or_unsupported_measure_is_a_clear_error(name):
    with pytest.raises(ValueError, match="supported: AP, nDCG"):
        parse_measures([name])


def test_qrels_query_without_scores_row_is_an_error():
    qrels = pd.DataFrame({"query_id": ["q", "x"], "doc_id": ["a", "a"], "relevance": [1, 1]})
    with pytest.raises(ValueError, match="no row in the score matrix"):
        evaluate_scores(np.ones((1, 1)), ["q"], ["a"], qrels, ["AP"])
