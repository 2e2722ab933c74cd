"""What a study trains and evaluates: the training set-up shared by every fine-tuned model (a TrainConfig plus the
training data's languages and items), the models themselves (:class:`TrainedModel`, each with its own key), and
the study (base model, directions, languages, systems, seeds). Presets: the full comparison and ``--quick``."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from datasets_ext import check_languages
from pyterrier_hybrid.core.keys import short_hash
from pyterrier_hybrid.training.config import STRATEGIES, STRATEGY_NAMES, STRATEGY_OPTIONS, OPTION_FIELDS, TrainConfig

#: Version of the study store's keys: part of every stored part's key, raised when what a key covers changes
#: (1: strategy name + a hash of the set-up; 2: every field that determines a model or an evaluation). A model's
#: key also covers the batch rules (``training.config.BATCH_RULES``): no model trained under older rules, nor its
#: evaluation, is reused, while BM25's and the base model's evaluations are.
STUDY_FORMAT = 2
#: Batch strategies a study can train (names as in ``TrainConfig.strategy``).
TRAINED_SYSTEMS: tuple[str, ...] = STRATEGY_NAMES
#: The strategies a study trains by default: the paper's comparison (the other strategies are extra baselines).
COMPARED: tuple[str, ...] = ("xx", "xx-mixed", "xy", "hybrid")
#: Display names of the systems of a study, in report order.
DISPLAY_NAMES: dict[str, str] = {"bm25": "BM25", "zero-shot": "zero-shot",
                                 **{name: display for name, (_, display) in STRATEGIES.items()}}
#: Zero-shot protocol: the family a model is evaluated on is never the one it was trained on.
EVALUATED_ON: dict[str, str] = {"mlqa-r": "xquad-r", "xquad-r": "mlqa-r"}
#: Seed of the draw of held-out training items (``TrainingSetup.held_out_items``): the same items for every model
#: and seed, so that every system is scored on the same questions.
HELD_OUT_SEED = 0


@dataclass(frozen=True)
class TrainingSetup(TrainConfig):
    """The TrainConfig every fine-tuned model of a study shares (each model sets its own strategy and seed), and
    its training data: ``languages`` (None: all of the training family) and ``items`` (this many random items,
    each in all its languages; None: all) and ``held_out_items`` (this many random items, the same for every
    model, kept out of training: a study then scores its systems on those items' questions in the training family,
    to choose a recipe without looking at the test family). The strategy options (``alpha``, ``xx_kind``,
    ``xx_languages``) go to the models whose strategy takes them (``STRATEGY_OPTIONS``)."""
    steps: int | None = 200
    max_seq_length: int | None = 128
    precision: str = "auto"
    # the recipe chosen on held-out training items (docs/results/recipe): paragraph negatives helped every strategy
    hard_negatives: str = "paragraph"
    languages: tuple[str, ...] | None = None
    items: int | None = None
    held_out_items: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.items is not None and self.items < self.batch_size:
            raise ValueError(f"{self.items} items cannot fill a batch of {self.batch_size} distinct items")
        if self.held_out_items < 0:
            raise ValueError(f"held_out_items must be >= 0, got {self.held_out_items}")

    def split_held_out(self, data):
        """(training, held-out) parts of ``data``: the ``held_out_items`` drawn with ``HELD_OUT_SEED``, the one
        rule by which models leave them out and studies score on them."""
        return data.split_items(self.held_out_items, HELD_OUT_SEED)

    def train_config(self, strategy: str, seed: int) -> TrainConfig:
        """The TrainConfig of the model trained with ``strategy`` and ``seed`` under this set-up."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(TrainConfig)}
        options = {name: getattr(self, name) if name in STRATEGY_OPTIONS[strategy] else None
                   for name in OPTION_FIELDS}
        return TrainConfig(**{**fields, "strategy": strategy, "seed": seed, **options})


