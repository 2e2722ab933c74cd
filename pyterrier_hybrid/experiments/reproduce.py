"""The paper's comparison, zero-shot: BM25, the base model, and the base model fine-tuned with X-X, X-X-mono,
X-Y and hybrid batches on one family, evaluated on every setting of the other family.

Every trained model and every system × family evaluation is stored as it completes (:class:`StudyStore`),
so running the same study again reuses them and an interrupted study continues where it stopped.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from pyterrier_hybrid.evaluation.matrix import BM25System, DenseSystem
from pyterrier_hybrid.experiments.config import DISPLAY_NAMES, EVALUATED_ON, StudyConfig, TrainingSetup, short_hash
from pyterrier_hybrid.experiments.provenance import command_line, git_commit, hardware, package_versions
from pyterrier_hybrid.experiments.store import StudyStore
from pyterrier_hybrid.experiments.study_report import StudyResult

logger = logging.getLogger(__name__)
SEEDLESS = -1  # the seed column of systems that involve no randomness (BM25, the zero-shot base model)


def dense_system(model: str | Path, config: StudyConfig, name: str) -> DenseSystem:
    """A dense system of the study: the model's own prompts, encoded with the study's precision and maximum
    length (the same for every system, whatever length a model was trained at)."""
    from pyterrier_hybrid.retrieval import DenseEncoder
    return DenseSystem(DenseEncoder(str(model), fast=config.fast, batch_size=config.encode_batch_size,
                                    max_seq_length=config.eval_max_seq_length), name)


def trained_evaluation(store: StudyStore, config: StudyConfig, train_family: str, strategy: str, seed: int,
                       setup: TrainingSetup) -> pd.DataFrame:
    """Per-query values of the model fine-tuned on ``train_family``, on the family it is evaluated on. The model
    is trained (or resumed) only when that evaluation is not stored: stored evaluations outlive model weights."""
    model_dir = store.model_dir(config, train_family, strategy, seed, setup)
    make = lambda: dense_system(store.trained_model(config, train_family, strategy, seed, setup),  # noqa: E731
                                config, strategy)
    per_query = store.evaluation(config, EVALUATED_ON[train_family], f"{train_family}-{model_dir.name}", make)
    store.note_stored_training(config, train_family, strategy, seed, setup)
    return per_query


def _tagged(frame: pd.DataFrame | None, family: str, system: str, seed: int,
            trained_on: str | None) -> pd.DataFrame | None:
    return None if frame is None else frame.assign(family=family, system=system, seed=seed,
                                                   trained_on=trained_on or "-")


def study_parts(config: StudyConfig, store: StudyStore) -> Iterator[pd.DataFrame]:
    """Per-query values of every system of the study, each computed (or reused) in turn: the baselines on
    every evaluated family first (they are cheap and need no training), then the fine-tuned models."""
    for train_family in config.train_families:
        family = EVALUATED_ON[train_family]
        if config.bm25:
            yield _tagged(store.evaluation(config, family, "bm25", BM25System), family, "BM25", SEEDLESS, None)
        if config.zero_shot:
            system_id = f"zero-shot-{short_hash(config.base_model)}"
            make = lambda: dense_system(config.base_model, config, "zero-shot")  # noqa: E731
            yield _tagged(store.evaluation(config, family, system_id, make), family, "zero-shot", SEEDLESS, None)
    for train_family in config.train_families:
        for seed in config.seeds:
            for strategy in config.strategies:
                per_query = trained_evaluation(store, config, train_family, strategy, seed, config.training)
                yield _tagged(per_query, EVALUATED_ON[train_family], DISPLAY_NAMES[strategy], seed, train_family)


def run_study(config: StudyConfig, out_dir: str | Path, argv: list[str] | None = None,
              stored_only: bool = False) -> StudyResult:
    """Run (or continue) ``config``, write every report under ``out_dir`` and return the results.
    ``stored_only``: train and evaluate nothing, report the parts stored so far (the missing ones are listed).

    The provenance record holds this run's wall time and the study's: the summed time of all its parts,
    including those computed by earlier runs. A changed configuration trains and evaluates anew (new keys).
    """
    start = time.monotonic()
    store = StudyStore(out_dir, stored_only)
    parts = [part for part in study_parts(config, store) if part is not None]
    if not parts:
        raise ValueError(f"nothing of this study is stored under {out_dir} yet; run it without --report-only")
    per_query = pd.concat(parts, ignore_index=True)
    provenance = {"command": command_line(argv), "commit": git_commit(), "versions": package_versions(),
                  "hardware": hardware(), "wall seconds": round(time.monotonic() - start, 1),
                  "study seconds": round(sum(part["seconds"] for part in store.timings.values()), 1),
                  "parts": store.timings, "missing parts": store.missing, "config": config}
    result = StudyResult(config, per_query, provenance)
    result.save(out_dir)
    return result
