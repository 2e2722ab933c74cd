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

#: The batch strategies, the one list of them (the paper's names; docs/method.md): name -> (sampler class in
#: ``training.samplers``, display name). ``xx``: every batch one language; ``xx-mixed``: LAReQA's X-X, each pair
#: monolingual, languages mixed inside a batch; ``xy``: question and answer languages differ; ``hybrid``:
#: one-language X-X batches and X-Y batches, X-X share alpha; ``random``: hybrid's pairs mixed across batches,
#: batch types ignored (a baseline); ``st-plain``: every pair of every language combination in a plain dataset,
#: batched by sentence-transformers' ``NoDuplicatesBatchSampler`` (a baseline, ``training.plain``).
STRATEGIES: dict[str, tuple[str, str]] = {
    "xx": ("XXBatchSampler", "X-X"),
    "xx-mixed": ("XXMixedBatchSampler", "X-X (mixed)"),
    "xy": ("XYBatchSampler", "X-Y"),
    "hybrid": ("HybridBatchSampler", "hybrid"),
    "random": ("RandomBatchSampler", "random"),
    "st-plain": ("", "ST plain"),  # no sampler of ours: sentence-transformers' NoDuplicatesBatchSampler (plain.py)
}
STRATEGY_NAMES: tuple[str, ...] = tuple(STRATEGIES)
#: Strategies that train on cross-lingual pairs, so need items in two or more languages (with one training
#: language only ``xx``, ``xx-mixed`` and ``st-plain`` can train).
CROSS_LINGUAL_STRATEGIES: frozenset[str] = frozenset({"xy", "hybrid", "random"})
#: Names that changed meaning or were removed, and what to use instead (an error names the replacement).
RENAMED: dict[str, str] = {
    "xx-mono": "strategy 'xx' (every batch one language; --xx-languages proportional for the old language draw)",
    "mono_xx": "xx_kind (hybrid's X-X batches are one language each by default; xx_kind='mixed' for LAReQA's "
               "mixed X-X, --xx-kind mixed)",
}
#: Hybrid's X-X batches: one language each (the paper's) or LAReQA's mixed languages.
XX_KINDS: tuple[str, ...] = ("one-language", "mixed")
#: How a one-language X-X batch's language is drawn: uniformly among the languages that fill a batch (the
#: paper's), or in proportion to each language's rows.
XX_LANGUAGES: tuple[str, ...] = ("uniform", "proportional")
#: Hybrid's X-X share: a number in [0, 1], or ``proportional`` to the sizes of the two training sets.
PROPORTIONAL = "proportional"
#: The options each strategy takes, with their defaults (None elsewhere: an option a strategy does not take is
#: an error, so no two configurations of one model differ in their key).
STRATEGY_OPTIONS: dict[str, dict[str, object]] = {
    "xx": {"xx_languages": "uniform"},
    "xx-mixed": {},
    "xy": {},
    "hybrid": {"alpha": 0.5, "xx_kind": "one-language", "xx_languages": "uniform"},
    "random": {"alpha": 0.5, "xx_kind": "one-language", "xx_languages": "uniform"},
    "st-plain": {},
}
#: Every strategy option (the TrainConfig fields of ``STRATEGY_OPTIONS``).
OPTION_FIELDS: tuple[str, ...] = ("alpha", "xx_kind", "xx_languages")
#: Hard negatives (``training.negatives``): none (in-batch negatives only), other sentences of the answer's
#: paragraph, BM25's or the base model's top candidates, each in the positive's language.
HARD_NEGATIVES: tuple[str, ...] = ("none", "paragraph", "bm25", "model")
#: Contrastive losses (see ``train.make_loss``).
LOSSES: tuple[str, ...] = ("mnrl", "cached-mnrl", "symmetric")
#: Training precisions: exact fp32, bfloat16 autocast, or ``auto`` (bf16 where the CPU computes it natively).
TRAIN_PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "auto")
#: What happens to the word-embedding matrix (82% of multilingual-e5-small's parameters).
WORD_EMBEDDINGS: tuple[str, ...] = ("frozen", "trained")
#: Version of the batch rules, part of every model's key: raised when one TrainConfig would give other batches
#: (1: distinct items per batch, LAReQA's X-X as ``xx``; 2: the paper's strategies, no text twice in a batch).
BATCH_RULES = 2
#: Fields added after models were stored, with the value that means "off": at that value a field is left out of
#: the key, so models stored before it existed keep their keys.
ADDED_OFF: dict[str, object] = {"min_steps": None}
#: Fields that say how to run, not what to learn: left out of the key.
RUN_FIELDS: frozenset[str] = frozenset({"device", "save_steps", "checkpoint_minutes", "logging_steps"})


def _choose(name: str, value: object, valid: tuple) -> None:
    if value in RENAMED:
        raise ValueError(f"{name} {value!r} was renamed: use {RENAMED[value]}")
    if value not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(map(str, valid))}")


def check_strategy(name: str) -> str:
    """``name`` if it is a strategy; else a ValueError naming the valid ones (or what replaced an old name)."""
    _choose("strategy", name, STRATEGY_NAMES)
    return name


