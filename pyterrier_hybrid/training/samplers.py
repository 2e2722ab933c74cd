"""Batch samplers for the trainer's ``batch_sampler`` hook: X-X, X-X-mono, X-Y and hybrid.

Every sampler yields keys of :class:`~pyterrier_hybrid.training.pairs.PairKeys` in full batches
(``drop_last`` is ignored: a short final batch would weaken the in-batch negatives), never with
one QA item twice in a batch. An epoch is a plan drawn from ``(seed, epoch)`` alone, so it is
reproducible, differs across epochs, and a resumed run that skips the batches already done
gets exactly the remaining ones. Epoch lengths, in batches of size B (R / C = rows of the
monolingual / cross-lingual set, R_x = rows of language x):

* ``xx``: R // B, languages per pair; ``xx-mono``: sum over x of R_x // B, one language per batch;
* ``xy``: C // B, question language != answer language (drawn per epoch);
* ``hybrid``: proportional (``alpha=None``): R // B X-X and C // B X-Y batches in random order,
  so the realised X-X share is exactly the resolved alpha; with ``alpha``: (R + C) // B
  batches, each X-X with probability alpha.

Distributed (W ranks): the accelerate sharder deals batch i to rank i % W, so the sampler builds
global batches of W * B distinct items, of one type, and yields them as W consecutive batches:
in-batch negatives gathered across ranks never hold a duplicate item, and lengths above use
W * B for B (then count W batches per global batch).
"""
from __future__ import annotations

import logging
import os
from collections import Counter

import numpy as np
from sentence_transformers.base.sampler import DefaultBatchSampler

from pyterrier_hybrid.training.batching import take_batches
from pyterrier_hybrid.training.config import STRATEGIES as STRATEGY_TABLE
from pyterrier_hybrid.training.pairs import PairKeys

logger = logging.getLogger(__name__)


