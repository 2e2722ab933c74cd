"""The study report on hand-built per-query values: sections per family, significance only where hybrid is."""
from __future__ import annotations

import numpy as np
import pytest
import pandas as pd

from pyterrier_hybrid.experiments import quick_config
from pyterrier_hybrid.experiments.study_report import StudyResult


def per_query(family: str, systems: list[str], rng: np.random.Generator) -> pd.DataFrame:
    rows = [dict(family=family, trained_on="other", system=system, seed=0, kind="mono", query_lang="en",
                 pool_lang="en", measure="AP", query_id=f"en:{q}", value=rng.random())
            for system in systems for q in range(20)]
    return pd.DataFrame(rows)


def test_a_family_without_hybrid_gets_no_significance_table():
    rng = np.random.default_rng(0)
    values = pd.concat([per_query("xquad-r", ["X-X", "hybrid"], rng), per_query("mlqa-r", ["X-X"], rng)])
    provenance = {"command": "pyterrier-hybrid reproduce", "commit": "abc", "wall seconds": 60, "study seconds": 60}
    report = StudyResult(quick_config("model"), values, provenance).markdown()
    xquad, mlqa = report.split("## Evaluated on mlqa-r")
    assert "Hybrid minus baseline" in xquad and "| X-X | mono |" in xquad
    assert "Hybrid minus baseline" not in mlqa and "| X-X | mono |" in mlqa


def test_claims_are_restated_from_the_tests():
    """A claim holds when hybrid is ahead, holds as a tie when behind but n.s., fails when significantly behind;
    for rank distance lower is better."""
    from pyterrier_hybrid.experiments.paper import claims_table
    rows = [("X-X", "mono", "AP", 0.01, 0.001), ("X-X", "cross", "AP", -0.01, 0.3), ("X-X", "multi", "AP", -0.02, 0.01),
            ("X-Y", "multi", "AP", 0.0, 1.0), ("zero-shot", "multi", "AP", 0.3, 0.0),
            ("X-X", "multi", "RankDistance", -50.0, 0.001)]
    tests = pd.DataFrame([dict(family="xquad-r", baseline=b, kind=k, measure=m, delta=d, p_holm=p)
                          for b, k, m, d, p in rows])
    claims = claims_table(tests, "xquad-r").set_index(["claim", "baseline", "kind"])["verdict"]
    assert claims[("hybrid ≥ X-X", "X-X", "mono")] == "holds"
    assert claims[("hybrid ≥ X-X", "X-X", "cross")] == "holds (tie: behind, n.s.)"
    assert claims[("hybrid ≥ X-X", "X-X", "multi")] == "fails"
    assert claims[("hybrid ≥ X-Y", "X-Y", "multi")] == "holds"
    assert claims[("less language bias than X-X", "X-X", "multi")] == "holds"
    best = claims.xs("hybrid best in the multilingual pool", level="claim")
    assert set(best.index.get_level_values("baseline")) == {"X-X", "X-Y"}, "fine-tuned systems only"
    assert claims_table(tests, "mlqa-r").empty


def test_paper_table_puts_ours_beside_theirs():
    from pyterrier_hybrid.experiments.paper import paper_table
    ours = pd.DataFrame([dict(family="xquad-r", system="hybrid", kind=k, measure="AP", mean=v)
                         for k, v in zip(("mono", "cross", "multi"), (0.7, 0.6, 0.5))])
    table = paper_table("xquad-r", ours, "e5-small")
    assert table.loc[("XLM-R (paper)", "hybrid"), "multi"] == 0.593
    assert table.loc[("LaBSE (paper)", "X-X"), "RankDistance"] == 261.5
    assert table.loc[("e5-small (ours)", "hybrid"), "cross"] == 0.6
    assert ("e5-small (ours)", "X-Y") not in table.index, "a system not run is not shown"


def test_seen_and_unseen_languages_are_grouped_and_compared(tmp_path):
    """Trained on en, de, zh: el is unseen. Each setting lands in its group; hybrid's differences per group equal
    the hand-computed ones; the delta heatmaps are written."""
    from pyterrier_hybrid.experiments.unseen import seen_group
    assert seen_group("en", "de", {"en", "de"}) == "both seen"
    assert seen_group("el", "de", {"en", "de"}) == "one seen"
    assert seen_group("el", "th", {"en", "de"}) == "neither seen"
    assert seen_group("el", "multi", {"en"}) == "query unseen"
    value = {"hybrid": 0.5, "X-X": 0.4, "X-Y": 0.45}
    rows = [dict(family="xquad-r", trained_on="mlqa-r", system=system, seed=0,
                 kind="multi" if pool == "multi" else "mono" if q == pool else "cross", query_lang=q, pool_lang=pool,
                 measure="AP", query_id=f"{q}:{i}", value=value[system] + (0.1 if "el" in (q, pool) else 0))
            for system in value for q in ("en", "el") for pool in ("en", "el", "multi") for i in range(3)]
    provenance = {"command": "c", "commit": "x", "wall seconds": 1, "study seconds": 1}
    result = StudyResult(quick_config("model"), pd.DataFrame(rows), provenance)
    from pyterrier_hybrid.experiments.unseen import seen_table
    table = seen_table(result.settings(), result.trained_languages(), "hybrid", ["X-X", "X-Y"])
    assert table.loc[("xquad-r", "cross", "one seen"), "settings"] == 2
    assert table.loc[("xquad-r", "mono", "neither seen"), "hybrid"] == pytest.approx(0.6)
    assert table.loc[("xquad-r", "mono", "both seen"), "hybrid − X-X"] == pytest.approx(0.1)
    assert table.loc[("xquad-r", "multi", "query unseen"), "hybrid − X-Y"] == pytest.approx(0.05)
    assert "Seen and unseen languages" in result.markdown()
    result.save(tmp_path)
    assert (tmp_path / "heatmaps" / "xquad-r" / "hybrid_minus_X-X_AP.png").stat().st_size > 0
    assert (tmp_path / "systems_xquad-r.png").stat().st_size > 0


def test_header_names_the_seeds_each_system_holds():
    """A study still running: X-X has seeds 0 and 1, hybrid seed 0 only; the report must not claim 0 1 2."""
    from pyterrier_hybrid.experiments import full_config
    rng = np.random.default_rng(0)
    values = pd.concat([per_query("xquad-r", ["X-X", "hybrid"], rng),
                        per_query("xquad-r", ["X-X"], rng).assign(seed=1)])
    provenance = {"command": "c", "commit": "x", "wall seconds": 1, "study seconds": 1}
    running = StudyResult(full_config("model", seeds=(0, 1, 2)), values, provenance).markdown()
    assert "seeds stored: X-X 0 1; hybrid 0" in running and "0 1 2" not in running
    complete = StudyResult(full_config("model", seeds=(0, 1)), values[values["system"] == "X-X"], provenance)
    assert "seed(s) 0 1\n" in complete.markdown()
