"""Language-bias measures: from ranks and as ir_measures measures, against brute force; pt.Experiment."""
from __future__ import annotations

import ir_measures
import numpy as np
import pandas as pd
import pyterrier as pt
import pytest
from ir_measures import AP, nDCG

import pyterrier_hybrid as ph
from pyterrier_hybrid.evaluation import rank_distance_values, same_language_preference_values

LANGS = ["de", "en", "es", "zh"]


def _hand_built(seed: int, num_queries: int = 12, pool_per_lang: int = 6):
    """Queries with 1–4 relevant candidates (one per language, the first in the query's language) and a
    full ranking of the pool; returns the run, qrels and the brute-force bias values."""
    rng = np.random.default_rng(seed)
    docnos = [f"{lang}:{i}" for lang in LANGS for i in range(pool_per_lang)]
    run, qrels, brute_rd, brute_slp = [], [], {}, {}
    for q in range(num_queries):
        qlang = LANGS[q % len(LANGS)]
        qid = f"{qlang}:q{q}"
        others = [x for x in LANGS if x != qlang]
        rel_langs = [qlang, *rng.choice(others, rng.integers(0, 4), replace=False)]
        rel = [f"{lang}:{rng.integers(pool_per_lang)}" for lang in rel_langs]
        ranking = list(rng.permutation(docnos))            # the full pool ranking, best first
        run += [(qid, d, float(len(ranking) - i)) for i, d in enumerate(ranking)]
        qrels += [(qid, d, 1) for d in rel]
        ranks = {d: ranking.index(d) + 1 for d in rel}
        if len(rel) >= 2:
            brute_rd[qid] = max(ranks.values()) - min(ranks.values())
            brute_slp[qid] = float(all(ranks[rel[0]] < ranks[d] for d in rel[1:]))
    return (pd.DataFrame(run, columns=["query_id", "doc_id", "score"]),
            pd.DataFrame(qrels, columns=["query_id", "doc_id", "relevance"]), brute_rd, brute_slp)


@pytest.mark.parametrize("seed", range(5))
def test_measures_equal_brute_force(seed):
    run, qrels, brute_rd, brute_slp = _hand_built(seed)
    per_query = {(m.query_id, str(m.measure)): m.value
                 for m in ir_measures.iter_calc([ph.RankDistance, ph.SameLangPref], qrels, run)}
    for qid in qrels["query_id"].unique():
        if qid in brute_rd:
            assert per_query[qid, "RankDistance"] == brute_rd[qid]
            assert per_query[qid, "SameLangPref"] == brute_slp[qid]
        else:  # a single relevant candidate: undefined, left out of the mean
            assert np.isnan(per_query[qid, "RankDistance"]) and np.isnan(per_query[qid, "SameLangPref"])
    agg = ir_measures.calc_aggregate([ph.RankDistance, ph.SameLangPref, AP], qrels, run)
    assert agg[ph.RankDistance] == pytest.approx(np.mean(list(brute_rd.values())))
    assert agg[ph.SameLangPref] == pytest.approx(np.mean(list(brute_slp.values())))


def test_from_ranks_equal_brute_force():
    # query 0: ranks 3 (own language), 1, 7; query 1: 2 (own), 5; query 2: a single relevant candidate
    query = np.array([0, 0, 0, 1, 1, 2])
    rank = np.array([3, 1, 7, 2, 5, 4])
    same = np.array([True, False, False, True, False, True])
    np.testing.assert_array_equal(rank_distance_values(query, rank, 3), [6, 3, np.nan])
    np.testing.assert_array_equal(same_language_preference_values(query, rank, same, 3), [0, 1, np.nan])


def test_ties_use_trec_eval_order_and_a_missing_candidate_is_undefined_or_k_plus_1():
    qrels = pd.DataFrame({"query_id": ["de:q"] * 3, "doc_id": ["de:1", "en:1", "es:1"], "relevance": 1})
    # de:1 and en:1 tie: trec_eval ranks the larger docno (en:1) first; es:1 comes last
    run = pd.DataFrame({"query_id": "de:q", "doc_id": ["de:1", "en:1", "fr:0", "es:1"],
                        "score": [1.0, 1.0, 0.5, 0.2]})
    agg = ir_measures.calc_aggregate([ph.RankDistance, ph.SameLangPref], qrels, run)
    assert agg[ph.RankDistance] == 4 - 1  # en:1 rank 1, de:1 rank 2, es:1 rank 4
    assert agg[ph.SameLangPref] == 0
    # es:1 not retrieved: undefined (before: 3, as if it were ranked right after the last retrieved); @3: rank 4
    truncated = run[run["doc_id"] != "es:1"]
    with pytest.warns(UserWarning, match="1 of 1 queries have no defined value"):
        assert np.isnan(ir_measures.calc_aggregate([ph.RankDistance], qrels, truncated)[ph.RankDistance])
    assert ir_measures.calc_aggregate([ph.RankDistance @ 3], qrels, truncated)[ph.RankDistance @ 3] == 4 - 1


def test_parse_by_name():
    assert ir_measures.parse_measure("RankDistance") == ph.RankDistance
    assert ir_measures.parse_measure("SameLangPref") == ph.SameLangPref


def test_pt_experiment_two_systems_with_baseline():
    run, qrels, brute_rd, brute_slp = _hand_built(7, num_queries=16)
    keep = qrels.groupby("query_id")["doc_id"].transform("size") >= 2  # bias is defined on these queries
    qrels = qrels[keep]
    run = run[run["query_id"].isin(qrels["query_id"])]
    topics = pd.DataFrame({"qid": qrels["query_id"].unique(), "query": "q"})
    res_a = run.rename(columns={"query_id": "qid", "doc_id": "docno"})
    res_b = res_a.assign(score=lambda df: np.where(df["docno"].str.startswith("de:"), df["score"] + 100, df["score"]))
    systems = [pt.Transformer.from_df(res_a), pt.Transformer.from_df(res_b)]
    pt_qrels = qrels.rename(columns={"query_id": "qid", "doc_id": "docno", "relevance": "label"})
    out = pt.Experiment(systems, topics, pt_qrels, eval_metrics=[AP, nDCG @ 10, ph.RankDistance, ph.SameLangPref],
                        names=["a", "b"], baseline=0)
    a = out.set_index("name").loc["a"]
    assert a["RankDistance"] == pytest.approx(np.mean([brute_rd[q] for q in topics["qid"]]))
    assert a["SameLangPref"] == pytest.approx(np.mean([brute_slp[q] for q in topics["qid"]]))
    assert {"RankDistance p-value", "SameLangPref p-value", "AP p-value"} <= set(out.columns)
    assert np.isfinite(out.set_index("name").loc["b", "RankDistance p-value"])
