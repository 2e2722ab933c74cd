"""Paired significance tests of one system against baselines, per family, setting kind and measure.

The unit is the query: a query's value is its mean over the settings of the kind it appears in (one setting
for mono and multi, each pool language for cross) and over seeds. Two-sided paired t-test (as
``pt.Experiment``), Holm-corrected over the baselines of each (family, kind, measure).
"""
from __future__ import annotations

import gc
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

SIGNIFICANCE_COLUMNS: tuple[str, ...] = ("family", "kind", "measure", "system", "baseline", "queries", "mean",
                                         "baseline_mean", "delta", "p", "p_holm")


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values, by statsmodels' ``multipletests`` (the library ``pt.Experiment``
    corrects with). Its Holm branch runs ``gc.collect()`` on every call (~0.4 s with torch loaded), so the heap
    is frozen for the call: the collection then has nothing to scan."""
    from statsmodels.stats.multitest import multipletests
    p = np.asarray(p_values, dtype=float)
    if not len(p):
        return p
    gc.freeze()
    try:
        return multipletests(p, method="holm")[1]
    finally:
        gc.unfreeze()


def query_values(per_query: pd.DataFrame) -> pd.DataFrame:
    """Each query's value per (family, system, kind, measure): mean over its settings of the kind and seeds."""
    keys = ["family", "system", "kind", "measure", "query_id"]
    return per_query.dropna(subset=["value"]).groupby(keys, observed=True, sort=False)["value"].mean().reset_index()


def paired_tests(per_query: pd.DataFrame, system: str, baselines: Sequence[str], alpha: float = 0.05
                 ) -> pd.DataFrame:
    """``system`` against each of ``baselines`` on the queries both answered, one row per
    (family, kind, measure, baseline); ``significant`` says whether the Holm-adjusted p is below ``alpha``."""
    values = query_values(per_query)
    rows = []
    for (family, kind, measure), part in values.groupby(["family", "kind", "measure"], sort=False):
        table = part.pivot(index="query_id", columns="system", values="value")
        if system not in table:
            continue
        group = []
        for baseline in baselines:
            if baseline not in table or baseline == system:
                continue
            pair = table[[system, baseline]].dropna()
            if len(pair) < 2:
                continue
            diff = pair[system] - pair[baseline]
            if np.ptp(diff.to_numpy()) == 0:  # no variance: the t statistic is undefined
                p = 1.0 if diff.iloc[0] == 0 else 0.0
            else:
                p = float(stats.ttest_rel(pair[system], pair[baseline]).pvalue)
            group.append(dict(family=family, kind=kind, measure=measure, system=system, baseline=baseline,
                              queries=len(pair), mean=pair[system].mean(), baseline_mean=pair[baseline].mean(),
                              delta=diff.mean(), p=p))
        for row, adjusted in zip(group, holm([r["p"] for r in group])):
            rows.append({**row, "p_holm": adjusted})
    frame = pd.DataFrame(rows, columns=list(SIGNIFICANCE_COLUMNS))
    frame["significant"] = frame["p_holm"] < alpha
    return frame
