"""Batch samplers for the trainer's ``batch_sampler`` hook: X-X, X-X (mixed), X-Y, hybrid and the ``random``
baseline (docs/method.md; ``st-plain`` uses sentence-transformers' own sampler, ``training.plain``).

Every sampler yields keys of :class:`~pyterrier_hybrid.training.pairs.PairKeys` in full batches
(``drop_last`` is ignored: a short final batch would weaken the in-batch negatives), and no batch holds
one raw text twice in any column: its pairs come from distinct *text groups* (QA items joined when they
share a question or answer text, ``PairKeys.groups``), so no item's positive is another's in-batch
negative. An epoch is a plan drawn from ``(seed, epoch)`` alone, so it is reproducible, differs across
epochs, and a resumed run that skips the batches already done gets exactly the remaining ones. Epoch
lengths, in batches of size B (R / C = rows of the monolingual / cross-lingual set, R_x = rows of
language x, over the languages with at least B groups):

* ``xx``: every batch one language; R // B batches, each batch's language drawn uniformly among the
  languages (``xx_languages="proportional"``: sum over x of R_x // B, each language exactly that often);
  a language that runs out starts a new shuffled pass of its rows;
* ``xx-mixed`` (LAReQA's X-X): R // B, each pair monolingual, languages mixed inside a batch;
* ``xy``: C // B, question language != answer language (drawn per epoch);
* ``hybrid``: X-X batches (one language each; ``xx_kind="mixed"``: mixed) and X-Y batches, X-X share
  ``alpha``: (R + C) // B batches; ``alpha="proportional"``: R // B X-X and C // B X-Y batches. The order
  is a seeded walk that keeps every prefix of m batches within one batch of ``alpha * m`` X-X batches, so
  even a short run holds the asked share;
* ``random``: hybrid's pairs of the epoch, mixed across its batches (batch types ignored), same length.

Distributed (W ranks): the accelerate sharder deals batch i to rank i % W, so the sampler builds
global batches of W * B distinct groups, of one type (and one language for X-X), and yields them as
W consecutive batches: in-batch negatives gathered across ranks never repeat a text, and lengths above
use W * B for B (then count W batches per global batch).
"""
from __future__ import annotations

import logging
import os
from collections import Counter

import numpy as np
from sentence_transformers.base.sampler import DefaultBatchSampler

from pyterrier_hybrid.training.batching import ItemIndex, index_dtype, take_batches
from pyterrier_hybrid.training.config import PROPORTIONAL
from pyterrier_hybrid.training.config import STRATEGIES as STRATEGY_TABLE
from pyterrier_hybrid.training.pairs import PairKeys

logger = logging.getLogger(__name__)

