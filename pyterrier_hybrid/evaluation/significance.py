"""Paired significance tests between systems, per family, setting kind and measure, as ``pt.Experiment`` does them.

The unit is the query: a query's value is its mean over the settings of the kind it appears in (one setting
for mono and multi, each pool language for cross) and over seeds. Two-sided paired t-test (``pt.Experiment``'s
test), with the p-values of each (family, kind, measure) corrected over its comparisons by statsmodels'
``multipletests`` (the library and the method names of ``pt.Experiment(correction=)``; default Holm).
"""
from __future__ import annotations

import gc
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

SIGNIFICANCE_COLUMNS: tuple[str, ...] = ("family", "kind", "measure", "system", "baseline", "queries", "mean",
                                         "baseline_mean", "delta", "p", "p_holm")


def adjust(p_values: Sequence[float], method: str = "holm") -> np.ndarray:
    """p-values corrected for multiple comparisons by statsmodels' ``multipletests`` (``method``: its names, e.g.
    ``holm``, ``bonferroni``, ``fdr_bh``). Its Holm branch runs ``gc.collect()`` on every call (~0.4 s with torch
    loaded), so the heap is frozen for the call: the collection then has nothing to scan."""
    from statsmodels.stats.multitest import multipletests
    p = np.asarray(p_values, dtype=float)
    if not len(p):
        return p
    gc.freeze()
    try:
        return multipletests(p, method=method)[1]
    finally:
        gc.unfreeze()


def query_values(per_query: pd.DataFrame) -> pd.DataFrame:
    """Each query's value per (family, system, kind, measure): mean over its settings of the kind and seeds."""
    keys = ["family", "system", "kind", "measure", "query_id"]
    return per_query.dropna(subset=["value"]).groupby(keys, observed=True, sort=False)["value"].mean().reset_index()


def compare(per_query: pd.DataFrame, comparisons: Sequence[tuple[str, str]], alpha: float = 0.05,
            correction: str = "holm") -> pd.DataFrame:
    """Each (system, baseline) of ``comparisons`` on the queries both answered, one row per (family, kind, measure,
    comparison); p corrected over the comparisons of each (family, kind, measure) by ``correction`` (column
    ``p_holm`` whatever the method); ``significant`` says whether the corrected p is below ``alpha``."""
    values = query_values(per_query)
    rows = []
    for (family, kind, measure), part in values.groupby(["family", "kind", "measure"], sort=False):
        table = part.pivot(index="query_id", columns="system", values="value")
        group = []
        for system, baseline in comparisons:
            if system not in table or baseline not in table or baseline == system:
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
        for row, adjusted in zip(group, adjust([r["p"] for r in group], correction)):
            rows.append({**row, "p_holm": adjusted})
    frame = pd.DataFrame(rows, columns=list(SIGNIFICANCE_COLUMNS))
    frame["significant"] = frame["p_holm"] < alpha
    return frame


def paired_tests(per_query: pd.DataFrame, system: str, baselines: Sequence[str], alpha: float = 0.05,
                 correction: str = "holm") -> pd.DataFrame:
    """``system`` against each of ``baselines`` (a study's hybrid against every other system)."""
    return compare(per_query, [(system, b) for b in baselines], alpha, correction)


def baseline_tests(per_query: pd.DataFrame, baseline: str, systems: Sequence[str], alpha: float = 0.05,
                   correction: str = "holm") -> pd.DataFrame:
    """Each of ``systems`` against one ``baseline``, as ``pt.Experiment(baseline=, correction=)`` reports them."""
    return compare(per_query, [(s, baseline) for s in systems], alpha, correction)


def delta_table(tests: pd.DataFrame, index: Sequence[str], measures: Sequence[str]) -> pd.DataFrame:
    """Tests as a table: rows ``index`` (e.g. baseline, kind), one column per measure of ``measures`` (in their
    order), cells ``+0.012 (p=0.003)*``: mean difference, corrected p, ``*`` where significant."""
    part = tests[tests["measure"].isin(list(measures))]
    cells = part.assign(cell=[f"{d:+.3f} (p={p:.2g}){'*' if s else ''}"
                              for d, p, s in zip(part["delta"], part["p_holm"], part["significant"])])
    table = cells.pivot(index=list(index), columns="measure", values="cell")
    return table.reindex(columns=[m for m in measures if m in table.columns])
