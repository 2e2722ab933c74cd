"""Paired significance tests: Holm's correction and the tests' direction, pairing and edge cases."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from pyterrier_hybrid.evaluation import adjust, baseline_tests, paired_tests


def test_holm_by_hand():
    # sorted p: 0.01 (x3), 0.02 (x2), 0.04 (x1) -> 0.03, 0.04, 0.04 (monotone)
    assert np.allclose(adjust([0.04, 0.01, 0.02]), [0.04, 0.03, 0.04])
    assert np.allclose(adjust([0.5, 0.6]), [1.0, 1.0])


@settings(max_examples=30)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=8))
def test_holm_never_lowers_a_p_value_and_keeps_the_order(p):
    adjusted = adjust(p)
    assert (adjusted >= np.asarray(p) - 1e-12).all() and (adjusted <= 1).all()
    order = np.argsort(p, kind="stable")
    assert (np.diff(adjusted[order]) >= -1e-12).all()


def frame(values: dict[str, list[float]], kind: str = "mono", measure: str = "AP") -> pd.DataFrame:
    rows = [dict(family="xquad-r", system=system, kind=kind, measure=measure, query_id=f"en:q{i}", value=v)
            for system, vs in values.items() for i, v in enumerate(vs)]
    return pd.DataFrame(rows)


def test_clear_improvement_is_significant_and_ties_are_not():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.6, 200)
    per_query = frame({"hybrid": list(base + 0.1 + rng.normal(0, 0.01, 200)), "X-X": list(base),
                       "X-Y": list(base + rng.normal(0, 0.01, 200)), "same": list(base + 0.1 + 0)})
    tests = paired_tests(per_query, "hybrid", ["X-X", "X-Y", "same"]).set_index("baseline")
    assert tests.loc["X-X", "significant"] and tests.loc["X-X", "delta"] == pytest.approx(0.1, abs=0.005)
    assert tests.loc["X-X", "queries"] == 200
    assert tests.loc["X-X", "p_holm"] >= tests.loc["X-X", "p"]
    identical = paired_tests(frame({"hybrid": [0.3, 0.5], "X-X": [0.3, 0.5]}), "hybrid", ["X-X"])
    assert identical["p"].iloc[0] == 1.0 and not identical["significant"].iloc[0]


def test_queries_are_paired_and_averaged_over_settings():
    # cross: a query appears once per pool language; its value is the mean over them
    rows = frame({"hybrid": [0.2, 0.4], "X-X": [0.1, 0.3]}, kind="cross")
    rows = pd.concat([rows, rows.assign(value=rows["value"] + 0.2)])  # a second pool language
    rows = pd.concat([rows, frame({"X-X": [np.nan, 0.3]}, kind="cross").iloc[[0]]])  # NaN is left out
    tests = paired_tests(rows, "hybrid", ["X-X"])
    assert tests["queries"].iloc[0] == 2 and tests["mean"].iloc[0] == pytest.approx(0.4)
    assert tests["delta"].iloc[0] == pytest.approx(0.1)


def test_baseline_tests_equal_pt_experiments_corrected_p_values():
    """Every system against one baseline, corrected over the systems: the p-values of pt.Experiment(baseline=0,
    correction=...) on the same runs, for Holm and Bonferroni."""
    import ir_measures
    import pyterrier as pt
    from ir_measures import AP
    rng = np.random.default_rng(0)
    qids = [f"en:q{i}" for i in range(30)]

    def run(shift: float) -> pd.DataFrame:
        scores = rng.normal(size=(30, 10)) + np.r_[shift, shift, [0] * 8]
        return pd.DataFrame({"qid": np.repeat(qids, 10), "docno": [f"d{j}" for j in range(10)] * 30,
                             "score": scores.ravel()})
    runs = {"bm25": run(0.0), "a": run(1.0), "b": run(0.2)}
    qrels = pd.DataFrame({"qid": np.repeat(qids, 2), "docno": ["d0", "d1"] * 30, "label": 1})
    irqrels = qrels.rename(columns={"qid": "query_id", "docno": "doc_id", "label": "relevance"})
    per_query = pd.concat([pd.DataFrame([dict(family="f", system=name, kind="mono", measure="AP", query_id=m.query_id,
                                              value=m.value) for m in ir_measures.iter_calc([AP], irqrels, r.rename(
                                                  columns={"qid": "query_id", "docno": "doc_id"}))])
                           for name, r in runs.items()])
    topics = pd.DataFrame({"qid": qids, "query": "x"})
    for correction in ("holm", "bonferroni"):
        ours = baseline_tests(per_query, "bm25", ["a", "b"], correction=correction).set_index("system")
        theirs = pt.Experiment(list(runs.values()), topics, qrels, eval_metrics=[AP], baseline=0,
                               correction=correction, names=list(runs)).set_index("name")
        for system in ("a", "b"):
            assert ours.loc[system, "p"] == pytest.approx(theirs.loc[system, "AP p-value"])
            assert ours.loc[system, "p_holm"] == pytest.approx(theirs.loc[system, "AP p-value corrected"])
            assert ours.loc[system, "significant"] == theirs.loc[system, "AP reject"]
