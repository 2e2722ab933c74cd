"""Migration of stores written under earlier key formats, so no stored part is computed twice or lost.

Format 1 (before ``STUDY_FORMAT`` 2) named a model ``<strategy>-seed<n>-<hash of base model, texts and the
study's set-up>`` and an evaluation ``<system>-<hash of family, languages, texts, precision, length, items>``,
with BM25 as ``bm25`` and the base model as ``zero-shot-<hash of its name>``. Format 2 keys every part by
everything that determines it (:class:`~pyterrier_hybrid.experiments.config.TrainedModel`, ``StudyConfig.eval_key``,
``runner.bm25_id``). A run of a study renames the format-1 parts it would otherwise recompute; a part already
stored under its new name is never overwritten. BM25's format-1 parts are not migrated: they hold monolingual
settings only, and today's BM25 system is evaluated in every setting (a new identity).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from pyterrier_hybrid.core.keys import short_hash
from pyterrier_hybrid.experiments.config import EVALUATED_ON, StudyConfig, TrainedModel
from pyterrier_hybrid.experiments.runner import trained_id, zero_shot_id
from pyterrier_hybrid.experiments.store import StudyStore

logger = logging.getLogger(__name__)


def v1_model_name(model: TrainedModel) -> str:
    """A model's name under format 1: its set-up as the format-1 ``TrainingSetup`` dataclass held it."""
    s = model.setup
    setup = {"steps": s.steps, "batch_size": s.batch_size, "max_seq_length": s.max_seq_length,
             "learning_rate": s.learning_rate, "warmup_ratio": s.warmup_ratio,
             "freeze_word_embeddings": s.freeze_word_embeddings, "bf16": s.bf16, "languages": s.languages,
             "items": s.items, "alpha": s.alpha}
    return f"{model.strategy}-seed{model.seed}-{short_hash([model.base_model, model.with_context, setup])}"


def v1_eval_key(config: StudyConfig, family: str) -> str:
    return short_hash([family, config.eval_languages, config.with_context, config.fast, config.eval_max_seq_length,
                       config.eval_items])


def _moves(store: StudyStore, config: StudyConfig, models: Iterable[TrainedModel]) -> list[tuple[Path, Path]]:
    moves = []

    def evaluation(family: str, old_id: str, new_id: str) -> None:
        old = store.evaluation_path(family, old_id, v1_eval_key(config, family))
        new = store.evaluation_path(family, new_id, config.eval_key(family))
        moves.extend([(old, new), (old.with_suffix(".json"), new.with_suffix(".json"))])

    for family in dict.fromkeys(EVALUATED_ON[f] for f in config.train_families):
        evaluation(family, f"zero-shot-{short_hash(config.base_model)}", zero_shot_id(config.base_model))
    for model in models:
        old_name = v1_model_name(model)
        evaluation(EVALUATED_ON[model.family], f"{model.family}-{old_name}", trained_id(model))
        moves.append((store.training_record(model).with_name(f"{old_name}.json"), store.training_record(model)))
        moves.append((store.model_dir(model).with_name(old_name), store.model_dir(model)))
    return moves


def migrate_store(store: StudyStore, config: StudyConfig, models: Iterable[TrainedModel]) -> int:
    """Rename the format-1 parts of ``config`` (and ``models``) in ``store`` to their current names; return how
    many were renamed (each is logged)."""
    renamed = 0
    for old, new in _moves(store, config, models):
        if old.exists() and not new.exists():
            os.replace(old, new)
            logger.info("store migrated to format 2: %s -> %s", old.relative_to(store.root), new.name)
            renamed += 1
    return renamed
