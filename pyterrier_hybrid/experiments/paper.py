"""The paper's reported numbers (Elmahdy, Lin, Ahmad, arXiv 2408.10536, Table 1 and its rank-distance table) and
its claims, restated from a study's own numbers: each study report shows ours beside theirs."""
from __future__ import annotations

import pandas as pd

from datasets_ext import KINDS

#: Table 1: mAP macro-averaged over the settings of each kind (mono, cross, multi), per model, batch type and
#: evaluation family.
PAPER_MAP: dict[tuple[str, str, str], tuple[float, float, float]] = {
    ("XLM-R", "X-X", "xquad-r"): (.792, .674, .547), ("XLM-R", "X-X", "mlqa-r"): (.648, .584, .473),
    ("XLM-R", "X-Y", "xquad-r"): (.755, .700, .593), ("XLM-R", "X-Y", "mlqa-r"): (.626, .620, .508),
    ("XLM-R", "hybrid", "xquad-r"): (.798, .705, .593), ("XLM-R", "hybrid", "mlqa-r"): (.648, .623, .512),
    ("LaBSE", "X-X", "xquad-r"): (.808, .752, .652), ("LaBSE", "X-X", "mlqa-r"): (.681, .656, .550),
    ("LaBSE", "X-Y", "xquad-r"): (.801, .762, .679), ("LaBSE", "X-Y", "mlqa-r"): (.671, .677, .576),
    ("LaBSE", "hybrid", "xquad-r"): (.817, .767, .682), ("LaBSE", "hybrid", "mlqa-r"): (.686, .681, .579),
}
#: Rank distance in the multilingual pool, per model, batch type and evaluation family.
PAPER_RANK_DISTANCE: dict[tuple[str, str, str], float] = {
    ("XLM-R", "X-X", "xquad-r"): 410.2, ("XLM-R", "X-Y", "xquad-r"): 295.4, ("XLM-R", "hybrid", "xquad-r"): 286.6,
    ("XLM-R", "X-X", "mlqa-r"): 287.5, ("XLM-R", "X-Y", "mlqa-r"): 226.7, ("XLM-R", "hybrid", "mlqa-r"): 227.1,
    ("LaBSE", "X-X", "xquad-r"): 261.5, ("LaBSE", "X-Y", "xquad-r"): 225.2, ("LaBSE", "hybrid", "xquad-r"): 221.1,
    ("LaBSE", "X-X", "mlqa-r"): 225.3, ("LaBSE", "X-Y", "mlqa-r"): 198.3, ("LaBSE", "hybrid", "mlqa-r"): 195.0,
}
#: The batch types of the paper's tables, as our systems are displayed.
PAPER_SYSTEMS: tuple[str, ...] = ("X-X", "X-Y", "hybrid")


def paper_table(family: str, ours: pd.DataFrame, model_name: str) -> pd.DataFrame:
    """Rows (model, batches): mAP per kind and multilingual rank distance, the paper's XLM-R and LaBSE rows and
    ours (``ours``: a study summary, mean over seeds) for the paper's three batch types."""
    rows = []
    for model in ("XLM-R", "LaBSE"):
        for system in PAPER_SYSTEMS:
            rows.append({"model": f"{model} (paper)", "batches": system,
                         **dict(zip(KINDS, PAPER_MAP[(model, system, family)])),
                         "RankDistance": PAPER_RANK_DISTANCE[(model, system, family)]})
    part = ours[ours["family"] == family]
    for system in PAPER_SYSTEMS:
        mine = part[part["system"] == system].set_index(["kind", "measure"])["mean"]
        if len(mine):
            rows.append({"model": f"{model_name} (ours)", "batches": system,
                         **{kind: mine.get((kind, "AP"), float("nan")) for kind in KINDS},
                         "RankDistance": mine.get(("multi", "RankDistance"), float("nan"))})
    return pd.DataFrame(rows).set_index(["model", "batches"])


def verdict(delta: float, significant: bool, lower_is_better: bool = False) -> str:
    """A claim "hybrid is at least as good" holds when hybrid is ahead (or level), holds as a tie when it is behind
    but not significantly, and fails when it is significantly behind."""
    ahead = delta <= 0 if lower_is_better else delta >= 0
    return "holds" if ahead else ("holds (tie: behind, n.s.)" if not significant else "fails")


def claims_table(tests: pd.DataFrame, family: str) -> pd.DataFrame:
    """The paper's claims, from a study's significance tests (hybrid minus baseline, Holm-corrected): hybrid >= X-X
    and >= X-Y in mAP per kind; best (or tied) in the multilingual pool against every fine-tuned system; lower
    rank distance than X-X."""
    part = tests[tests["family"] == family]
    rows = []

    def add(claim: str, baseline: str, kind: str, measure: str, lower_is_better: bool = False) -> None:
        hit = part[(part["baseline"] == baseline) & (part["kind"] == kind) & (part["measure"] == measure)]
        if len(hit):
            r = hit.iloc[0]
            rows.append({"claim": claim, "baseline": baseline, "kind": kind, "measure": measure,
                         "hybrid − baseline": r["delta"], "p (Holm)": r["p_holm"],
                         "verdict": verdict(r["delta"], bool(r["p_holm"] < 0.05), lower_is_better)})
    for baseline in ("X-X", "X-Y"):
        for kind in KINDS:
            add(f"hybrid ≥ {baseline}", baseline, kind, "AP")
    for baseline in sorted(set(part["baseline"]) - {"BM25", "zero-shot"}):
        add("hybrid best in the multilingual pool", baseline, "multi", "AP")
    add("less language bias than X-X", "X-X", "multi", "RankDistance", lower_is_better=True)
    return pd.DataFrame(rows)
