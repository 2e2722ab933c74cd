"""How a model is fine-tuned, in one frozen value: :class:`TrainConfig`, the single shape of training options.

``train(model, data, config, **overrides)`` takes it, the study's training set-up holds it, and the CLI builds
it from one set of flags (``pyterrier_hybrid.cli_options``). Its :meth:`~TrainConfig.key` hashes exactly the
fields that determine the trained model, so a stored model is never reused for another configuration.
Importing this module is cheap (no torch, no sentence-transformers).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pyterrier_hybrid.core.keys import short_hash

#: The batch strategies, the one list of them: name -> (sampler class in ``training.samplers``, display name).
STRATEGIES: dict[str, tuple[str, str]] = {
    "xx": ("XXBatchSampler", "X-X"),
    "xx-mono": ("XXMonoBatchSampler", "X-X-mono"),
    "xy": ("XYBatchSampler", "X-Y"),
    "hybrid": ("HybridBatchSampler", "hybrid"),
}
STRATEGY_NAMES: tuple[str, ...] = tuple(STRATEGIES)
#: Contrastive losses (see ``train.make_loss``).
LOSSES: tuple[str, ...] = ("mnrl", "cached-mnrl", "symmetric")
#: Training precisions: exact fp32, bfloat16 autocast, or ``auto`` (bf16 where the CPU computes it natively).
TRAIN_PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "auto")
#: What happens to the word-embedding matrix (82% of multilingual-e5-small's parameters).
WORD_EMBEDDINGS: tuple[str, ...] = ("frozen", "trained")
#: Fields that say how to run, not what to learn: left out of the key.
RUN_FIELDS: frozenset[str] = frozenset({"device", "save_steps", "checkpoint_minutes", "logging_steps"})


def _choose(name: str, value: object, valid: tuple) -> None:
    if value not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(map(str, valid))}")


@dataclass(frozen=True)
class TrainConfig:
    """Everything ``train()`` needs besides the base model, the data and where to write.

    ``steps``: optimiser steps (None: ``epochs`` epochs). ``alpha``: hybrid's X-X share (None: proportional to the
    two training sets); ``mono_xx``: hybrid's X-X batches in one language each. Prompts default (None) to the
    model's own ``query`` / ``document`` prompts. ``precision`` ``auto`` is resolved on creation, so the key
    records what actually ran. Invalid values raise ValueError at once, before any model is loaded.
    """
    strategy: str = "hybrid"
    alpha: float | None = None
    mono_xx: bool = False
    steps: int | None = None
    epochs: float = 1.0
    batch_size: int = 32
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    max_seq_length: int | None = None
    query_prompt: str | None = None
    document_prompt: str | None = None
    word_embeddings: str = "frozen"
    loss: str = "mnrl"
    mini_batch_size: int = 32
    precision: str = "fp32"
    seed: int = 0
    validation_items: int = 0
    device: str = "auto"
    save_steps: int | None = None
    checkpoint_minutes: float = 5.0
    logging_steps: int = 10

    def __post_init__(self) -> None:
        _choose("strategy", self.strategy, STRATEGY_NAMES)
        _choose("loss", self.loss, LOSSES)
        _choose("training precision", self.precision, TRAIN_PRECISIONS)
        _choose("word-embeddings choice", self.word_embeddings, WORD_EMBEDDINGS)
        if self.alpha is not None and self.strategy != "hybrid":
            raise ValueError(f"alpha applies to the hybrid strategy only, not {self.strategy!r}")
        if self.alpha is not None and not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1] (share of X-X batches), got {self.alpha}")
        if self.mono_xx and self.strategy != "hybrid":
            raise ValueError(f"mono_xx applies to the hybrid strategy only (use strategy 'xx-mono'), "
                             f"not {self.strategy!r}")
        problems = [f"{name} must be {rule}, got {value!r}" for name, value, ok, rule in (
            ("batch_size", self.batch_size, self.batch_size >= 2, ">= 2 (in-batch negatives need two pairs)"),
            ("steps", self.steps, self.steps is None or self.steps >= 1, ">= 1 (or None: train by epochs)"),
            ("epochs", self.epochs, self.epochs > 0, "> 0"),
            ("learning_rate", self.learning_rate, self.learning_rate > 0, "> 0"),
            ("warmup_ratio", self.warmup_ratio, 0 <= self.warmup_ratio < 1, "in [0, 1)"),
            ("max_seq_length", self.max_seq_length, self.max_seq_length is None or self.max_seq_length >= 2, ">= 2"),
            ("mini_batch_size", self.mini_batch_size, self.mini_batch_size >= 1, ">= 1"),
            ("seed", self.seed, self.seed >= 0, ">= 0"),
            ("validation_items", self.validation_items, self.validation_items >= 0, ">= 0"),
            ("save_steps", self.save_steps, self.save_steps is None or self.save_steps >= 1,
             ">= 1 (or None: a checkpoint every checkpoint_minutes)"),
            ("checkpoint_minutes", self.checkpoint_minutes, self.checkpoint_minutes > 0, "> 0"),
            ("logging_steps", self.logging_steps, self.logging_steps >= 1, ">= 1")) if not ok]
        if problems:
            raise ValueError("; ".join(problems))
        if self.precision == "auto":
            from pyterrier_hybrid.core.cpu import native_bf16
            object.__setattr__(self, "precision", "bf16" if native_bf16() else "fp32")

    @property
    def bf16(self) -> bool:
        """Whether forward and backward run under bfloat16 autocast."""
        return self.precision == "bf16"

    @property
    def freeze_word_embeddings(self) -> bool:
        return self.word_embeddings == "frozen"

    def replace(self, **changes) -> TrainConfig:
        """A copy with ``changes`` (validated again)."""
        return dataclasses.replace(self, **changes)

    def model_fields(self) -> dict[str, object]:
        """The fields that determine the trained model (all but how to run: device, checkpoint and log intervals)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in RUN_FIELDS}

    def key(self) -> str:
        """Eight hex digits over :meth:`model_fields`."""
        return short_hash(self.model_fields())


#: Old keyword names of ``train()`` and their converters to TrainConfig fields (kept for one release).
DEPRECATED_KEYWORDS: dict[str, tuple[str, object]] = {
    "max_steps": ("steps", lambda v: None if v is None or v < 0 else v),
    "bf16": ("precision", lambda v: "bf16" if v else "fp32"),
    "freeze_word_embeddings": ("word_embeddings", lambda v: "frozen" if v else "trained"),
}
