"""Sweeps: one training-set-up field varied over a grid, for one or more strategies, everything else as in the
study.

* ``alpha``: the share of X-X batches (1 = X-X only, 0 = X-Y only; the other strategies take no alpha, so their
  points are one model each, a reference line);
* ``items``: training-set size, as a number of random items (each in all its languages);
* ``languages``: the set of training languages (values such as ``en,de``);
* ``hard_negatives``: none, paragraph, bm25 or model (``training.negatives``);
* ``model``: the base model (names or paths), plotted against its parameter count.

Each point is a model trained and evaluated through the study's store, so points (and points two sweeps share,
with ``--store``) are computed once. With one training language the cross-lingual strategies cannot train: that
point is X-X only, by design, and the report says so. A language sweep also groups its settings by whether their
languages were seen in training, and compares hybrid with X-X and X-Y per language pair.
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
from pyterrier_hybrid.experiments.unseen import UNSEEN_BASELINES, seen_table, write_delta_heatmaps
from pyterrier_hybrid.training.config import CROSS_LINGUAL_STRATEGIES

SWEEP_PARAMETERS: dict[str, str] = {"alpha": "X-X share α", "items": "training items (log scale)",
                                    "languages": "training languages", "hard_negatives": "hard negatives",
                                    "model": "base model (parameters, log scale)"}
#: Parameters whose values are categories, not numbers (plotted at even positions).
CATEGORICAL: frozenset[str] = frozenset({"languages", "hard_negatives"})
#: Parameters plotted on a log axis (sizes that grow by factors).
LOG_SCALE: frozenset[str] = frozenset({"items", "model"})


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


def trains_at(parameter: str, value: object, strategy: str) -> bool:
    """Whether ``strategy`` trains at this point of the sweep: one training language has no cross-lingual
    pairs, so only the one-language strategies train there."""
    return not (parameter == "languages" and len(value) == 1 and strategy in CROSS_LINGUAL_STRATEGIES)


def label(parameter: str, value: object) -> object:
    """A value as the sweep's tables show it (``en,de`` for a language set)."""
    return ",".join(value) if parameter == "languages" else value


def sweep_points(config: StudyConfig, parameter: str, values: Sequence) -> list[tuple[object, TrainedModel]]:
    """(value, model) of every point of the sweep, for each of the study's strategies that trains there
    (:func:`trains_at`); building them validates every value before any work (each point is a study of its own
    set-up)."""
    if parameter not in SWEEP_PARAMETERS:
        raise ValueError(f"unknown sweep parameter {parameter!r}; valid: {', '.join(SWEEP_PARAMETERS)}")
    if parameter == "model":
        from pyterrier_hybrid.models import resolve_model
        studies = [dataclasses.replace(config, base_model=resolve_model(value)) for value in values]
    else:
        studies = [dataclasses.replace(config, training=config.training.replace(**{parameter: value}))
                   for value in values]
    return [(value, study.model(family, strategy, seed)) for family in config.train_families
            for seed in config.seeds for strategy in config.strategies for value, study in zip(values, studies)
            if trains_at(parameter, value, strategy)]


def parameter_count(model: str) -> int:
    """Number of parameters of a sentence-transformers model (name or path)."""
    from sentence_transformers import SentenceTransformer
    return sum(p.numel() for p in SentenceTransformer(model, device="cpu").parameters())


