"""What a study trains and evaluates: the training set-up shared by every fine-tuned system, and the study
(base model, directions, languages, systems, seeds). Presets: the full comparison and the ``--quick`` one."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from datasets_ext import check_languages
from pyterrier_hybrid.training.train import STRATEGY_NAMES

#: Batch strategies compared against each other (names as in ``train(strategy=...)``).
TRAINED_SYSTEMS: tuple[str, ...] = STRATEGY_NAMES
#: Display names of the systems of a study, in report order.
DISPLAY_NAMES: dict[str, str] = {"bm25": "BM25", "zero-shot": "zero-shot", "xx": "X-X", "xx-mono": "X-X-mono",
                                 "xy": "X-Y", "hybrid": "hybrid"}
#: Zero-shot protocol: the family a model is evaluated on is never the one it was trained on.
EVALUATED_ON: dict[str, str] = {"mlqa-r": "xquad-r", "xquad-r": "mlqa-r"}


def short_hash(value: object) -> str:
    """Eight hex digits identifying a JSON-serialisable value (stored results are keyed by it)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class TrainingSetup:
    """Hyperparameters every fine-tuned system of a study shares (only the batch strategy differs).

    ``languages``: training languages (None: all of the training family); ``items``: use this many random
    items (each in all its languages) instead of all; ``alpha``: hybrid's X-X share (None: proportional).
    """
    steps: int = 200
    batch_size: int = 32
    max_seq_length: int = 128
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    freeze_word_embeddings: bool = True
    bf16: bool | None = None  # bfloat16 autocast; None: where the CPU computes bfloat16 natively (emulated is slow)
    languages: tuple[str, ...] | None = None
    items: int | None = None
    alpha: float | None = None

    def __post_init__(self) -> None:
        if self.bf16 is None:
            from pyterrier_hybrid.core.cpu import native_bf16
            object.__setattr__(self, "bf16", native_bf16())
        if self.steps < 1 or self.batch_size < 2:
            raise ValueError(f"need steps >= 1 and batch size >= 2 (in-batch negatives), got {self.steps} steps "
                             f"and batch size {self.batch_size}")
        if self.items is not None and self.items < self.batch_size:
            raise ValueError(f"{self.items} items cannot fill a batch of {self.batch_size} distinct items")

    def key(self, base_model: str, with_context: bool) -> str:
        return short_hash([base_model, with_context, dataclasses.asdict(self)])


def study_precision(fast: str) -> str:
    """The encoding precision of a study: ``"auto"`` is bf16 weights where the CPU computes bfloat16 natively
    (faster, macro mAP within 0.001 of fp32: ``benchmarks/README.md``) and exact fp32 elsewhere."""
    from pyterrier_hybrid.core.cpu import native_bf16
    from pyterrier_hybrid.retrieval.fast import FAST_MODES
    if fast == "auto":
        return "bf16" if native_bf16() else "fp32"
    if fast not in FAST_MODES:
        raise ValueError(f"unknown encoding precision {fast!r}; valid: auto, {', '.join(FAST_MODES)}")
    return fast


@dataclass(frozen=True)
class StudyConfig:
    """One comparison: BM25, the base model zero-shot and the base model fine-tuned with each strategy,
    trained on each of ``train_families`` and evaluated on the other family."""
    base_model: str
    train_families: tuple[str, ...] = ("mlqa-r", "xquad-r")
    eval_languages: tuple[str, ...] | None = None  # None: every language of the evaluation family
    strategies: tuple[str, ...] = TRAINED_SYSTEMS
    seeds: tuple[int, ...] = (0,)
    training: TrainingSetup = field(default_factory=TrainingSetup)
    with_context: bool = False
    bm25: bool = True
    zero_shot: bool = True
    fast: str = "auto"  # encoding precision at evaluation (see retrieval.fast); auto: bf16 where native, else fp32
    eval_max_seq_length: int | None = 128  # every dense system encodes at this length (None: each model's own)
    eval_items: int | None = None  # evaluate the questions of this many random items (None: all)
    encode_batch_size: int = 64

    def __post_init__(self) -> None:
        object.__setattr__(self, "fast", study_precision(self.fast))
        unknown = [f for f in self.train_families if f not in EVALUATED_ON]
        if unknown or not self.train_families:
            raise ValueError(f"unknown training family {unknown or '(none)'}; valid: {', '.join(EVALUATED_ON)}")
        bad = [s for s in self.strategies if s not in TRAINED_SYSTEMS]
        if bad:
            raise ValueError(f"unknown strategy {bad}; valid: {', '.join(TRAINED_SYSTEMS)}")
        if not self.seeds:
            raise ValueError("at least one seed is needed")
        if (self.eval_items is not None and self.eval_items < 1) or (self.eval_max_seq_length or 1) < 1:
            raise ValueError(f"eval_items and eval_max_seq_length must be positive, got {self.eval_items} and "
                             f"{self.eval_max_seq_length}")
        for family in self.train_families:  # every language must exist where it is used, before any work
            if self.training.languages:
                check_languages(family, list(self.training.languages))
            if self.eval_languages:
                check_languages(EVALUATED_ON[family], list(self.eval_languages))

    def eval_key(self, family: str) -> str:
        """Identifies how a family is evaluated (languages, texts, encoding precision)."""
        return short_hash([family, self.eval_languages, self.with_context, self.fast, self.eval_max_seq_length,
                           self.eval_items])


def quick_config(base_model: str, **changes) -> StudyConfig:
    """The ``--quick`` comparison (about 10 minutes on 2 CPU cores): trained on MLQA-R and evaluated on
    XQuAD-R, both in en, de and zh, 40 steps at batch 16 and sequence length 64; the questions of 300 random
    items are evaluated against every candidate."""
    training = TrainingSetup(steps=40, batch_size=16, max_seq_length=64, languages=("en", "de", "zh"))
    return dataclasses.replace(StudyConfig(base_model, train_families=("mlqa-r",), eval_languages=("en", "de", "zh"),
                                           eval_items=300, training=training), **changes)


def full_config(base_model: str, **changes) -> StudyConfig:
    """The full comparison: both directions, every language, 200 steps at batch 32 and sequence length 128."""
    return dataclasses.replace(StudyConfig(base_model), **changes)
