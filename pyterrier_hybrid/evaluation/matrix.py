"""The language-pair experiment: every monolingual, cross-lingual and multilingual setting of a family
for several systems, evaluated from score matrices and the exact ranks of the relevant candidates.

A full-ranking DataFrame of the XQuAD-R matrix would hold ~343M rows, so each setting is scored as
one (queries × pool) matrix and every measure is derived from the ranks of the relevant candidates
(:func:`~pyterrier_hybrid.evaluation.metrics.evaluate_scores`), equal to what ir_measures gives on
the full ranking. Each language's queries and candidates are encoded once per system and reused
by every setting that needs them.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from datasets_ext import KINDS, Setting
from pyterrier_hybrid.evaluation.bias import RankDistance, SameLangPref, bias_per_query
from pyterrier_hybrid.evaluation.collection import Collection
from pyterrier_hybrid.evaluation.metrics import evaluate_scores, parse_measures
from pyterrier_hybrid.evaluation.report import RESULT_COLUMNS, macro_averages, write_csv, write_heatmaps, write_markdown
from pyterrier_hybrid.evaluation.runs import write_ranking, write_run
from pyterrier_hybrid.evaluation.systems import PipelineSystem, System

DEFAULT_MEASURES: dict[str, tuple[str, ...]] = {
    "lareqa": ("AP", "nDCG@10", "R@1", "R@10", "R@100", "RR@10"),
    "miracl": ("nDCG@10", "R@100"),
}
BIAS_MEASURES: tuple[str, ...] = ("RankDistance", "SameLangPref")


@dataclass
class MatrixResult:
    """Tidy results (system, kind, query_lang, pool_lang, measure, value), encoding counters and, when asked
    for, the per-query values behind them (the same columns plus query_id), for significance tests."""
    results: pd.DataFrame
    encoded: dict[str, int] = field(default_factory=dict)
    per_query: pd.DataFrame | None = None

    def macro(self) -> pd.DataFrame:
        """Macro-averages over the settings of each kind: rows (system, kind), one column per measure."""
        return macro_averages(self.results)

    def save(self, out_dir: str | Path, heatmap_measures: Sequence[str] | None = None) -> list[Path]:
        """Write ``results.csv``, the macro-average table ``results.md`` and one heatmap PNG per system and
        measure (default: every non-bias measure) under ``out_dir``; return the paths written."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [write_csv(self.results, out / "results.csv"), write_markdown(self.results, out / "results.md")]
        measures = heatmap_measures or [m for m in pd.unique(self.results["measure"]) if m not in BIAS_MEASURES]
        return paths + write_heatmaps(self.results, out / "heatmaps", measures)


def run_matrix(family: str, systems: Sequence[System], languages: Iterable[str] | None = None, *,
               kinds: Sequence[str] = KINDS, measures: Sequence[str] | None = None, bias: bool = True,
               with_context: bool = False, collection: Collection | None = None,
               run_dir: str | Path | None = None, run_depth: int = 100, per_query: bool = False) -> MatrixResult:
    """Evaluate ``systems`` on every setting of ``kinds`` of ``family`` (restricted to ``languages``).

    Bad input (unknown family, language, kind or measure; no systems) fails before anything is encoded.
    With ``run_dir``, a TREC run file (top ``run_depth``) per system and setting is written there; with
    ``per_query``, the result also keeps every query's values (``MatrixResult.per_query``).
    """
    if not systems:
        raise ValueError("no systems to evaluate")
    measures = parse_measures(measures or DEFAULT_MEASURES["miracl" if family == "miracl" else "lareqa"])
    collection = collection or Collection.load(family, languages, with_context=with_context)
    settings = collection.settings(kinds)
    rows, query_frames = [], []
    for system in systems:
        for setting in settings:
            cell = dict(system=system.name, kind=setting.kind, query_lang=setting.query_lang,
                        pool_lang=setting.pool_name)
            evaluate = _evaluate_ranking if isinstance(system, PipelineSystem) else _evaluate_setting
            values = evaluate(system, collection, setting, measures, bias, run_dir, run_depth)
            means = values.groupby("measure", sort=False)["value"].mean()
            rows += [dict(cell, measure=name, value=value) for name, value in means.items()]
            if per_query:
                query_frames.append(values.assign(**cell))
    encoded = {s.name: s.encoded for s in systems if s.encoded is not None}
    queries = (pd.concat(query_frames, ignore_index=True)[[*RESULT_COLUMNS[:4], "query_id", "measure", "value"]]
               if query_frames else None)
    return MatrixResult(pd.DataFrame(rows), encoded, queries)