def _strategy_options(c: TrainConfig) -> dict[str, object]:
    """The strategy options of ``c`` resolved: defaults filled in, the ones its strategy does not take None."""
    takes = STRATEGY_OPTIONS[c.strategy]
    given = {name: getattr(c, name) for name in OPTION_FIELDS}
    wrong = [name for name, value in given.items() if value is not None and name not in takes]
    if wrong:
        users = {n: [s for s, o in STRATEGY_OPTIONS.items() if n in o] for n in wrong}
        raise ValueError("; ".join(f"{n} applies to the {' / '.join(users[n])} strategy only, not {c.strategy!r}"
                                   for n in wrong))
    resolved = {name: (takes[name] if given[name] is None else given[name]) if name in takes else None
                for name in given}
    if resolved["xx_kind"] is not None:
        _choose("X-X kind", resolved["xx_kind"], XX_KINDS)
    if resolved["xx_kind"] == "mixed":  # mixed X-X batches draw no language (the default draw is dropped)
        if given["xx_languages"] not in (None, takes["xx_languages"]):
            raise ValueError("xx_languages applies to one-language X-X batches, not to xx_kind 'mixed'")
        resolved["xx_languages"] = None
    if resolved["xx_languages"] is not None:
        _choose("X-X language draw", resolved["xx_languages"], XX_LANGUAGES)
    alpha = resolved["alpha"]
    if alpha is not None and alpha != PROPORTIONAL and not (isinstance(alpha, (int, float)) and 0.0 <= alpha <= 1.0):
        raise ValueError(f"alpha must lie in [0, 1] (share of X-X batches) or be {PROPORTIONAL!r}, got {alpha!r}")
    if isinstance(alpha, int) and alpha != PROPORTIONAL:
        resolved["alpha"] = float(alpha)
    return resolved


@dataclass(frozen=True)
class TrainConfig:
    """Everything ``train()`` needs besides the base model, the data and where to write.

    ``steps``: optimiser steps (None: ``epochs`` epochs, but at least ``min_steps`` when given). Strategy options (None: the strategy's default, see
    ``STRATEGY_OPTIONS``; an option the strategy does not take is an error): ``alpha``, hybrid's X-X share (0.5,
    or ``"proportional"`` to the two training sets); ``xx_kind``, hybrid's X-X batches (``one-language`` or
    ``mixed``); ``xx_languages``, how a one-language batch's language is drawn (``uniform`` or ``proportional``).
    ``hard_negatives``: ``none`` or a kind of ``training.negatives`` (``negatives_per_query`` each, in the
    positive's language). Prompts default (None) to the model's own ``query`` / ``document`` prompts. ``precision`` ``auto`` is resolved on creation, so the key
    records what actually ran. Invalid values raise ValueError at once, before any model is loaded.
    """
    strategy: str = "hybrid"
    alpha: float | str | None = None
    xx_kind: str | None = None
    xx_languages: str | None = None
    hard_negatives: str = "none"
    negatives_per_query: int = 1
    steps: int | None = None
    epochs: float = 1.0
    min_steps: int | None = None
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
        _choose("hard-negative kind", self.hard_negatives, HARD_NEGATIVES)
        _choose("training precision", self.precision, TRAIN_PRECISIONS)
        _choose("word-embeddings choice", self.word_embeddings, WORD_EMBEDDINGS)
        for name, value in _strategy_options(self).items():
            object.__setattr__(self, name, value)
        problems = [f"{name} must be {rule}, got {value!r}" for name, value, ok, rule in (
            ("batch_size", self.batch_size, self.batch_size >= 2, ">= 2 (in-batch negatives need two pairs)"),
            ("negatives_per_query", self.negatives_per_query, self.negatives_per_query >= 1
             and (self.hard_negatives != "none" or self.negatives_per_query == 1), ">= 1 (and 1, the default, "
             "without hard negatives: in-batch negatives only)"),
            ("steps", self.steps, self.steps is None or self.steps >= 1, ">= 1 (or None: train by epochs)"),
            ("min_steps", self.min_steps, self.min_steps is None or (self.min_steps >= 1 and self.steps is None),
             ">= 1, and only when training by epochs (steps None)"),
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
        """A copy with ``changes`` (validated again); a new strategy takes its own options' defaults."""
        if "strategy" in changes:
            changes = {**dict.fromkeys(OPTION_FIELDS), **changes}
        return dataclasses.replace(self, **changes)

    def sampler_options(self) -> dict[str, object]:
        """The keyword arguments of this strategy's batch sampler (its options, as resolved)."""
        return {name: getattr(self, name) for name in STRATEGY_OPTIONS[self.strategy]}

    def model_fields(self) -> dict[str, object]:
        """What determines the trained model: every field but how to run (device, checkpoint and log intervals)
        and the later-added fields at their "off" value (``ADDED_OFF``), and the version of the batch rules."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in RUN_FIELDS
                  and not (f.name in ADDED_OFF and getattr(self, f.name) == ADDED_OFF[f.name])}
        return {**fields, "batch_rules": BATCH_RULES}

    def key(self) -> str:
        """Eight hex digits over :meth:`model_fields`."""
        return short_hash(self.model_fields())


#: Old keyword names of ``train()`` and their converters to TrainConfig fields (kept for one release).
DEPRECATED_KEYWORDS: dict[str, tuple[str, object]] = {
    "max_steps": ("steps", lambda v: None if v is None or v < 0 else v),
    "bf16": ("precision", lambda v: "bf16" if v else "fp32"),
    "freeze_word_embeddings": ("word_embeddings", lambda v: "frozen" if v else "trained"),
}