#: Global batches whose languages and negatives are resolved at a time while an epoch is iterated.
PLAN_BLOCK = 4096
#: Batch types :func:`share_walk` decides per chunk of its draws.
WALK_CHUNK = 1 << 16


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
        self.negatives: Counter[str] = Counter()
        self._kinds = np.zeros(0, dtype=np.uint8)  # the plan's batch types, as codes into self._names
        self._names: tuple[str, ...] = ()
        self._folded = 0  # batches of the current plan folded in (or skipped) so far
        self._codes: list[np.ndarray] = []  # blocks of language-pair codes, one row per batch, not yet folded
        self._sources: list[np.ndarray] = []  # with hard negatives: blocks of counts per source, one row per batch
        self._yielded = 0
        self._consumed: int | None = None  # batches trained on, once a trainer reports them
        self._start = 0  # position in the plan of the first batch to count
        self._skip = 0   # batches of the next plan trained before a resume

    def start_epoch(self, kinds: np.ndarray, names: tuple[str, ...]) -> None:
        """Register a plan: the type of each batch, as codes into ``names`` (one byte a batch, not a Python
        string: plans run to millions of batches); its languages follow block by block (:meth:`add_block`)."""
        self._fold()
        self._kinds, self._names, self._folded, self._codes, self._sources = kinds, names, 0, [], []
        self._start, self._skip = self._skip, 0

    def add_block(self, q_langs: np.ndarray, a_langs: np.ndarray, sources: np.ndarray | None = None) -> None:
        """The next batches of the plan: one row of language codes per batch and, with hard negatives, one row of
        counts per source (``negatives.SOURCES``). Counted batches are folded in as blocks come, so memory stays
        bounded over an epoch of any length."""
        size = len(self.languages)
        self._codes.append((q_langs.astype(np.int64) * size + a_langs).astype(np.int32))
        if sources is not None:
            self._sources.append(sources)
        self._fold()

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
        """Count the batches trained on (or yielded, without a trainer) since the last fold, after the skipped
        ones, and drop what has been yielded."""
        size = len(self.languages)
        lo = self._start
        hi = lo + (max(0, self._yielded - lo) if self._consumed is None else self._consumed)
        done = min(hi, self._yielded)
        kinds = np.bincount(self._kinds[self._folded + lo:self._folded + hi], minlength=len(self._names))
        self.types.update({name: int(n) for name, n in zip(self._names, kinds) if n})
        codes = np.concatenate(self._codes) if self._codes else np.zeros((0, 0), dtype=np.int32)
        self.pairs += np.bincount(codes[lo:hi].ravel(), minlength=size * size).reshape(size, size)
        self._codes = [codes[done:]] if len(codes) > done else []
        if self._sources:
            from pyterrier_hybrid.training.negatives import SOURCES
            sources = np.concatenate(self._sources)
            self.negatives.update(dict(zip(SOURCES, sources[lo:hi].sum(0).tolist())))
            self._sources = [sources[done:]] if len(sources) > done else []
        self._folded += done
        self._yielded -= done
        self._start = lo - min(lo, done)
        self._consumed = None if self._consumed is None else 0

    def xx_share(self) -> float:
        """Share of X-X (``xx`` or ``xx-mixed``) batches among all counted batches."""
        self._fold()
        total = sum(self.types.values())
        return (self.types["xx"] + self.types["xx-mixed"]) / total if total else float("nan")

    def to_dict(self) -> dict:
        """JSON-ready counts: ``batch_types``, ``language_pairs`` (``"de-en": n``), ``xx_share`` and, with hard
        negatives, ``negative_sources`` (how many negatives each source gave: the fallbacks counted)."""
        share = self.xx_share()
        q, a = np.nonzero(self.pairs)
        out = {"batch_types": dict(self.types), "xx_share": share,
               "language_pairs": {f"{self.languages[i]}-{self.languages[j]}": int(self.pairs[i, j])
                                  for i, j in zip(q, a)}}
        if self.negatives:
            out["negative_sources"] = {source: n for source, n in self.negatives.items() if n}
        return out


def _distinct(codes: np.ndarray) -> int:
    """Number of distinct values among non-negative integer codes (linear time, no sort)."""
    return int(np.count_nonzero(np.bincount(codes))) if len(codes) else 0