class BatchStats:
    """Realised counts of batch types and of (question language, answer language) pairs.

    A sampler registers each epoch's plan (``start_epoch``) and counts the batches it yields (``count_batch``).
    A data loader reads ahead, so under a trainer the batches actually trained on are counted instead by
    :meth:`callback` (``consume``), which also skips the batches a resumed run trained before. Counts are
    folded in lazily, keeping iteration cheap.
    """

    def __init__(self, languages: tuple[str, ...]):
        self.languages = languages
        self.types: Counter[str] = Counter()
        self.pairs = np.zeros((len(languages), len(languages)), dtype=np.int64)
        self._kinds: list[str] = []
        self._codes = np.zeros((0, 0), dtype=np.int64)
        self._yielded = 0
        self._consumed: int | None = None  # batches trained on, once a trainer reports them
        self._start = 0  # position in the plan of the first batch to count
        self._skip = 0   # batches of the next plan trained before a resume

    def start_epoch(self, kinds: list[str], q_langs: np.ndarray, a_langs: np.ndarray) -> None:
        """Register a plan: one kind and one row of language codes per batch."""
        self._fold()
        self._kinds, self._codes = kinds, q_langs * len(self.languages) + a_langs
        self._start, self._skip = self._skip, 0

    def count_batch(self) -> None:
        """The next batch of the registered plan was yielded."""
        self._yielded += 1

    def consume(self, n: int) -> None:
        """``n`` more batches of the plan were trained on (from then on the trainer's count replaces yields)."""
        self._consumed = (self._consumed or 0) + n

    def skip(self, n: int) -> None:
        """The first ``n`` batches of the next registered plan were trained before (a resumed run)."""
        self._skip = n

    def callback(self, batches_per_step: int):
        """A ``TrainerCallback`` counting the batches each optimiser step trained on (``batches_per_step``:
        gradient accumulation steps × world size)."""
        from transformers import TrainerCallback
        stats = self

        class ConsumedBatches(TrainerCallback):
            def on_train_begin(self, args, state, control, train_dataloader=None, **kwargs):
                stats.consume(0)
                if state.global_step and train_dataloader is not None:
                    per_epoch = max(1, len(train_dataloader) // args.gradient_accumulation_steps)
                    stats.skip(state.global_step % per_epoch * batches_per_step)

            def on_step_end(self, args, state, control, **kwargs):
                stats.consume(batches_per_step)

        return ConsumedBatches()

    def _fold(self) -> None:
        size = len(self.languages)
        lo = self._start
        hi = lo + (self._yielded - lo if self._consumed is None else self._consumed)
        self.types.update(self._kinds[lo:hi])
        self.pairs += np.bincount(self._codes[lo:hi].ravel(), minlength=size * size).reshape(size, size)
        self._kinds, self._codes = self._kinds[hi:], self._codes[hi:]
        self._yielded, self._start = max(0, self._yielded - hi), 0
        self._consumed = None if self._consumed is None else 0

    def xx_share(self) -> float:
        """Share of X-X (``xx`` or ``xx-mono``) batches among all counted batches."""
        self._fold()
        total = sum(self.types.values())
        return (self.types["xx"] + self.types["xx-mono"]) / total if total else float("nan")

    def to_dict(self) -> dict:
        """JSON-ready counts: ``batch_types``, ``language_pairs`` (``"de-en": n``) and ``xx_share``."""
        share = self.xx_share()
        q, a = np.nonzero(self.pairs)
        return {"batch_types": dict(self.types), "xx_share": share,
                "language_pairs": {f"{self.languages[i]}-{self.languages[j]}": int(self.pairs[i, j])
                                   for i, j in zip(q, a)}}


class _Source:
    """Batches of distinct items from one set of keys; ``count`` of them make one epoch."""

    def __init__(self, keys: np.ndarray, items: np.ndarray, size: int, name: str):
        n_items = len(np.unique(items))
        if n_items < size:
            raise ValueError(f"the {name} has {n_items} usable items (distinct QA items), fewer than the "
                             f"global batch size {size}: no batch can hold {size} different items")
        self.keys, self.items, self.size, self.count = keys, items, size, len(keys) // size

    def take(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` batches as rows (more than ``count`` continue into a further pass)."""
        return take_batches(self.keys, self.items, self.size, rng, n)


class _PerLanguageSource:
    """X-X-mono batches: one source per language with enough rows; each batch one language."""

    def __init__(self, pairs: PairKeys, size: int):
        keys = pairs.mono_keys()
        langs = pairs.data.languages
        by_lang = {lang: keys[pairs.langs == code] for code, lang in enumerate(langs)}
        small = [lang for lang, k in by_lang.items() if len(k) < size]
        if len(small) == len(langs):
            raise ValueError(f"no language has {size} items (the global batch size) for one-language "
                             f"batches: {pairs.data.items_per_language()}")
        if small:
            logger.warning("languages with fewer items than the batch size %d get no X-X-mono batch: %s",
                           size, " ".join(small))
        self.size = size
        self.sources = [_Source(k, pairs.items[k], size, f"{lang} monolingual set")
                        for lang, k in by_lang.items() if lang not in small]
        self.count = sum(s.count for s in self.sources)

    def take(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` batches, languages in proportion to their batch counts (exactly so when n == count)."""
        counts = np.array([s.count for s in self.sources])
        if n == self.count:
            order = rng.permutation(np.repeat(np.arange(len(counts)), counts))
        else:
            order = rng.choice(len(counts), size=n, p=counts / counts.sum())
        batches = np.empty((n, self.size), dtype=np.int64)
        for i, source in enumerate(self.sources):
            batches[order == i] = source.take(rng, int((order == i).sum()))
        return batches


class ParallelBatchSampler(DefaultBatchSampler):
    """Base of the strategy samplers; subclasses define ``_plan`` and ``_n_global``."""

    strategy = ""

    def __init__(self, dataset, batch_size: int, drop_last: bool = False, valid_label_columns=None,
                 generator=None, seed: int = 0, *, pairs: PairKeys, stats: BatchStats | None = None,
                 world_size: int | None = None):
        super().__init__(dataset, batch_size=batch_size, drop_last=drop_last,
                         valid_label_columns=valid_label_columns, generator=generator, seed=seed)
        if pairs.n_mono == 0:
            raise ValueError("the training data is empty: no (item, language) rows")
        if not pairs.owns(dataset):
            raise ValueError(
                f"{type(self).__name__} draws keys of the PairKeys it was given, so it can only batch the dataset "
                f"built from them: pass train_dataset=pairs.dataset() to the trainer, with the same PairKeys "
                f"in the sampler (functools.partial({type(self).__name__}, pairs=pairs)). To train on your own "
                "question-answer data, build it as ParallelQA (from_records / from_hf / from_jsonl / from_csv, "
                "columns item_id, lang, question, answer) and use pyterrier_hybrid.train() or that recipe; "
                f"got a dataset of {len(dataset)} rows with columns {getattr(dataset, 'column_names', '?')}")
        self.pairs = pairs
        self.stats = stats if stats is not None else BatchStats(pairs.data.languages)
        self.world_size = world_size or int(os.environ.get("WORLD_SIZE", "1"))
        self.global_size = batch_size * self.world_size

    def _xx_source(self, mono: bool = False) -> _Source | _PerLanguageSource:
        if mono:
            return _PerLanguageSource(self.pairs, self.global_size)
        return _Source(self.pairs.mono_keys(), self.pairs.items, self.global_size, "monolingual set")

    def _xy_source(self) -> _Source:
        if self.pairs.n_cross == 0:
            raise ValueError(f"strategy {self.strategy!r} needs cross-lingual pairs, but no item of the data "
                             f"exists in two languages (languages: {' '.join(self.pairs.data.languages)})")
        keys = self.pairs.cross_keys()
        return _Source(keys, self.pairs.item_of(keys), self.global_size, "cross-lingual set")

    def _plan(self, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
        """(kind of each global batch, global batches as rows) of one epoch."""
        raise NotImplementedError

    def _n_global(self) -> int:
        raise NotImplementedError

    def __len__(self) -> int:
        return self._n_global() * self.world_size

    def __iter__(self):
        self.pairs.seed, self.pairs.epoch = self.seed, self.epoch
        kinds, batches = self._plan(np.random.default_rng([self.seed, self.epoch]))
        keys = batches.reshape(-1, self.batch_size)
        kinds = [kind for kind in kinds for _ in range(self.world_size)]
        q_langs, a_langs = (codes.reshape(keys.shape) for codes in self.pairs.lang_pairs(keys.ravel()))
        self.stats.start_epoch(kinds, q_langs, a_langs)
        debug = logger.isEnabledFor(logging.DEBUG)
        for i, batch in enumerate(keys.tolist()):
            self.stats.count_batch()
            if debug:
                logger.debug("epoch %d batch %d: %s %s", self.epoch, i, kinds[i], self._langs(q_langs[i], a_langs[i]))
            yield batch

    def _langs(self, q_langs: np.ndarray, a_langs: np.ndarray) -> str:
        langs = self.pairs.data.languages
        return " ".join(f"{langs[q]}-{langs[a]}" for q, a in zip(q_langs, a_langs))


class _SingleTypeBatchSampler(ParallelBatchSampler):
    """Every batch of one type, drawn from one source; an epoch is the source's batch count."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = self._source()

    def _source(self) -> _Source | _PerLanguageSource:
        raise NotImplementedError

    def _n_global(self) -> int:
        return self.source.count

    def _plan(self, rng):
        return [self.strategy] * self.source.count, self.source.take(rng, self.source.count)


class XXBatchSampler(_SingleTypeBatchSampler):
    """X-X: every pair monolingual, its language drawn per pair (epoch: R // B batches)."""

    strategy = "xx"

    def _source(self) -> _Source:
        return self._xx_source()


class XXMonoBatchSampler(_SingleTypeBatchSampler):
    """X-X-mono: every batch in one language (epoch: sum over languages of R_x // B batches)."""

    strategy = "xx-mono"

    def _source(self) -> _PerLanguageSource:
        return self._xx_source(mono=True)


class XYBatchSampler(_SingleTypeBatchSampler):
    """X-Y: question and answer language differ, answer language drawn per epoch (C // B batches)."""

    strategy = "xy"

    def _source(self) -> _Source:
        return self._xy_source()


class HybridBatchSampler(ParallelBatchSampler):
    """Hybrid: each batch X-X or X-Y; proportional to the set sizes (``alpha=None``) or X-X w.p. ``alpha``.

    ``mono_xx=True`` makes the X-X batches one language each (as ``xx-mono``).
    """

    strategy = "hybrid"

    def __init__(self, *args, alpha: float | None = None, mono_xx: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if alpha is not None and not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1] (share of X-X batches), got {alpha}")
        self.alpha = alpha
        self.xx_kind = "xx-mono" if mono_xx else "xx"
        self.xx = self._xx_source(mono_xx) if alpha != 0.0 else None
        self.xy = self._xy_source() if alpha != 1.0 else None
        self.resolved_alpha = alpha if alpha is not None else self.xx.count / (self.xx.count + self.xy.count)
        logger.info("hybrid batches: resolved alpha (X-X share) = %.4f (%s)", self.resolved_alpha,
                    "given" if alpha is not None else
                    f"proportional: {self.xx.count} X-X + {self.xy.count} X-Y batches per epoch")

    def _n_global(self) -> int:
        if self.alpha is None:
            return self.xx.count + self.xy.count
        return (self.pairs.n_mono + self.pairs.n_cross) // self.global_size

    def _plan(self, rng):
        n = self._n_global()
        if self.alpha is None:
            is_xx = rng.permutation(np.arange(n) < self.xx.count)
        else:
            is_xx = rng.random(n) < self.alpha
        batches = np.empty((n, self.global_size), dtype=np.int64)
        if is_xx.any():
            batches[is_xx] = self.xx.take(rng, int(is_xx.sum()))
        if not is_xx.all():
            batches[~is_xx] = self.xy.take(rng, int((~is_xx).sum()))
        return [self.xx_kind if t else "xy" for t in is_xx.tolist()], batches


#: Strategy name -> sampler class, from the one table of strategies (``training.config.STRATEGIES``).
STRATEGIES: dict[str, type[ParallelBatchSampler]] = {name: globals()[cls] for name, (cls, _) in STRATEGY_TABLE.items()}