def run_sweep(config: StudyConfig, parameter: str, values: Sequence, out_dir: str | Path,
              store_dir: str | Path | None = None, stored_only: bool = False, keep_models: bool = False) -> pd.DataFrame:
    """Train and evaluate each of the study's strategies at each value of ``parameter``; write
    ``sweep_<parameter>.csv``, ``.md`` (with the paired tests, and for languages the seen / unseen groups) and
    ``.png`` under ``out_dir`` and return the tidy frame (parameter, value, strategy, seed, trained_on, family,
    kind, measure, score). Parts are stored under ``store_dir`` (default ``out_dir``: studies that share points
    share a store); ``stored_only``: compute nothing, report what is stored and list what is missing;
    ``keep_models``: keep the trained models' weights (by default a model is removed once it is evaluated)."""
    points = sweep_points(config, parameter, values)
    check_training_items([model for _, model in points])  # every value is checked before the output folder is made
    check_writable(out_dir, "the output folder (--out)")
    check_cache_writable()
    store = StudyStore(store_dir or out_dir, stored_only, keep_models)
    migrate_store(store)
    runner = StudyRunner(config, store)
    sizes = {model.base_model: parameter_count(model.base_model) for _, model in points} if parameter == "model" else {}
    rows, per_query = [], []
    for value, model in points:
        scores = runner.trained(model)
        if scores is None:  # stored_only, and not stored yet: listed in store.missing
            continue
        averages = macro(setting_means(scores, []), [])
        size = {"parameters": sizes[model.base_model]} if sizes else {}
        point = dict(parameter=parameter, value=label(parameter, value), **size,
                     strategy=DISPLAY_NAMES[model.strategy], seed=model.seed, trained_on=model.family,
                     family=config.evaluated_on(model.family))
        rows += [dict(**point, kind=r.kind, measure=r.measure, score=r.value) for r in averages.itertuples()]
        per_query.append(scores.assign(family=point["family"], strategy=point["strategy"], seed=model.seed,
                                       point=point["value"], system=point_name(point["strategy"], point["value"])))
    if not rows:
        raise ValueError(f"nothing of this sweep is stored under {store.root} yet; run it without --report-only")
    frame = pd.DataFrame(rows)
    per_query = pd.concat(per_query, ignore_index=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"sweep_{parameter}.csv", index=False)
    tests = sweep_tests(per_query, frame)
    tests.to_csv(out / f"sweep_{parameter}_significance.csv", index=False)
    lines = [sweep_markdown(frame, tests), *not_trained_lines(config, parameter, values)]
    if parameter == "languages":
        lines += seen_lines(per_query, values, out / "sweep_languages_heatmaps")
    if store.missing:
        lines += ["Not stored yet (run without --report-only): " + ", ".join(store.missing), ""]
    (out / f"sweep_{parameter}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plot_sweep(frame, out / f"sweep_{parameter}.png")
    return frame


def not_trained_lines(config: StudyConfig, parameter: str, values: Sequence) -> list[str]:
    """The report's note on points where a strategy cannot train (by design, not a failure)."""
    skipped = [f"{DISPLAY_NAMES[s]} at {label(parameter, v)}" for v in values for s in config.strategies
               if not trains_at(parameter, v, s)]
    if not skipped:
        return []
    return [f"Not trained, by design: {', '.join(skipped)}. One training language has no cross-lingual pairs, "
            "so only X-X trains there; that point's other strategies are compared with its X-X.", ""]


def seen_lines(per_query: pd.DataFrame, values: Sequence[tuple[str, ...]], heatmaps: Path) -> list[str]:
    """For each training-language set: hybrid, and its difference to X-X and X-Y, by whether a setting's
    languages were seen in training (``unseen.seen_table``), and heatmaps of those differences per language
    pair under ``heatmaps/<languages>/``."""
    hybrid = DISPLAY_NAMES["hybrid"]
    tables = []
    for value in values:
        part = per_query[per_query["point"] == label("languages", value)]
        if hybrid not in set(part["strategy"]):
            continue
        settings = setting_means(part.assign(system=part["strategy"]), ["family", "system", "seed"])
        trained = {family: set(value) for family in pd.unique(settings["family"])}
        tables.append(seen_table(settings, trained, hybrid, UNSEEN_BASELINES)
                      .assign(languages=label("languages", value)).set_index("languages", append=True))
        write_delta_heatmaps(settings, heatmaps / "-".join(value), hybrid, UNSEEN_BASELINES)
    if not tables:
        return []
    table = pd.concat(tables).reorder_levels(["languages", "family", "kind", "group"])
    return ["Seen and unseen languages per training-language set (mAP, mean over settings and seeds; a setting is "
            "grouped by whether its query and pool languages were among the training languages, a multilingual "
            f"one by its query language; per language pair: {heatmaps.name}/<languages>/hybrid_minus_*_AP.png):",
            "", markdown_table(table), ""]


def point_name(strategy: str, value: object) -> str:
    """A sweep point's system name in the significance tests: ``hybrid @ 0.5``."""
    return f"{strategy} @ {value}"


def sweep_tests(per_query: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Paired tests over queries (values averaged over a kind's settings and the seeds; Holm-corrected within
    each family, kind and measure): each strategy at each value against itself at the first value (or, where it
    does not train at the first value, against the first value's first strategy: one language is X-X only), and
    at each value hybrid against every other strategy."""
    values, strategies = list(pd.unique(frame["value"])), list(pd.unique(frame["strategy"]))
    hybrid = DISPLAY_NAMES["hybrid"]
    first = list(pd.unique(frame.loc[frame["value"] == values[0], "strategy"]))
    comparisons = [(point_name(s, v), point_name(s if s in first else first[0], values[0]))
                   for s in strategies for v in values if v != values[0]]
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


#: The sweep plot's panels per evaluated family, as figure rows: (kind, measure, title).
PLOT_ROWS: tuple[tuple[tuple[str, str, str], ...], ...] = (
    (*((kind, "AP", f"{kind} mAP") for kind in KINDS), ("multi", "RankDistance", "rank distance (multi, lower is better)")),
    tuple((kind, "nDCG@10", f"{kind} nDCG@10") for kind in KINDS),
)


def plot_sweep(frame: pd.DataFrame, path: str | Path) -> Path:
    """Line plots against the swept value, one line per strategy: mAP in each setting kind and rank distance in
    the multilingual pool, then nDCG@10 in each kind, two figure rows per evaluated family; error bars show the
    spread over seeds."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parameter = frame["parameter"].iloc[0]
    families = list(pd.unique(frame["family"]))
    labels = list(pd.unique(frame["value"]))
    if parameter == "model":  # models by size: x is the parameter count
        sizes = frame.groupby("value", sort=False)["parameters"].first()
        labels = sorted(labels, key=sizes.get)
        x = [sizes[value] for value in labels]
    else:
        x = range(len(labels)) if parameter in CATEGORICAL else labels
    columns = max(map(len, PLOT_ROWS))
    fig, axes = plt.subplots(len(families) * len(PLOT_ROWS), columns,
                             figsize=(4.2 * columns, 3.6 * len(families) * len(PLOT_ROWS)), squeeze=False)
    for number, (row, panels) in enumerate(zip(axes, PLOT_ROWS * len(families))):
        family = families[number // len(PLOT_ROWS)]
        part = frame[frame["family"] == family]
        stats = part.groupby(["strategy", "kind", "measure", "value"])["score"].agg(["mean", "std"])
        for ax in row[len(panels):]:
            ax.set_visible(False)  # a row with fewer panels than the widest
        for ax, (kind, measure, title) in zip(row, panels):
            for strategy in pd.unique(part["strategy"]):
                if (strategy, kind, measure) in stats.index.droplevel(3):
                    s = stats.loc[(strategy, kind, measure)].reindex(labels)
                    ax.errorbar(x, s["mean"], yerr=s["std"].fillna(0), marker="o", capsize=3, label=strategy)
            ax.set_title(f"{family}: {title}")
            ax.set_xlabel(SWEEP_PARAMETERS[parameter])
            if parameter in CATEGORICAL:
                ax.set_xticks(list(x), labels, rotation=30, ha="right")
            elif parameter in LOG_SCALE:
                ax.set_xscale("log")
                names = ([f"{Path(str(name)).name}\n{size / 1e6:.1f}M" for name, size in zip(labels, x)]
                         if parameter == "model" else [str(value) for value in labels])
                ax.set_xticks(list(x), names, rotation=30, ha="right", fontsize=7)
                ax.minorticks_off()
            ax.grid(alpha=0.3)
        row[0].legend(title="strategy")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
