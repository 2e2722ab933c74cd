"""Sweeps: one training-set-up field varied over a grid, for one or more strategies, everything else as in the
study.

* ``alpha``: the share of X-X batches (1 = X-X only, 0 = X-Y only; the other strategies take no alpha, so their
  points are one model each, a reference line);
* ``items``: training-set size, as a number of random items (each in all its languages);
* ``languages``: the set of training languages (values such as ``en,de``);
* ``hard_negatives``: none, paragraph, bm25 or model (``training.negatives``);
* ``model``: the base model (names or paths), plotted against its parameter count.

Each point is a model trained and evaluated through the study's store, so points (and points two sweeps share)
are computed once.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from datasets_ext import KINDS
from pyterrier_hybrid.core.paths import check_cache_writable, check_writable
from pyterrier_hybrid.evaluation.report import macro, markdown_table, setting_means
from pyterrier_hybrid.evaluation.significance import compare, delta_table
from pyterrier_hybrid.experiments.config import DISPLAY_NAMES, StudyConfig, TrainedModel
from pyterrier_hybrid.experiments.migrate import migrate_store
from pyterrier_hybrid.experiments.runner import StudyRunner, check_training_items
from pyterrier_hybrid.experiments.store import StudyStore

SWEEP_PARAMETERS: dict[str, str] = {"alpha": "X-X share α", "items": "training items",
                                    "languages": "training languages", "hard_negatives": "hard negatives",
                                    "model": "base model (parameters, log scale)"}
#: Parameters whose values are categories, not numbers (plotted at even positions).
CATEGORICAL: frozenset[str] = frozenset({"languages", "hard_negatives"})


def parse_value(parameter: str, text: str) -> float | int | tuple[str, ...]:
    """A sweep value from the command line: ``0.25`` (alpha), ``300`` (items), ``en,de`` (languages)."""
    if parameter not in SWEEP_PARAMETERS:
        raise ValueError(f"unknown sweep parameter {parameter!r}; valid: {', '.join(SWEEP_PARAMETERS)}")
    if parameter == "languages":
        return tuple(lang for lang in text.split(",") if lang)
    if parameter in ("hard_negatives", "model"):
        return text
    try:
        return float(text) if parameter == "alpha" else int(text)
    except ValueError:
        raise ValueError(f"bad value {text!r} for the {parameter} sweep") from None


def sweep_points(config: StudyConfig, parameter: str, values: Sequence) -> list[tuple[object, TrainedModel]]:
    """(value, model) of every point of the sweep, for each of the study's strategies; building them validates
    every value before any work (each point is a study of its own set-up)."""
    if parameter not in SWEEP_PARAMETERS:
        raise ValueError(f"unknown sweep parameter {parameter!r}; valid: {', '.join(SWEEP_PARAMETERS)}")
    if parameter == "model":
        from pyterrier_hybrid.models import resolve_model
        studies = [dataclasses.replace(config, base_model=resolve_model(value)) for value in values]
    else:
        studies = [dataclasses.replace(config, training=config.training.replace(**{parameter: value}))
                   for value in values]
    return [(value, study.model(family, strategy, seed)) for family in config.train_families
            for seed in config.seeds for strategy in config.strategies for value, study in zip(values, studies)]


def parameter_count(model: str) -> int:
    """Number of parameters of a sentence-transformers model (name or path)."""
    from sentence_transformers import SentenceTransformer
    return sum(p.numel() for p in SentenceTransformer(model, device="cpu").parameters())


def run_sweep(config: StudyConfig, parameter: str, values: Sequence, out_dir: str | Path) -> pd.DataFrame:
    """Train and evaluate each of the study's strategies at each value of ``parameter``; write
    ``sweep_<parameter>.csv`` and ``sweep_<parameter>.png`` under ``out_dir`` and return the tidy frame
    (parameter, value, strategy, seed, trained_on, family, kind, measure, score)."""
    points = sweep_points(config, parameter, values)
    check_training_items([model for _, model in points])  # every value is checked before the output folder is made
    check_writable(out_dir, "the output folder (--out)")
    check_cache_writable()
    store = StudyStore(out_dir)
    migrate_store(store)
    runner = StudyRunner(config, store)
    sizes = {model.base_model: parameter_count(model.base_model) for _, model in points} if parameter == "model" else {}
    rows, per_query = [], []
    for value, model in points:
        values = runner.trained(model)
        averages = macro(setting_means(values, []), [])
        label = ",".join(value) if parameter == "languages" else value
        size = {"parameters": sizes[model.base_model]} if sizes else {}
        rows += [dict(parameter=parameter, value=label, **size, strategy=DISPLAY_NAMES[model.strategy],
                      seed=model.seed, trained_on=model.family, family=config.evaluated_on(model.family),
                      kind=r.kind, measure=r.measure, score=r.value)
                 for r in averages.itertuples()]
        per_query.append(values.assign(family=config.evaluated_on(model.family),
                                       system=point_name(DISPLAY_NAMES[model.strategy], rows[-1]["value"])))
    frame = pd.DataFrame(rows)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"sweep_{parameter}.csv", index=False)
    tests = sweep_tests(pd.concat(per_query, ignore_index=True), frame)
    tests.to_csv(out / f"sweep_{parameter}_significance.csv", index=False)
    (out / f"sweep_{parameter}.md").write_text(sweep_markdown(frame, tests) + "\n", encoding="utf-8")
    plot_sweep(frame, out / f"sweep_{parameter}.png")
    return frame


def point_name(strategy: str, value: object) -> str:
    """A sweep point's system name in the significance tests: ``hybrid @ 0.5``."""
    return f"{strategy} @ {value}"


