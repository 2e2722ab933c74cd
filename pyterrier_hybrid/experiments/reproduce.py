"""The paper's comparison, zero-shot: BM25, the base model, and the base model fine-tuned with X-X, X-X (mixed),
X-Y and hybrid batches on one family, evaluated on every setting of the other family.

Every trained model and every system × family evaluation is stored as it completes (:class:`StudyStore`,
computed by :class:`StudyRunner`), so running the same study again reuses them and an interrupted study
continues where it stopped.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from pyterrier_hybrid.core.paths import check_cache_writable, check_writable
from pyterrier_hybrid.experiments.config import DISPLAY_NAMES, StudyConfig, TrainedModel
from pyterrier_hybrid.experiments.migrate import migrate_store
from pyterrier_hybrid.experiments.provenance import command_line, git_commit, hardware, package_versions
from pyterrier_hybrid.experiments.runner import StudyRunner, check_training_items
from pyterrier_hybrid.experiments.store import StudyStore
from pyterrier_hybrid.experiments.study_report import StudyResult

logger = logging.getLogger(__name__)
SEEDLESS = -1  # the seed column of systems that involve no randomness (BM25, the zero-shot base model)


def _tagged(frame: pd.DataFrame | None, family: str, system: str, seed: int,
            trained_on: str | None) -> pd.DataFrame | None:
    return None if frame is None else frame.assign(family=family, system=system, seed=seed,
                                                   trained_on=trained_on or "-")


def study_models(config: StudyConfig) -> list[TrainedModel]:
    """Every fine-tuned model of the study, in the order they are trained."""
    return [config.model(family, strategy, seed) for family in config.train_families for seed in config.seeds
            for strategy in config.strategies]


def study_parts(config: StudyConfig, models: list[TrainedModel], runner: StudyRunner) -> Iterator[pd.DataFrame]:
    """Per-query values of every system of the study, each computed (or reused) in turn: the baselines on
    every evaluated family first (they are cheap and need no training), then the fine-tuned models."""
    for train_family in config.train_families:
        family = config.evaluated_on(train_family)
        if config.bm25:
            yield _tagged(runner.bm25(family), family, "BM25", SEEDLESS, None)
        if config.zero_shot:
            yield _tagged(runner.zero_shot(family), family, "zero-shot", SEEDLESS, None)
    for model in models:
        yield _tagged(runner.trained(model), config.evaluated_on(model.family), DISPLAY_NAMES[model.strategy], model.seed,
                      model.family)


def run_study(config: StudyConfig, out_dir: str | Path, argv: list[str] | None = None,
              stored_only: bool = False, store_dir: str | Path | None = None, keep_models: bool = False) -> StudyResult:
    """Run (or continue) ``config``, write every report under ``out_dir`` and return the results.
    ``stored_only``: train and evaluate nothing, report the parts stored so far (the missing ones are listed).
    ``store_dir``: where the parts are stored (default ``out_dir``; studies that share points share a store).
    ``keep_models``: keep the trained models' weights (by default a model is removed once it is evaluated).

    The provenance record holds this run's wall time and the study's: the summed time of all its parts,
    including those computed by earlier runs. A changed configuration trains and evaluates anew (new keys).
    """
    start = time.monotonic()
    store = StudyStore(store_dir or out_dir, stored_only, keep_models)
    models = study_models(config)
    check_training_items(models)  # every argument is checked before the output folder is made
    check_writable(out_dir, "the output folder (--out)")
    check_cache_writable()
    migrate_store(store)
    parts = [part for part in study_parts(config, models, StudyRunner(config, store)) if part is not None]
    if not parts:
        raise ValueError(f"nothing of this study is stored under {store.root} yet; run it without --report-only")
    per_query = pd.concat(parts, ignore_index=True)
    provenance = {"command": command_line(argv), "commit": git_commit(), "versions": package_versions(),
                  "hardware": hardware(), "wall seconds": round(time.monotonic() - start, 1),
                  "study seconds": round(sum(part["seconds"] for part in store.timings.values()), 1),
                  "parts": store.timings, "missing parts": store.missing, "config": config}
    result = StudyResult(config, per_query, provenance)
    result.save(out_dir)
    return result
