"""The study report on hand-built per-query values: sections per family, significance only where hybrid is."""
from __future__ import annotations

import numpy as np
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