def sweep_tests(per_query: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Paired tests over queries (values averaged over a kind's settings and the seeds; Holm-corrected within
    each family, kind and measure): each strategy at each value against itself at the first value, and at each
    value hybrid against every other strategy."""
    values, strategies = list(pd.unique(frame["value"])), list(pd.unique(frame["strategy"]))
    hybrid = DISPLAY_NAMES["hybrid"]
    comparisons = [(point_name(s, v), point_name(s, values[0])) for s in strategies for v in values[1:]]
    if hybrid in strategies:
        comparisons += [(point_name(hybrid, v), point_name(s, v)) for v in values for s in strategies if s != hybrid]
    return compare(per_query, comparisons)


def sweep_markdown(frame: pd.DataFrame, tests: pd.DataFrame) -> str:
    """The sweep as Markdown: mean ± sd over seeds per strategy, value and kind (mAP, nDCG@10, rank distance),
    then the paired tests."""
    measures = {"AP": "mAP", "nDCG@10": "nDCG@10", "RankDistance": "RankDistance"}
    part = frame[frame["measure"].isin(list(measures))]
    stats = part.groupby(["family", "strategy", "value", "kind", "measure"], sort=False)["score"].agg(["mean", "std"])
    cells = stats.apply(lambda r: f"{r['mean']:.3f}" + ("" if pd.isna(r["std"]) else f" ± {r['std']:.3f}"), axis=1)
    table = cells.unstack("measure").reindex(columns=[m for m in measures if m in set(part["measure"])])
    seeds = " ".join(map(str, sorted(pd.unique(frame["seed"]))))
    lines = [f"Mean ± sd over seeds {seeds}:", "", markdown_table(table.rename(columns=measures)), ""]
    if len(tests):
        lines += ["Paired t-tests over queries (values averaged over a kind's settings and the seeds; Holm within "
                  "each family, kind and measure; `*`: p < 0.05):", "",
                  markdown_table(delta_table(tests, ["family", "system", "baseline", "kind"], list(measures))
                                 .rename(columns=measures)), ""]
    return "\n".join(lines)


def plot_sweep(frame: pd.DataFrame, path: str | Path) -> Path:
    """Line plots against the swept value, one line per strategy: mAP in each setting kind and rank distance in
    the multilingual pool, one figure row per evaluated family; error bars show the spread over seeds."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parameter = frame["parameter"].iloc[0]
    families = list(pd.unique(frame["family"]))
    labels = list(pd.unique(frame["value"]))
    if parameter == "model":  # models by size: x is the parameter count
        sizes = frame.groupby("value", sort=False)["parameters"].first()
        labels = sorted(labels, key=sizes.get)
        x = [sizes[label] for label in labels]
    else:
        x = range(len(labels)) if parameter in CATEGORICAL else labels
    panels = [(kind, "AP", f"{kind} mAP") for kind in KINDS] + [("multi", "RankDistance",
                                                                  "rank distance (multi, lower is better)")]
    fig, axes = plt.subplots(len(families), len(panels), figsize=(4.2 * len(panels), 3.6 * len(families)),
                             squeeze=False)
    for row, family in zip(axes, families):
        part = frame[frame["family"] == family]
        stats = part.groupby(["strategy", "kind", "measure", "value"], sort=False)["score"].agg(["mean", "std"])
        for ax, (kind, measure, title) in zip(row, panels):
            for strategy in pd.unique(part["strategy"]):
                if (strategy, kind, measure) in stats.index.droplevel(3):
                    s = stats.loc[(strategy, kind, measure)].reindex(labels)
                    ax.errorbar(x, s["mean"], yerr=s["std"].fillna(0), marker="o", capsize=3, label=strategy)
            ax.set_title(f"{family}: {title}")
            ax.set_xlabel(SWEEP_PARAMETERS[parameter])
            if parameter in CATEGORICAL:
                ax.set_xticks(list(x), labels, rotation=30, ha="right")
            elif parameter == "model":
                ax.set_xscale("log")
                ax.set_xticks(x, [f"{Path(str(label)).name}\n{size / 1e6:.1f}M" for label, size in zip(labels, x)],
                              rotation=30, ha="right", fontsize=7)
                ax.minorticks_off()
            ax.grid(alpha=0.3)
        row[0].legend(title="strategy")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
