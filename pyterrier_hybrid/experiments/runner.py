"""The study engine: trains a :class:`~pyterrier_hybrid.experiments.config.TrainedModel` (or resumes it, or
reuses it from the store) and evaluates systems on a family through the store. Every part is stored as it
completes, so running the same study again reuses it and an interrupted study continues where it stopped."""
from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pyterrier_hybrid.core.cpu import cpu_label
from pyterrier_hybrid.core.keys import short_hash
from pyterrier_hybrid.evaluation.collection import Collection
from pyterrier_hybrid.evaluation.matrix import run_matrix
from pyterrier_hybrid.evaluation.systems import BM25System, DenseSystem, System
from pyterrier_hybrid.experiments.config import STUDY_FORMAT, StudyConfig, TrainedModel
from pyterrier_hybrid.experiments.store import StudyStore, training_part

logger = logging.getLogger(__name__)
#: BM25's parameters in the studies (``BM25System``'s defaults), part of its identity in the store; ``pools``
#: says which settings it is evaluated in (its parts of before were mono-only, so they are not this system's).
BM25_PARAMETERS = {"k1": 1.2, "b": 0.75, "stem": True, "pools": "any"}


def bm25_id() -> str:
    return f"bm25-{short_hash({'format': STUDY_FORMAT, **BM25_PARAMETERS})}"


def zero_shot_id(base_model: str) -> str:
    return f"zero-shot-{short_hash({'format': STUDY_FORMAT, 'model': base_model})}"


def trained_id(model: TrainedModel) -> str:
    return f"{model.family}-{model.name}"


def dense_system(model, config: StudyConfig, name: str, training_family: str, cache: bool | Path = True
                 ) -> DenseSystem:
    """A dense system of the study: ``model`` (a name, a directory or a SentenceTransformer) with its own prompts,
    encoded with the study's precision and maximum length (the same for every system, whatever length a model was
    trained at); an int8 precision is calibrated on ``training_family``, never on the evaluated texts. ``cache``:
    the embedding cache (True: the default folder)."""
    from pyterrier_hybrid.retrieval import DenseEncoder
    model = str(model) if isinstance(model, (str, Path)) else model
    return DenseSystem(DenseEncoder(model, fast=config.fast, batch_size=config.encode_batch_size,
                                    max_seq_length=config.eval_max_seq_length, cache=cache,
                                    calibration=training_family), name)


def check_training_items(models: list[TrainedModel]) -> None:
    """Before any part is computed: every model asking for a number of items gets no more than its training data
    holds (counted from the dataset layer, without loading texts)."""
    from datasets_ext import check_languages
    from datasets_ext.lareqa import parse_language
    for model in models:
        if model.setup.items is None:
            continue
        langs = check_languages(model.family, model.setup.languages)
        available = len(set().union(*(parse_language(model.family, lang).questions for lang in langs)))
        if model.setup.items > available:
            raise ValueError(f"--train-items {model.setup.items}: {model.family} in {' '.join(langs)} has only "
                             f"{available} items")


def held_out_items(family: str, config: StudyConfig) -> set[str]:
    """The items of ``family`` (in the training languages) that every model of ``config`` leaves out of training."""
    from pyterrier_hybrid.training import ParallelQA
    data = ParallelQA.from_irds(family, config.training.languages, config.with_context)
    return set(config.training.split_held_out(data)[1].item_ids)


class StudyRunner:
    """Trains and evaluates the parts of one study through its store."""

    def __init__(self, config: StudyConfig, store: StudyStore):
        self.config, self.store = config, store
        self._collections: dict[str, Collection] = {}

    def collection(self, family: str) -> Collection:
        """A family's queries and candidates, read once and shared by every system."""
        if family not in self._collections:
            c = self.config
            collection = Collection.load(family, c.evaluation_languages(), with_context=c.with_context)
            if c.held_out:
                collection = collection.with_items(held_out_items(family, c))
            elif c.eval_items:
                collection = collection.sample_queries(c.eval_items)
            self._collections[family] = collection
        return self._collections[family]

    def trained_model(self, model: TrainedModel):
        """The fine-tuned model: its stored directory, or trained now (resumed from its last checkpoint) and
        returned in memory. Its weights are written only when the store keeps models, or as a copy when the
        training took longer than its checkpoint interval, so that a cut evaluation does not redo it."""
        from pyterrier_hybrid.training import train
        from pyterrier_hybrid.training.checkpoints import checkpoint_dir, last_complete_checkpoint
        done = self.store.finished_model(model)
        if done is not None:
            return done
        out = self.store.model_dir(model)
        data = model.training_data()
        checkpoints = checkpoint_dir(out)
        resume = last_complete_checkpoint(checkpoints) is not None
        logger.info("%s: %s", training_part(model), "resuming from the last checkpoint" if resume else "training")
        start = time.monotonic()
        keep = self.store.keep_models
        trained = train(model.base_model, data, model.config, output_dir=out, resume=resume, save=keep)
        seconds = round(time.monotonic() - start, 1)
        save = keep or seconds >= model.config.checkpoint_minutes * 60
        if save and not keep:
            trained.save(str(out))
        shutil.rmtree(checkpoints, ignore_errors=True)  # the final model is in memory (or saved); ~0.6 GB each
        self.store.finish_training(model, {"seconds": seconds, "cpu": cpu_label(), "resumed": resume,
                                           "data": data.summary()}, saved=save)
        return out if save else trained

    def evaluation(self, family: str, system_id: str, make_system: Callable[[], System]) -> pd.DataFrame | None:
        """Per-query values of one system on every setting of ``family``: stored, or computed and stored now
        (None when it is not stored and the store is ``stored_only``)."""
        path = self.store.evaluation_path(family, system_id, self.config.eval_key(family))
        name = f"evaluate {family} {system_id}"
        stored = self.store.load_evaluation(path, name)
        if stored is not None:
            return stored
        if self.store.stored_only:
            self.store.missing.append(name)
            return None
        system = make_system()  # may train the model first: that time is the training part's, not counted here
        start = time.monotonic()
        result = run_matrix(family, [system], collection=self.collection(family), per_query=True)
        record = {"seconds": round(time.monotonic() - start, 1), "cpu": cpu_label(),
                  "texts encoded": result.encoded.get(system.name)}
        self.store.save_evaluation(path, name, result.per_query, record)
        return result.per_query

    def bm25(self, family: str) -> pd.DataFrame | None:
        return self.evaluation(family, bm25_id(), BM25System)

    def zero_shot(self, family: str) -> pd.DataFrame | None:
        make = lambda: dense_system(self.config.base_model, self.config, "zero-shot",  # noqa: E731
                                    self.config.trained_for(family))
        return self.evaluation(family, zero_shot_id(self.config.base_model), make)

    def trained(self, model: TrainedModel) -> pd.DataFrame | None:
        """Per-query values of a fine-tuned model on the family it is evaluated on. The model is trained (or
        resumed) only when that evaluation is not stored: stored evaluations outlive model weights."""
        make = lambda: dense_system(self.trained_model(model), self.config, model.strategy,  # noqa: E731
                                    model.family, cache=self.store.cache_dir(model))
        per_query = self.evaluation(self.config.evaluated_on(model.family), trained_id(model), make)
        if per_query is not None:
            self.store.drop_model(model)
        self.store.note_stored_training(model)
        return per_query