def _evaluate_ranking(system: PipelineSystem, collection: Collection, setting: Setting, measures, bias: bool,
                      run_dir: str | Path | None, run_depth: int) -> pd.DataFrame:
    """Per-query values (query_id, measure, value) of a pipeline's ranking of one setting, by ir_measures. A query
    the pipeline returned nothing for scores 0 (trec_eval's value for an empty ranking; its bias is undefined).
    When a ranking is shorter than the pool, measures over the whole ranking are labelled with its depth k
    (AP@k, RR@k, RankDistance@k), so a truncated run is never reported as a full one."""
    import ir_measures
    qrels = collection.qrels(setting)
    query_ids = list(pd.unique(qrels["query_id"]))
    res = system.ranking(collection, setting, query_ids)
    depth = int(res.groupby("qid").size().reindex(query_ids, fill_value=0).min())
    truncated = depth < len(collection.pool_doc_ids(setting))
    chosen = list(measures) + ([RankDistance, SameLangPref] if bias and setting.kind == "multi" else [])
    chosen = [m(cutoff=max(depth, 1)) if truncated and m.NAME in ("AP", "RR", "RankDistance") and
              "cutoff" not in m.params else m for m in chosen]
    # a canonical order: MS MARCO's RR@k (as ir_measures runs it) breaks ties by position in the run, so the
    # pipeline's own row order would decide them; ordered so, ties go to the smaller docno, as in the matrix path
    run = res.rename(columns={"qid": "query_id", "docno": "doc_id"}).sort_values(
        ["query_id", "score", "doc_id"], ascending=[True, False, True], kind="stable")
    found = pd.DataFrame([(m.query_id, str(m.measure), m.value) for m in ir_measures.iter_calc(chosen, qrels, run)],
                         columns=["query_id", "measure", "value"])
    full = pd.MultiIndex.from_product([query_ids, [str(m) for m in chosen]], names=["query_id", "measure"])
    values = found.set_index(["query_id", "measure"])["value"].reindex(full).reset_index()
    empty_is_zero = ~values["measure"].isin([str(m) for m in chosen if m.NAME in BIAS_MEASURES])
    values.loc[empty_is_zero, "value"] = values.loc[empty_is_zero, "value"].fillna(0.0)
    if run_dir is not None:
        write_ranking(res, _run_path(run_dir, system, collection, setting), run_depth, system.name)
    return values


def _evaluate_setting(system: System, collection: Collection, setting: Setting, measures, bias: bool,
                      run_dir: str | Path | None, run_depth: int) -> pd.DataFrame:
    """Per-query values (query_id, measure, value) of one system on one setting."""
    qrels = collection.qrels(setting)
    data = collection.data[setting.query_lang]
    keep = np.flatnonzero(pd.Index(data.query_ids).isin(qrels["query_id"]))
    scores = system.scores(collection, setting)[keep]
    qids = [data.query_ids[i] for i in keep]
    docnos = collection.pool_doc_ids(setting)
    values = evaluate_scores(scores, qids, docnos, qrels, measures)
    if bias and setting.kind == "multi":
        values = pd.concat([values, bias_per_query(scores, qids, docnos, qrels)], ignore_index=True)
    if run_dir is not None:
        write_run(scores, qids, docnos, _run_path(run_dir, system, collection, setting), run_depth, system.name)
    return values


def _run_path(run_dir: str | Path, system: System, collection: Collection, setting: Setting) -> Path:
    return (Path(run_dir) / system.name.replace("/", "_") /
            f"{collection.family}_{setting.query_lang}-{setting.pool_name}.run")
