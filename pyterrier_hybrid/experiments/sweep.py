"""Sweeps of hybrid training: one training-set-up field varied over a grid, everything else as in the study.

* ``alpha``: the share of X-X batches (1 = X-X only, 0 = X-Y only);
* ``items``: training-set size, as a number of random items (each in all its languages);
* ``languages``: the set of training languages (values such as ``en,de``).

Each point is a hybrid model trained and evaluated through the study's store, so points are reused.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from datasets_ext import KINDS
from pyterrier_hybrid.core.paths import check_cache_writable, check_writable
from pyterrier_hybrid.evaluation.report import macro, setting_means
from pyterrier_hybrid.experiments.config import EVALUATED_ON, StudyConfig, TrainedModel
from pyterrier_hybrid.experiments.migrate import migrate_store
from pyterrier_hybrid.experiments.runner import StudyRunner, check_training_items
from pyterrier_hybrid.experiments.store import StudyStore

SWEEP_PARAMETERS: dict[str, str] = {"alpha": "X-X share α", "items": "training items",
                                    "languages": "training languages"}


def parse_value(parameter: str, text: str) -> float | int | tuple[str, ...]:
    """A sweep value from the command line: ``0.25`` (alpha), ``300`` (items), ``en,de`` (languages)."""
    if parameter not in SWEEP_PARAMETERS:
        raise ValueError(f"unknown sweep parameter {parameter!r}; valid: {', '.join(SWEEP_PARAMETERS)}")
    if parameter == "languages":
        return tuple(lang for lang in text.split(",") if lang)
    try:
        return float(text) if parameter == "alpha" else int(text)
    except ValueError:
        raise ValueError(f"bad value {text!r} for the {parameter} sweep") from None


def sweep_points(config: StudyConfig, parameter: str, values: Sequence) -> list[tuple[object, TrainedModel]]:
    """(value, hybrid model) of every point of the sweep; building them validates every value before any work
    (each point is a study of its own set-up)."""
    if parameter not in SWEEP_PARAMETERS:
        raise ValueError(f"unknown sweep parameter {parameter!r}; valid: {', '.join(SWEEP_PARAMETERS)}")
    setups = [dataclasses.replace(config, training=config.training.replace(**{parameter: value})).training
              for value in values]
    return [(value, config.model(family, "hybrid", seed, setup)) for family in config.train_families
            for seed in config.seeds for value, setup in zip(values, setups)]


def run_sweep(config: StudyConfig, parameter: str, values: Sequence, out_dir: str | Path) -> pd.DataFrame:
    """Train and evaluate hybrid at each value of ``parameter``; write ``sweep_<parameter>.csv`` and
    ``sweep_<parameter>.png`` under ``out_dir`` and return the tidy frame
    (parameter, value, seed, trained_on, family, kind, measure, score)."""
    points = sweep_points(config, parameter, values)
    check_training_items([model for _, model in points])  # every value is checked before the output folder is made
    check_writable(out_dir, "the output folder (--out)")
    check_cache_writable()
    store = StudyStore(out_dir)
    migrate_store(store)
    runner = StudyRunner(config, store)
    rows = []
    for value, model in points:
        averages = macro(setting_means(runner.trained(model), []), [])
        label = ",".join(value) if parameter == "languages" else value
        rows += [dict(parameter=parameter, value=label, seed=model.seed, trained_on=model.family,
                      family=EVALUATED_ON[model.family], kind=r.kind, measure=r.measure, score=r.value)
                 for r in averages.itertuples()]
    frame = pd.DataFrame(rows)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"sweep_{parameter}.csv", index=False)
    plot_sweep(frame, out / f"sweep_{parameter}.png")
    return frame


def plot_sweep(frame: pd.DataFrame, path: str | Path) -> Path:
    """Line plots against the swept value: mAP per setting kind (left) and rank distance (right), one
    figure row per evaluated family; error bars show the spread over seeds."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parameter = frame["parameter"].iloc[0]
    families = list(pd.unique(frame["family"]))
    labels = list(pd.unique(frame["value"]))
    x = range(len(labels)) if parameter == "languages" else labels
    fig, axes = plt.subplots(len(families), 2, figsize=(10, 3.6 * len(families)), squeeze=False)
    for row, family in zip(axes, families):
        part = frame[frame["family"] == family]
        stats = part.groupby(["kind", "measure", "value"], sort=False)["score"].agg(["mean", "std"]).sort_index()
        for kind in KINDS:
            if (kind, "AP") in stats.index.droplevel(2):
                s = stats.loc[(kind, "AP")].reindex(labels)
                row[0].errorbar(x, s["mean"], yerr=s["std"].fillna(0), marker="o", capsize=3, label=kind)
        if ("multi", "RankDistance") in stats.index.droplevel(2):
            s = stats.loc[("multi", "RankDistance")].reindex(labels)
            row[1].errorbar(x, s["mean"], yerr=s["std"].fillna(0), marker="o", capsize=3, color="tab:red")
        for ax, title in zip(row, ("mAP", "rank distance (multilingual, lower is better)")):
            ax.set_title(f"{family}: {title}")
            ax.set_xlabel(SWEEP_PARAMETERS[parameter])
            if parameter == "languages":
                ax.set_xticks(list(x), labels, rotation=30, ha="right")
            ax.grid(alpha=0.3)
        row[0].legend(title="setting kind")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
