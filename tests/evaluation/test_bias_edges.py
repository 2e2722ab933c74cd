"""Bias measures off the happy path: a query absent from the run, a truncated run, qrels naming a document outside
the pool. Each gives a documented value (undefined, or rank k + 1 for RankDistance@k), never a plausible wrong
number; checked against brute force in ir_measures, pt.Experiment (with and without a baseline) and the matrix."""
from __future__ import annotations

import warnings

import ir_measures
import numpy as np
import pandas as pd
import pyterrier as pt
import pytest

import pyterrier_hybrid as ph
from pyterrier_hybrid.evaluation.bias import bias_per_query, defined_topics

POOL = [f"{lang}:0:0:{i}" for lang in ("de", "en", "zh") for i in range(4)]
QRELS = pd.DataFrame([(f"en:q{q}", f"{lang}:0:0:{q}", 1) for q in range(3) for lang in ("de", "en", "zh")],
                     columns=["query_id", "doc_id", "relevance"])


def full_run(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame([(f"en:q{q}", d, float(s)) for q in range(3) for d, s in zip(POOL, rng.permutation(len(POOL)))],
                        columns=["query_id", "doc_id", "score"])


def brute_force(run: pd.DataFrame, qrels: pd.DataFrame, cutoff: int | None = None) -> dict[str, float]:
    """RankDistance per query by the rule, from sorted lists."""
    out = {}
    for qid, rel in qrels.groupby("query_id"):
        ranking = run[run.query_id == qid].sort_values(["score", "doc_id"], ascending=False)["doc_id"].tolist()
        if not ranking:
            out[qid] = np.nan
            continue
        ranks = []
        for doc in rel.doc_id:
            r = ranking.index(doc) + 1 if doc in ranking else None
            if cutoff is not None:
                r = cutoff + 1 if r is None or r > cutoff else r
            ranks.append(r)
        out[qid] = np.nan if None in ranks or len(ranks) < 2 else float(max(ranks) - min(ranks))
    return out


def ours(measure, run, qrels) -> dict[str, float]:
    return {m.query_id: m.value for m in ir_measures.iter_calc([measure], qrels, run)}


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all((np.isnan(a[k]) and np.isnan(b[k])) or a[k] == b[k] for k in a)


def test_a_query_absent_from_the_run_is_undefined_not_ideal():
    run = full_run()[lambda r: r.query_id != "en:q1"]
    values = ours(ph.RankDistance, run, QRELS)
    assert np.isnan(values["en:q1"])  # was 0.0, the ideal value
    assert np.isnan(ours(ph.SameLangPref, run, QRELS)["en:q1"])
    assert same(values, brute_force(run, QRELS))


def test_a_truncated_run_is_undefined_and_at_k_ranks_the_missing_at_k_plus_1():
    run = full_run()
    top5 = run.sort_values("score", ascending=False).groupby("query_id").head(5)
    assert same(ours(ph.RankDistance, top5, QRELS), brute_force(top5, QRELS))
    assert np.isnan(list(ours(ph.RankDistance, top5, QRELS).values())).any()
    assert same(ours(ph.RankDistance @ 5, top5, QRELS), brute_force(top5, QRELS, cutoff=5))
    assert not np.isnan(list(ours(ph.RankDistance @ 5, top5, QRELS).values())).any()
    # on the full run, @k equals brute force too
    assert same(ours(ph.RankDistance @ 3, run, QRELS), brute_force(run, QRELS, cutoff=3))


def test_qrels_naming_a_document_outside_the_pool_are_undefined():
    qrels = pd.concat([QRELS, pd.DataFrame([("en:q2", "fr:0:0:2", 1)], columns=QRELS.columns)])
    values = ours(ph.RankDistance, full_run(), qrels)
    assert np.isnan(values["en:q2"]) and not np.isnan(values["en:q0"])
    # the matrix path: the same qrels against a score matrix of the pool
    scores = np.random.default_rng(1).random((3, len(POOL)))
    matrix = bias_per_query(scores, ["en:q0", "en:q1", "en:q2"], POOL, qrels).set_index(["query_id", "measure"])
    assert np.isnan(matrix.loc[("en:q2", "RankDistance"), "value"])
    assert not np.isnan(matrix.loc[("en:q0", "RankDistance"), "value"])


def test_aggregates_skip_undefined_queries_with_one_warning():
    run = full_run()[lambda r: r.query_id != "en:q1"]
    with pytest.warns(UserWarning, match="RankDistance: 1 of 3 queries have no defined value"):
        mean = ir_measures.calc_aggregate([ph.RankDistance], QRELS, run)[ph.RankDistance]
    expected = brute_force(run, QRELS)
    assert mean == pytest.approx(np.nanmean(list(expected.values())))


def as_pt(run: pd.DataFrame) -> pd.DataFrame:
    return run.rename(columns={"query_id": "qid", "doc_id": "docno"})


def test_pt_experiment_with_defined_topics_equals_brute_force():
    qrels = pd.concat([QRELS, pd.DataFrame([("en:q2", "fr:0:0:2", 1)], columns=QRELS.columns)])
    topics = pd.DataFrame({"qid": ["en:q0", "en:q1", "en:q2"], "query": ["a", "b", "c"]})
    pt_qrels = qrels.rename(columns={"query_id": "qid", "doc_id": "docno", "relevance": "label"})
    a, b = as_pt(full_run(0)), as_pt(full_run(1))
    with pytest.warns(UserWarning, match="1 of 3 topics"):
        kept = defined_topics(topics, pt_qrels, POOL)
    assert kept.qid.tolist() == ["en:q0", "en:q1"]
    systems = [pt.Transformer.from_df(a), pt.Transformer.from_df(b)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = pt.Experiment(systems, kept, pt_qrels, eval_metrics=[ph.RankDistance], names=["a", "b"])
        paired = pt.Experiment(systems, kept, pt_qrels, eval_metrics=[ph.RankDistance], names=["a", "b"], baseline=0)
        unfiltered = pt.Experiment(systems, topics, pt_qrels, eval_metrics=[ph.RankDistance], names=["a", "b"])
    for i, run in enumerate((full_run(0), full_run(1))):
        truth = np.mean([v for k, v in brute_force(run, qrels).items() if k in set(kept.qid)])
        assert plain["RankDistance"][i] == pytest.approx(truth) == paired["RankDistance"][i]
    assert not np.isnan(paired["RankDistance p-value"][1])
    assert np.isnan(unfiltered["RankDistance"]).all()  # the documented value of an undefined query: NaN, not 0
