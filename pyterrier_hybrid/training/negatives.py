"""Hard negatives for the paper's triplets: for each pair, ``per_query`` candidates in the positive's language that
are not relevant, chosen after the batch is fixed.

Kinds and their fallbacks (a source that has no usable candidate left passes to the next):

* ``paragraph``: other sentences of the answer's own paragraph (LAReQA's hardest distractors: a question is
  ranked against every sentence of its paragraph), then ``bm25``, then ``random``;
* ``bm25``: the candidates at BM25 ranks 1-30 for the item's question in the positive's language, against the
  training family's candidates in that language, then ``random``;
* ``model``: the candidates at ranks 1-30 for the item's question by the base model, mined per language with
  sentence-transformers' ``mine_hard_negatives`` once and cached, then ``random``;
* ``random``: any candidate of the positive's language.

A negative given by the data (an optional ``negative`` column) comes first in every kind. A candidate is usable
when its text is none of the item's relevant texts (its answers in every language) and no text already in the
global batch (questions, answers and negatives chosen so far): otherwise it would be a false negative. The choice
is drawn from (seed, epoch, key) within the fixed batch, so it is reproducible. Texts held out of training (the
validation items') are never negatives. Negatives are candidate rows
(:class:`~pyterrier_hybrid.training.candidates.Candidates`), not copied texts.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from pyterrier_hybrid.training.candidates import Candidates

logger = logging.getLogger(__name__)

#: Where a negative came from, in the order counted in ``batch_stats.json``.
SOURCES: tuple[str, ...] = ("given", "paragraph", "bm25", "model", "random")
#: The sources each kind draws from, in order.
CHAINS: dict[str, tuple[str, ...]] = {"paragraph": ("given", "paragraph", "bm25", "random"),
                                      "bm25": ("given", "bm25", "random"),
                                      "model": ("given", "model", "random")}
#: Ranks a ``bm25`` or ``model`` negative is drawn from (rank 1 is the best-scoring candidate that is not the answer).
DEPTH = 30


def _csr(lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, values) of a list of integer arrays."""
    sizes = np.array([len(x) for x in lists], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    return offsets, (np.concatenate(lists).astype(np.int64) if len(lists) and sizes.sum() else np.zeros(0, np.int64))


class HardNegatives:
    """Chooses each pair's negatives (rows of ``candidates``) for the keys of a ``PairKeys``."""

    def __init__(self, pairs, kind: str, per_query: int = 1, candidates: Candidates | None = None, *,
                 model=None, prompts: tuple[str, str] = ("", ""), excluded: frozenset[str] = frozenset(),
                 cache_dir: str | Path | None = None):
        """``model`` (a SentenceTransformer) and its (query, document) ``prompts`` mine the ``model`` kind,
        cached under ``cache_dir`` (default: the project cache); ``excluded`` texts, and the data's reserved ones
        (the answers of held-out items), are never negatives."""
        if kind not in CHAINS:
            raise ValueError(f"unknown hard-negative kind {kind!r}; valid: {', '.join(CHAINS)}")
        if per_query < 1:
            raise ValueError(f"negatives per query must be >= 1, got {per_query}")
        data = pairs.data
        self.pairs, self.kind, self.per_query = pairs, kind, per_query
        self.candidates = candidates if candidates is not None else Candidates.for_data(data)
        self.texts = self.candidates.table["text"].to_pylist()
        self.answer_rows = self.candidates.rows_of(data, "answer")
        self.lists: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if "negative" in data.table.column_names:
            given = self.candidates.rows_of(data, "negative")
            self.lists["given"] = _csr([given[i:i + 1][given[i:i + 1] >= 0] for i in range(len(data))])
        if "paragraph" in CHAINS[kind]:
            self.lists["paragraph"] = self._paragraph_lists()
        if "bm25" in CHAINS[kind]:
            self.lists["bm25"] = self._bm25_lists()
        if kind == "model":
            if model is None:
                raise ValueError("hard negatives of kind 'model' are mined with the base model: pass model=")
            self.lists["model"] = self._model_lists(model, prompts, cache_dir)
        answers = data.table["answer"].to_pylist()
        self.relevant = [frozenset(answers[s:s + n]) for s, n in zip(pairs.item_start, pairs.item_count)]
        self.excluded = excluded | data.reserved
        self.current: dict[int, list[int]] = {}

    def _paragraph_lists(self) -> tuple[np.ndarray, np.ndarray]:
        """Per data row, the other candidates of its answer's paragraph."""
        c = self.candidates
        rows_of = c.paragraph_rows()
        empty = np.zeros(0, np.int64)
        out = []
        for row in self.answer_rows:
            para = c.paragraphs[row] if row >= 0 else -1
            out.append(empty if para < 0 else rows_of[para][rows_of[para] != row])
        alone = sum(len(x) == 0 for x in out)
        logger.info("paragraph negatives: %d of %d answers are alone in their paragraph (or have none known); "
                    "they fall back to BM25", alone, len(out))
        return _csr(out)

    def _bm25_lists(self, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Per data row, the candidates of its language at BM25 ranks 1-30 for its question (the answer left out)."""
        import pandas as pd

        from pyterrier_hybrid.retrieval.bm25 import BM25Index
        data, c = self.pairs.data, self.candidates
        questions = data.table["question"].to_pylist()
        out: list[np.ndarray] = [np.zeros(0, np.int64)] * len(data)
        for code, lang in enumerate(data.languages):
            pool = c.in_language(code)
            rows = np.flatnonzero(data.lang_codes == code)
            if len(pool) == 0 or len(rows) == 0:
                continue
            index = BM25Index.build(pd.DataFrame({"docno": pool.astype(str), "text": c.texts(pool),
                                                  "lang": lang}), lang)
            for start in range(0, len(rows), chunk):
                part = rows[start:start + chunk]
                scores = index.scores([questions[r] for r in part], lang)
                depth = min(DEPTH + 1, len(pool))
                top = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
                for r, cand, s in zip(part, top, np.take_along_axis(scores, top, 1)):
                    ranked = pool[cand[np.argsort(-s, kind="stable")]]
                    out[r] = ranked[ranked != self.answer_rows[r]][:DEPTH]
        return _csr(out)

    def _model_lists(self, model, prompts: tuple[str, str], cache_dir: str | Path | None
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Per data row, the candidates of its language at the base model's ranks 1-30 for its question (its
        answers left out), mined by ``mine_hard_negatives`` one language at a time; cached by model and texts."""
        from datasets import Dataset
        from sentence_transformers.util import mine_hard_negatives

        from pyterrier_hybrid.core.keys import short_hash
        from pyterrier_hybrid.core.paths import default_cache_dir
        from pyterrier_hybrid.retrieval.fingerprint import module_fingerprint
        data, c = self.pairs.data, self.candidates
        questions, answers = data.table["question"].to_pylist(), data.table["answer"].to_pylist()
        key = short_hash({"model": module_fingerprint(model), "prompts": prompts, "depth": DEPTH,
                          "questions": short_hash(questions), "answers": short_hash(answers),
                          "candidates": short_hash(self.texts), "languages": c.table["lang"].to_pylist()})
        cache = Path(cache_dir if cache_dir is not None else default_cache_dir()) / "hard-negatives" / f"{key}.npz"
        if cache.exists():
            stored = np.load(cache)
            return stored["offsets"], stored["values"]
        out: list[np.ndarray] = [np.zeros(0, np.int64)] * len(data)
        for code, lang in enumerate(data.languages):
            pool = c.in_language(code)
            rows = np.flatnonzero(data.lang_codes == code)
            if len(pool) < 2 or len(rows) == 0:
                continue
            corpus = c.texts(pool)
            row_of = {text: row for row, text in zip(pool.tolist(), corpus)}
            mined = mine_hard_negatives(
                Dataset.from_dict({"anchor": [questions[r] for r in rows], "positive": [answers[r] for r in rows]}),
                model, corpus=corpus, range_max=min(DEPTH + 1, len(pool)), num_negatives=min(DEPTH, len(pool) - 1),
                query_prompt=prompts[0] or None, corpus_prompt=prompts[1] or None, output_format="labeled-list",
                batch_size=64, verbose=False)
            by_question = {q: np.array([row_of[t] for t in docs[1:]], dtype=np.int64)
                           for q, docs in zip(mined["anchor"], mined["positive"])}
            for r in rows:
                out[r] = by_question.get(questions[r], out[r])
        offsets, values = _csr(out)
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(f"{cache.stem}.{os.getpid()}.partial.npz")
        np.savez(partial, offsets=offsets, values=values)
        os.replace(partial, cache)  # atomic: a half-written cache is never read
        return offsets, values

    def _options(self, source: str, row: int, rng: np.random.Generator):
        """Candidate rows of ``source`` for data row ``row``, in a drawn order (asked for only when reached)."""
        if source == "random":
            pool = self.candidates.in_language(self.pairs.langs[row])
            return pool[rng.permutation(len(pool))]
        offsets, values = self.lists[source]
        options = values[offsets[row]:offsets[row + 1]]
        return options[rng.permutation(len(options))]

    def _pick(self, a_row: int, rng: np.random.Generator, taken: set[str]) -> list[tuple[int, str]]:
        """Up to ``per_query`` (candidate row, source) for the pair whose answer is data row ``a_row``, by the
        kind's chain of sources; a text in ``taken`` (added to as it goes), relevant or excluded is skipped."""
        relevant, picked = self.relevant[self.pairs.items[a_row]], []
        for source in (s for s in CHAINS[self.kind] if s == "random" or s in self.lists):
            for cand in self._options(source, a_row, rng).tolist():
                text = self.texts[cand]
                if text in relevant or text in taken or text in self.excluded:
                    continue
                picked.append((cand, source))
                taken.add(text)
                if len(picked) == self.per_query:
                    return picked
        return picked

    def _too_few(self, a_row: int, in_batch: bool = True) -> ValueError:
        lang = self.pairs.data.languages[self.pairs.langs[a_row]]
        taken = "already in the batch" if in_batch else "held out"
        return ValueError(f"no {self.per_query} usable hard negatives in {lang} for item "
                          f"{self.pairs.data.table['item_id'][a_row].as_py()!r}: its language has too few "
                          f"candidates that are neither relevant nor {taken}")

    def choose(self, keys: np.ndarray, epoch: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(negatives as an (len(keys), per_query) array of candidate rows, source counts as an (len(keys),
        len(SOURCES)) array) for one global batch of ``keys``; a pair without enough usable candidates is a
        ValueError naming it."""
        _, a_rows = self.pairs.rows(keys)
        texts = self.pairs.pair_texts(keys)
        taken = set(texts["anchor"]) | set(texts["positive"])
        negatives = np.full((len(keys), self.per_query), -1, dtype=np.int64)
        counts = np.zeros((len(keys), len(SOURCES)), dtype=np.int64)
        for i, (key, a_row) in enumerate(zip(keys.tolist(), a_rows.tolist())):
            picked = self._pick(a_row, np.random.default_rng([seed, epoch, key]), taken)
            if len(picked) < self.per_query:
                raise self._too_few(a_row)
            for n, (cand, source) in enumerate(picked):
                negatives[i, n] = cand
                counts[i, SOURCES.index(source)] += 1
        return negatives, counts

    def fixed(self, answer_rows: np.ndarray, seed: int) -> np.ndarray:
        """Negatives fixed once per pair, without a batch (the ``st-plain`` baseline's stored columns): for each
        answer row, ``per_query`` candidates by the same sources and rules, drawn from (seed, row), so pairs
        sharing an answer row share them. An (n, per_query) array of candidate rows."""
        out = np.full((len(answer_rows), self.per_query), -1, dtype=np.int64)
        chosen: dict[int, list[int]] = {}
        for i, a_row in enumerate(np.asarray(answer_rows).tolist()):
            if a_row not in chosen:
                picked = self._pick(a_row, np.random.default_rng([seed, a_row]), set())
                if len(picked) < self.per_query:
                    raise self._too_few(a_row, in_batch=False)
                chosen[a_row] = [cand for cand, _ in picked]
            out[i] = chosen[a_row]
        return out

    def register(self, keys: np.ndarray, negatives: np.ndarray) -> None:
        """The negatives of the global batch the sampler yields next (read by :meth:`texts`)."""
        self.current = dict(zip(keys.tolist(), negatives.tolist()))

    def negative_texts(self, keys: list[int], epoch: int, seed: int) -> list[list[str]]:
        """Per key, its negatives' texts: those registered with its batch, else chosen for the pair alone (a
        dataset read outside the samplers, such as the model card's examples, has no batch: read as one batch,
        a long read would ask more distinct negatives than a small language holds)."""
        rows = [self.current[k] if k in self.current else
                self.choose(np.asarray([k], dtype=np.int64), epoch, seed)[0][0].tolist() for k in keys]
        return [[self.texts[c] for c in chosen] for chosen in rows]
