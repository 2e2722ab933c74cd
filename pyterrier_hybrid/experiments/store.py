"""The study store: every finished part of a study, kept under ``<out>/.study/`` and named by a key of
everything that determines it, written atomically, reused by the next run.

Layout: ``models/<train family>/<model name>/`` (a sentence-transformers model, complete once ``study.json``
exists) with its embedding cache in ``cache/<train family>/<model name>/``,
``trainings/<train family>/<model name>.json`` (its training record, kept apart from the weights so a study
continued from committed evaluations still accounts for every model's training time) and
``evals/<family>/<system id>-<eval key>.parquet`` (per-query values) with a ``.json`` of timings beside it.
The store keeps what evaluation needs and nothing more: a model's weights and embedding cache are removed once
its evaluation is stored (``keep_models`` keeps them), and are written at all only when asked to keep them or when
the training took longer than its checkpoint interval (a copy, so that a cut evaluation does not redo it).
Model names and keys: :class:`~pyterrier_hybrid.experiments.config.TrainedModel`; what computes the parts:
:mod:`~pyterrier_hybrid.experiments.runner`.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from pyterrier_hybrid.core.atomic import atomic_open, atomic_write_json
from pyterrier_hybrid.experiments.config import TrainedModel

DONE = "study.json"


def training_part(model: TrainedModel) -> str:
    """The name of a model's training in the provenance record's parts."""
    return f"train {model.family} {model.name}"


class StudyStore:
    """Paths, records and atomic I/O of the stored parts of studies under ``<out>/.study``."""

    def __init__(self, out_dir: str | Path, stored_only: bool = False, keep_models: bool = False):
        """``stored_only``: compute nothing; a part not stored yet is listed in ``missing`` instead.
        ``keep_models``: keep every trained model's weights (with its model card) after its evaluation."""
        self.root = Path(out_dir) / ".study"
        self.stored_only = stored_only
        self.keep_models = keep_models
        self.missing: list[str] = []
        self.timings: dict[str, dict] = {}  # what this run computed or reused, for the provenance record

    def model_dir(self, model: TrainedModel) -> Path:
        return self.root / "models" / model.family / model.name

    def cache_dir(self, model: TrainedModel) -> Path:
        """The embedding cache of a trained model's evaluation (removed with its weights)."""
        return self.root / "cache" / model.family / model.name

    def training_record(self, model: TrainedModel) -> Path:
        """Where the training record (seconds, resumed, data) of a fine-tuned model is kept beside the evaluations."""
        return self.root / "trainings" / model.family / f"{model.name}.json"

    def evaluation_path(self, family: str, system_id: str, eval_key: str) -> Path:
        return self.root / "evals" / family / f"{system_id}-{eval_key}.parquet"

    def finished_model(self, model: TrainedModel) -> Path | None:
        """The model's directory if its training finished (noting the reuse), else None."""
        out = self.model_dir(model)
        if not (out / DONE).exists():
            return None
        self.timings[training_part(model)] = {**json.loads((out / DONE).read_text()), "reused": True}
        return out

    def note_stored_training(self, model: TrainedModel) -> None:
        """Account for a model trained by an earlier run whose evaluation is reused without its weights."""
        name, record = training_part(model), self.training_record(model)
        if name not in self.timings and record.exists():
            self.timings[name] = {**json.loads(record.read_text()), "reused": True}

    def finish_training(self, model: TrainedModel, record: dict, saved: bool) -> None:
        """Keep the training record apart from the weights, and mark the saved weights (if ``saved``) complete."""
        if saved:
            atomic_write_json(self.model_dir(model) / DONE, record)
        atomic_write_json(self.training_record(model), record)
        self.timings[training_part(model)] = {**record, "reused": False}

    def drop_model(self, model: TrainedModel) -> None:
        """Remove a model's weights and embedding cache once its evaluation is stored, unless ``keep_models``."""
        if not self.keep_models:
            shutil.rmtree(self.model_dir(model), ignore_errors=True)
            shutil.rmtree(self.cache_dir(model), ignore_errors=True)

    def load_evaluation(self, path: Path, name: str) -> pd.DataFrame | None:
        """The stored per-query values at ``path`` (noting the reuse under ``name``), else None."""
        meta = path.with_suffix(".json")
        if not (path.exists() and meta.exists()):
            return None
        self.timings[name] = {**json.loads(meta.read_text()), "reused": True}
        return pd.read_parquet(path)

    def save_evaluation(self, path: Path, name: str, per_query: pd.DataFrame, record: dict) -> None:
        """Store per-query values and their record (the record last: its presence marks the part complete)."""
        with atomic_open(path) as f:
            per_query.to_parquet(f, index=False)
        atomic_write_json(path.with_suffix(".json"), record)
        self.timings[name] = {**record, "reused": False}
