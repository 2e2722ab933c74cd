"""Incremental storage of a study: each trained model and each system × family evaluation is written
atomically as it completes and reused by the next run, so a long study finishes over several runs.

Layout under ``<out>/.study/``: ``models/<train family>/<strategy>-seed<n>-<setup key>/`` (a sentence-transformers
model, complete once ``study.json`` exists; training interrupted before that resumes from its last checkpoint)
and ``evals/<family>/<system id>-<eval key>.parquet`` (per-query values) with a ``.json`` of timings beside it.
``trainings/<train family>/<model name>.json`` keeps each model's training record apart from its weights, so a
study continued from committed evaluations still accounts for the training time of every model.
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pyterrier_hybrid.core.atomic import atomic_open, atomic_write_json
from pyterrier_hybrid.evaluation.matrix import Collection, System, run_matrix
from pyterrier_hybrid.experiments.config import StudyConfig, TrainingSetup

logger = logging.getLogger(__name__)
DONE = "study.json"


def training_part(family: str, model_dir: Path) -> str:
    """The name of a model's training in the provenance record's parts."""
    return f"train {family} {model_dir.name}"


class StudyStore:
    """Finished parts of studies, kept under ``<out>/.study`` and keyed by everything that determines them."""

    def __init__(self, out_dir: str | Path, stored_only: bool = False):
        """``stored_only``: compute nothing; an evaluation not stored yet is listed in ``missing`` instead."""
        self.root = Path(out_dir) / ".study"
        self.stored_only = stored_only
        self.missing: list[str] = []
        self.timings: dict[str, dict] = {}  # what this run computed or reused, for the provenance record
        self._collections: dict[tuple, Collection] = {}

    def model_dir(self, config: StudyConfig, family: str, strategy: str, seed: int, setup: TrainingSetup) -> Path:
        key = setup.key(config.base_model, config.with_context)
        return self.root / "models" / family / f"{strategy}-seed{seed}-{key}"

    def training_record(self, family: str, model_dir: Path) -> Path:
        """Where the training record (seconds, resumed, data) of a fine-tuned model is kept beside the evaluations."""
        return self.root / "trainings" / family / f"{model_dir.name}.json"

    def note_stored_training(self, config: StudyConfig, family: str, strategy: str, seed: int,
                             setup: TrainingSetup) -> None:
        """Account for a model trained by an earlier run whose evaluation is reused without its weights."""
        out = self.model_dir(config, family, strategy, seed, setup)
        name, record = training_part(family, out), self.training_record(family, out)
        if name not in self.timings and record.exists():
            self.timings[name] = {**json.loads(record.read_text()), "reused": True}

    def trained_model(self, config: StudyConfig, family: str, strategy: str, seed: int,
                      setup: TrainingSetup | None = None) -> Path:
        """The base model fine-tuned on ``family`` with ``strategy``: stored, resumed, or trained now."""
        from pyterrier_hybrid.training import ParallelQA, train
        setup = setup or config.training
        out = self.model_dir(config, family, strategy, seed, setup)
        name = training_part(family, out)
        if (out / DONE).exists():
            self.timings[name] = {**json.loads((out / DONE).read_text()), "reused": True}
            return out
        data = ParallelQA.from_irds(family, setup.languages, config.with_context)
        if setup.items:
            data = data.sample_items(setup.items, seed)
        checkpoints = out / "checkpoints"
        resume = checkpoints.is_dir() and any(checkpoints.glob("checkpoint-*"))
        logger.info("%s: %s", name, "resuming from the last checkpoint" if resume else "training")
        start = time.monotonic()
        train(config.base_model, data, strategy, setup.alpha if strategy == "hybrid" else None, output_dir=out,
              batch_size=setup.batch_size, max_steps=setup.steps, learning_rate=setup.learning_rate,
              warmup_ratio=setup.warmup_ratio, max_seq_length=setup.max_seq_length,
              freeze_word_embeddings=setup.freeze_word_embeddings, bf16=setup.bf16, seed=seed,
              save_steps=max(10, setup.steps // 4), resume=resume)
        shutil.rmtree(checkpoints, ignore_errors=True)  # the final model is saved; checkpoints are ~0.6 GB each
        record = {"seconds": round(time.monotonic() - start, 1), "resumed": resume, "data": data.summary()}
        atomic_write_json(out / DONE, record)
        kept = self.training_record(family, out)
        kept.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(kept, record)
        self.timings[name] = {**record, "reused": False}
        return out

    def evaluation(self, config: StudyConfig, family: str, system_id: str,
                   make_system: Callable[[], System]) -> pd.DataFrame | None:
        """Per-query values of one system on every setting of ``family``: stored, or computed and stored now
        (None when it is not stored and the store is ``stored_only``)."""
        path = self.root / "evals" / family / f"{system_id}-{config.eval_key(family)}.parquet"
        meta = path.with_suffix(".json")
        name = f"evaluate {family} {system_id}"
        if path.exists() and meta.exists():
            self.timings[name] = {**json.loads(meta.read_text()), "reused": True}
            return pd.read_parquet(path)
        if self.stored_only:
            self.missing.append(name)
            return None
        system = make_system()  # may train the model first: that time is the training part's, not counted here
        start = time.monotonic()
        result = run_matrix(family, [system], collection=self.collection(family, config), per_query=True)
        record = {"seconds": round(time.monotonic() - start, 1), "texts encoded": result.encoded.get(system.name)}
        with atomic_open(path) as f:
            result.per_query.to_parquet(f, index=False)
        atomic_write_json(meta, record)
        self.timings[name] = {**record, "reused": False}
        return result.per_query

    def collection(self, family: str, config: StudyConfig) -> Collection:
        """A family's queries and candidates, read once per store and shared by every system."""
        key = (family, config.eval_languages, config.with_context, config.eval_items)
        if key not in self._collections:
            collection = Collection.load(family, config.eval_languages, with_context=config.with_context)
            self._collections[key] = collection.sample_queries(config.eval_items) if config.eval_items else collection
        return self._collections[key]