class _Source:
    """Batches of keys from distinct text groups, from one set of keys; ``count`` of them make one epoch."""

    def __init__(self, keys: np.ndarray, groups: np.ndarray, size: int, name: str):
        n_groups = _distinct(groups)
        if n_groups < size:
            raise ValueError(f"the {name} has {n_groups} usable items (QA items sharing no question or answer "
                             f"text), fewer than the global batch size {size}: no batch can hold {size} pairs "
                             "without repeating a text")
        self.keys, self.groups, self.size, self.count = keys, groups, size, len(keys) // size
        self.index = ItemIndex(groups)  # built once: every epoch's plan reuses it

    def take(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` batches as rows (more than ``count`` continue into a further pass)."""
        return take_batches(self.keys, self.groups, self.size, rng, n, self.index)


class _OneLanguageSource:
    """One-language X-X batches: one source per language that fills a batch; the language drawn per batch
    uniformly (``uniform``) or in proportion to the language's rows (``proportional``)."""

    def __init__(self, pairs: PairKeys, size: int, languages: str):
        keys = pairs.mono_keys()
        by_lang = {lang: keys[pairs.langs == code] for code, lang in enumerate(pairs.data.languages)}
        full = {lang: k for lang, k in by_lang.items() if _distinct(pairs.group_of(k)) >= size}
        if not full:
            raise ValueError(f"no language has {size} items (the global batch size) sharing no text, so no "
                             f"one-language batch can be filled: {pairs.data.items_per_language()}")
        if len(full) < len(by_lang):
            logger.warning("languages with fewer usable items than the batch size %d get no X-X batch: %s",
                           size, " ".join(lang for lang in by_lang if lang not in full))
        self.size, self.languages, self.draw = size, tuple(full), languages
        self.sources = [_Source(k, pairs.group_of(k), size, f"{lang} monolingual set") for lang, k in full.items()]
        self.rows = np.array([len(s.keys) for s in self.sources])
        self.count = (int(self.rows.sum()) // size if languages == "uniform"
                      else sum(s.count for s in self.sources))

    def take(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` batches, each of one language drawn as ``languages`` says (proportional and n == count: each
        language exactly its R_x // B batches)."""
        k = len(self.sources)
        if self.draw == "uniform":
            order = rng.integers(k, size=n)
        elif n == self.count:
            order = rng.permutation(np.repeat(np.arange(k), [s.count for s in self.sources]))
        else:
            order = rng.choice(k, size=n, p=self.rows / self.rows.sum())
        batches = np.empty((n, self.size), dtype=self.sources[0].keys.dtype)
        for i, source in enumerate(self.sources):
            batches[order == i] = source.take(rng, int((order == i).sum()))
        return batches


def share_walk(rng: np.random.Generator, n: int, alpha: float) -> np.ndarray:
    """``n`` batch types (True: X-X), each X-X with probability ``alpha`` unless that would take the count of
    the first m away from ``alpha * m`` by a whole batch or more: every prefix holds round(alpha * m) +- 1."""
    is_xx = np.zeros(n, dtype=bool)
    draws = rng.random(n)
    count, eps, i = 0, 1e-9, 0
    for start in range(0, n, WALK_CHUNK):  # Python floats a chunk at a time: fast, and bounded memory
        taken = []
        for u in draws[start:start + WALK_CHUNK].tolist():
            i += 1
            target = alpha * i
            # X-X when behind by a whole batch; else the draw, unless X-X would put it ahead by a whole batch
            take = (count - target <= -1 + eps) or (count + 1 - target < 1 - eps and u < alpha)
            taken.append(take)
            count += take
        is_xx[start:start + len(taken)] = taken
    return is_xx


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

    def _xx_source(self, kind: str, languages: str | None) -> _Source | _OneLanguageSource:
        """X-X batches of ``kind`` (``one-language``, languages drawn as ``languages`` says, or ``mixed``)."""
        if kind == "one-language":
            return _OneLanguageSource(self.pairs, self.global_size, languages or "uniform")
        keys = self.pairs.mono_keys()
        return _Source(keys, self.pairs.group_of(keys), self.global_size, "monolingual set")

    def _xy_source(self) -> _Source:
        if self.pairs.n_cross == 0:
            raise ValueError(f"strategy {self.strategy!r} needs cross-lingual pairs, but no item of the data "
                             f"exists in two languages (languages: {' '.join(self.pairs.data.languages)})")
        keys = self.pairs.cross_keys()
        return _Source(keys, self.pairs.group_of(keys), self.global_size, "cross-lingual set")

    def _plan(self, rng: np.random.Generator) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
        """(type code of each global batch, the types' names, global batches as rows) of one epoch."""
        raise NotImplementedError

    def _n_global(self) -> int:
        raise NotImplementedError

    def __len__(self) -> int:
        return self._n_global() * self.world_size

    def __iter__(self):
        self.pairs.seed, self.pairs.epoch = self.seed, self.epoch
        kinds, names, batches = self._plan(np.random.default_rng([self.seed, self.epoch]))
        kinds = np.repeat(kinds, self.world_size)
        self.stats.start_epoch(kinds, names)
        negatives = self.pairs.negatives
        debug = logger.isEnabledFor(logging.DEBUG)
        for first in range(0, len(batches), PLAN_BLOCK):  # languages and negatives a block at a time: bounded memory
            block = batches[first:first + PLAN_BLOCK]
            keys = block.reshape(-1, self.batch_size)
            q_langs, a_langs = (codes.reshape(keys.shape) for codes in self.pairs.lang_pairs(keys.ravel()))
            chosen = [negatives.choose(batch, self.epoch, self.seed) for batch in block] if negatives else []
            sources = (np.stack([c.reshape(self.world_size, self.batch_size, -1).sum(1) for _, c in chosen])
                       .reshape(len(keys), -1) if chosen else None)
            self.stats.add_block(q_langs, a_langs, sources)
            for i, batch in enumerate(keys.tolist()):
                if negatives and i % self.world_size == 0:  # the global batch's negatives, for the texts it is read as
                    negatives.register(block[i // self.world_size], chosen[i // self.world_size][0])
                self.stats.count_batch()
                if debug:
                    position = first * self.world_size + i
                    logger.debug("epoch %d batch %d: %s %s", self.epoch, position, names[kinds[position]],
                                 self._langs(q_langs[i], a_langs[i]))
                yield batch

    def _langs(self, q_langs: np.ndarray, a_langs: np.ndarray) -> str:
        langs = self.pairs.data.languages
        return " ".join(f"{langs[q]}-{langs[a]}" for q, a in zip(q_langs, a_langs))


class _SingleTypeBatchSampler(ParallelBatchSampler):
    """Every batch of one type, drawn from one source; an epoch is the source's batch count."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = self._source()

    def _source(self) -> _Source | _OneLanguageSource:
        raise NotImplementedError

    def _n_global(self) -> int:
        return self.source.count

    def _plan(self, rng):
        return np.zeros(self.source.count, dtype=np.uint8), (self.strategy,), self.source.take(rng, self.source.count)


class XXBatchSampler(_SingleTypeBatchSampler):
    """X-X (the paper's): every batch in one language, drawn per batch ``uniform``-ly among the languages that
    fill a batch, or ``proportional`` to their rows."""

    strategy = "xx"

    def __init__(self, *args, xx_languages: str = "uniform", **kwargs):
        self.xx_languages = xx_languages
        super().__init__(*args, **kwargs)

    def _source(self) -> _OneLanguageSource:
        return self._xx_source("one-language", self.xx_languages)


class XXMixedBatchSampler(_SingleTypeBatchSampler):
    """X-X (mixed), LAReQA's: every pair monolingual, its language drawn per pair (epoch: R // B batches)."""

    strategy = "xx-mixed"

    def _source(self) -> _Source:
        return self._xx_source("mixed", None)


class XYBatchSampler(_SingleTypeBatchSampler):
    """X-Y: question and answer language differ, answer language drawn per epoch (C // B batches)."""

    strategy = "xy"

    def _source(self) -> _Source:
        return self._xy_source()


class HybridBatchSampler(ParallelBatchSampler):
    """Hybrid: X-X batches (one language each, or ``xx_kind="mixed"``) and X-Y batches, the X-X share ``alpha``
    (default 0.5, the paper's) or ``"proportional"`` to the two sets' sizes, ordered by :func:`share_walk`."""

    strategy = "hybrid"

    def __init__(self, *args, alpha: float | str = 0.5, xx_kind: str = "one-language",
                 xx_languages: str | None = "uniform", **kwargs):
        super().__init__(*args, **kwargs)
        if alpha != PROPORTIONAL and not (isinstance(alpha, (int, float)) and 0.0 <= alpha <= 1.0):
            raise ValueError(f"alpha must lie in [0, 1] (share of X-X batches) or be {PROPORTIONAL!r}, got {alpha!r}")
        self.alpha = alpha
        self.xx_kind = "xx" if xx_kind == "one-language" else "xx-mixed"
        self.xx = self._xx_source(xx_kind, xx_languages) if alpha != 0.0 else None
        self.xy = self._xy_source() if alpha != 1.0 else None
        self.resolved_alpha = (float(alpha) if alpha != PROPORTIONAL
                               else self.xx.count / (self.xx.count + self.xy.count))
        logger.info("hybrid batches: X-X share alpha = %.4f (%s)", self.resolved_alpha,
                    "given" if alpha != PROPORTIONAL else
                    f"proportional: {self.xx.count} X-X + {self.xy.count} X-Y batches per epoch")

    def _n_global(self) -> int:
        if self.alpha == PROPORTIONAL:
            return self.xx.count + self.xy.count
        return (self.pairs.n_mono + self.pairs.n_cross) // self.global_size

    def _plan(self, rng):
        n = self._n_global()
        is_xx = share_walk(rng, n, self.resolved_alpha)
        batches = np.empty((n, self.global_size), dtype=index_dtype(self.pairs.n_keys))
        if is_xx.any():
            batches[is_xx] = self.xx.take(rng, int(is_xx.sum()))
        if not is_xx.all():
            batches[~is_xx] = self.xy.take(rng, int((~is_xx).sum()))
        return (~is_xx).view(np.uint8), (self.xx_kind, "xy"), batches


def mix_batches(batches: np.ndarray, groups: np.ndarray, rng: np.random.Generator, rounds: int = 8) -> np.ndarray:
    """The same keys (``batches``, one batch a row, ``groups`` their text groups) shuffled across batches: random
    swaps of two keys in different batches, each kept only when neither batch then holds a group twice. The
    multiset of keys and the batch count are exactly kept; ``rounds`` swaps per key mix them thoroughly."""
    out, groups = batches.copy(), groups.reshape(batches.shape).copy()
    n, size = out.shape
    members = [set(row) for row in groups.tolist()]
    for i, j in rng.integers(n * size, size=(rounds * n * size, 2)).tolist():
        (bi, pi), (bj, pj) = divmod(i, size), divmod(j, size)
        gi, gj = groups[bi, pi], groups[bj, pj]
        if bi == bj or gi == gj or gj in members[bi] or gi in members[bj]:
            continue
        members[bi].remove(gi), members[bi].add(gj), members[bj].remove(gj), members[bj].add(gi)
        out[bi, pi], out[bj, pj] = out[bj, pj], out[bi, pi]
        groups[bi, pi], groups[bj, pj] = gj, gi
    return out


class RandomBatchSampler(HybridBatchSampler):
    """Hybrid's pairs without its batch types (a baseline): each epoch draws exactly hybrid's X-X and X-Y pairs,
    then mixes them across batches (:func:`mix_batches`), so X-X and X-Y pairs share batches; still no text
    twice in a batch."""

    strategy = "random"

    def _plan(self, rng):
        _, _, batches = super()._plan(rng)
        mixed = mix_batches(batches, self.pairs.group_of(batches.ravel()), rng)
        return np.zeros(len(mixed), dtype=np.uint8), (self.strategy,), mixed


#: Strategy name -> sampler class, from the one table of strategies (``training.config.STRATEGIES``).
#: ``st-plain`` has none of ours (it uses sentence-transformers' own sampler, see ``training.plain``).
STRATEGIES: dict[str, type[ParallelBatchSampler]] = {name: globals()[cls] for name, (cls, _) in STRATEGY_TABLE.items()
                                                     if cls}