@dataclass(frozen=True)
class TrainedModel:
    """One fine-tuned model of a study: everything that determines it, and the key that names it in the store."""
    base_model: str
    family: str  # trained on
    with_context: bool
    setup: TrainingSetup
    strategy: str
    seed: int

    @property
    def config(self) -> TrainConfig:
        return self.setup.train_config(self.strategy, self.seed)

    def key(self) -> str:
        """Eight hex digits over the store format, base model, training data and every model field of the config."""
        held_out = {"held_out_items": self.setup.held_out_items} if self.setup.held_out_items else {}
        return short_hash({"format": STUDY_FORMAT, "base_model": self.base_model, "family": self.family,
                           "with_context": self.with_context, "languages": self.setup.languages,
                           "items": self.setup.items, **held_out, "train": self.config.model_fields()})

    def training_data(self):
        """The model's training data: its family in its languages, the held-out items removed, then ``items``
        random items (drawn with the model's seed)."""
        from pyterrier_hybrid.training import ParallelQA
        data = ParallelQA.from_irds(self.family, self.setup.languages, self.with_context)
        if self.setup.held_out_items:
            data = self.setup.split_held_out(data)[0]
        return data.sample_items(self.setup.items, self.seed) if self.setup.items else data

    @property
    def name(self) -> str:
        """``<strategy>-seed<n>-<key>``: readable, and unique to everything that determines the model."""
        return f"{self.strategy}-seed{self.seed}-{self.key()}"


@dataclass(frozen=True)
class StudyConfig:
    """One comparison: BM25, the base model zero-shot and the base model fine-tuned with each strategy,
    trained on each of ``train_families`` and evaluated on the other family."""
    base_model: str
    train_families: tuple[str, ...] = ("mlqa-r", "xquad-r")
    eval_languages: tuple[str, ...] | None = None  # None: every language of the evaluation family
    strategies: tuple[str, ...] = COMPARED
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
        from pyterrier_hybrid.retrieval.fast import encode_precision
        object.__setattr__(self, "fast", encode_precision(self.fast))
        unknown = [f for f in self.train_families if f not in EVALUATED_ON]
        if unknown or not self.train_families:
            raise ValueError(f"unknown training family {unknown or '(none)'}; valid: {', '.join(EVALUATED_ON)}")
        bad = [s for s in self.strategies if s not in TRAINED_SYSTEMS]
        if bad:
            raise ValueError(f"unknown strategy {bad}; valid: {', '.join(TRAINED_SYSTEMS)}")
        if not self.seeds or min(self.seeds) < 0:
            raise ValueError(f"seeds must be one or more integers >= 0, got {list(self.seeds)}")
        if (self.eval_items is not None and self.eval_items < 1) or (self.eval_max_seq_length or 1) < 1 \
                or self.encode_batch_size < 1:
            raise ValueError(f"eval_items, eval_max_seq_length and encode_batch_size must be positive, got "
                             f"{self.eval_items}, {self.eval_max_seq_length} and {self.encode_batch_size}")
        for family in self.train_families:  # every language must exist where it is used, before any work
            if self.training.languages:
                check_languages(family, list(self.training.languages))
            if self.eval_languages and not self.held_out:
                check_languages(EVALUATED_ON[family], list(self.eval_languages))
        if self.held_out and self.eval_items:
            raise ValueError("eval_items and held_out_items exclude each other: with held-out items, their "
                             "questions are the ones evaluated")

    def model(self, family: str, strategy: str, seed: int, setup: TrainingSetup | None = None) -> TrainedModel:
        """The model of this study fine-tuned on ``family`` with ``strategy`` and ``seed`` (under ``setup``,
        default: the study's)."""
        return TrainedModel(self.base_model, family, self.with_context, setup or self.training, strategy, seed)

    @property
    def held_out(self) -> bool:
        """Whether systems are scored on held-out training items (recipe selection) instead of the other family."""
        return self.training.held_out_items > 0

    def evaluated_on(self, train_family: str) -> str:
        """The family the models trained on ``train_family`` are scored on: the other family (zero-shot), or with
        held-out items the training family itself, on those items' questions only."""
        return train_family if self.held_out else EVALUATED_ON[train_family]

    def trained_for(self, family: str) -> str:
        """The training family of the models scored on ``family`` (the inverse of :meth:`evaluated_on`)."""
        return next(train_family for train_family in EVALUATED_ON if self.evaluated_on(train_family) == family)

    def evaluation_languages(self) -> tuple[str, ...] | None:
        """The evaluated languages: ``eval_languages``, or with held-out items the training languages."""
        return self.training.languages if self.held_out else self.eval_languages

    def eval_key(self, family: str) -> str:
        """Identifies how a family is evaluated (store format, languages, texts, encoding precision and length,
        sampled or held-out items)."""
        held_out = {"held_out_items": self.training.held_out_items} if self.held_out else {}
        return short_hash({"format": STUDY_FORMAT, "family": family, "languages": self.evaluation_languages(),
                           "with_context": self.with_context, "precision": self.fast,
                           "max_seq_length": self.eval_max_seq_length, "items": self.eval_items, **held_out})


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
