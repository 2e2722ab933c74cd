"""Training pairs as integer keys over the rows of a ``ParallelQA``, resolved to texts lazily.

Memory stays linear in the data: no language combination is ever materialised.

* Key ``k < R`` (R = rows) is the monolingual pair of row ``k``: its question and its answer.
* Key ``R + c`` is the c-th row of the cross-lingual set (a row whose item has >= 2 languages):
  its question, and the answer of the same item in another language, drawn by a hash of
  (seed, epoch, c) so the draw changes each epoch and is reproducible without any stored state.

Batches keep *text groups* distinct (:attr:`PairKeys.groups`): items joined, transitively, when they
share a raw question or answer text in any language (XQuAD-R: two questions of one paragraph often
have one answer sentence). A batch of distinct groups never holds one text twice, so no item's positive
is another's in-batch negative.

The trainer gets a ``datasets.Dataset`` with one integer column of keys and a transform that
turns a batch of keys into the ``anchor`` / ``positive`` texts, so its collator sees text columns
only. The batch samplers share the ``PairKeys`` object and set its epoch (``set_epoch``) before
each epoch; the transform runs in the loading process, so ``dataloader_num_workers`` must be 0
or non-persistent workers (started after ``set_epoch``).
"""
from __future__ import annotations

import uuid

import numpy as np

from pyterrier_hybrid.training.parallel_qa import ParallelQA



def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser over uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def text_groups(data: ParallelQA) -> np.ndarray:
    """Per item code, a group code: items are in one group when they share (transitively) an exact question or
    answer text, in any language (connected components of the item-text graph)."""
    import pyarrow as pa
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    texts = pa.concat_arrays(data.table["question"].chunks + data.table["answer"].chunks)
    text_codes = texts.dictionary_encode().indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n_items, n_texts = data.n_items, int(text_codes.max()) + 1 if len(text_codes) else 0
    items = np.concatenate([data.item_codes, data.item_codes])
    graph = coo_matrix((np.ones(len(items), dtype=np.int8), (items, n_items + text_codes)),
                       shape=(n_items + n_texts, n_items + n_texts))
    _, labels = connected_components(graph, directed=False)
    return np.unique(labels[:n_items], return_inverse=True)[1].astype(np.int64)


class PairKeys:
    """Keys of the monolingual and cross-lingual sets of one ``ParallelQA`` and their resolution."""

    def __init__(self, data: ParallelQA, seed: int = 0):
        self.data = data
        self.seed = seed
        self.epoch = 0
        counts = data.languages_per_item()
        self.item_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.item_count = counts.astype(np.int64)
        self.items = data.item_codes
        self.langs = data.lang_codes
        self.cross_rows = np.flatnonzero(counts[data.item_codes] >= 2)
        self.groups = text_groups(data)
        self.negatives = None  # a HardNegatives, when the pairs are trained as triplets (set by its owner)
        self.token = f"pyterrier-hybrid pair keys {uuid.uuid4().hex}"

    @property
    def n_mono(self) -> int:
        """Size of the monolingual set (keys ``0 .. n_mono - 1``)."""
        return len(self.items)

    @property
    def n_cross(self) -> int:
        """Size of the cross-lingual set (keys ``n_mono ..``)."""
        return len(self.cross_rows)

    def mono_keys(self) -> np.ndarray:
        """All keys of the monolingual set."""
        return np.arange(self.n_mono, dtype=np.int64)

    def cross_keys(self) -> np.ndarray:
        """All keys of the cross-lingual set."""
        return np.arange(self.n_mono, self.n_mono + self.n_cross, dtype=np.int64)

    def question_rows(self, keys: np.ndarray) -> np.ndarray:
        """Question row of each key (independent of the epoch)."""
        q = np.array(keys, dtype=np.int64)
        cross = q >= self.n_mono
        q[cross] = self.cross_rows[q[cross] - self.n_mono]
        return q

    def rows(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(question row, answer row) of each key in the current epoch."""
        keys = np.asarray(keys, dtype=np.int64)
        q = self.question_rows(keys)
        a = q.copy()
        cross = keys >= self.n_mono
        c = (keys[cross] - self.n_mono).astype(np.uint64)
        start = self.item_start[self.items[q[cross]]]
        count = self.item_count[self.items[q[cross]]]
        salt = _mix(np.array([((self.seed << 20) ^ self.epoch) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))
        offset = (_mix(c ^ salt) % (count - 1).astype(np.uint64)).astype(np.int64)
        a[cross] = start + (q[cross] - start + 1 + offset) % count
        return q, a

    def item_of(self, keys: np.ndarray) -> np.ndarray:
        """Item code of each key (the same for both sides of a pair)."""
        return self.items[self.question_rows(keys)]

    def group_of(self, keys: np.ndarray) -> np.ndarray:
        """Text group of each key: keys of different groups share no text, whatever the epoch."""
        return self.groups[self.item_of(keys)]

    def lang_pairs(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(question language code, answer language code) of each key in the current epoch."""
        q, a = self.rows(keys)
        return self.langs[q], self.langs[a]

    def pair_texts(self, keys) -> dict[str, list[str]]:
        """``{"anchor": questions, "positive": answers}`` of the keys in the current epoch."""
        q, a = self.rows(np.asarray(keys))
        table = self.data.table
        return {"anchor": table["question"].take(q).to_pylist(), "positive": table["answer"].take(a).to_pylist()}

    def negative_columns(self) -> list[str]:
        """Names of the hard-negative columns the trainer gets (none without hard negatives)."""
        return [] if self.negatives is None else [f"negative_{j + 1}" for j in range(self.negatives.per_query)]

    def texts(self, keys: list[int]) -> dict[str, list[str]]:
        """The trainer's columns for the keys in the current epoch: ``anchor``, ``positive`` and, with hard
        negatives, ``negative_1`` ... (the negatives registered with the batch by its sampler)."""
        texts = self.pair_texts(keys)
        if self.negatives is not None:
            chosen = self.negatives.negative_texts(list(keys), self.epoch, self.seed)
            for j, column in enumerate(self.negative_columns()):
                texts[column] = [negatives[j] for negatives in chosen]
        return texts

    def dataset(self):
        """The ``datasets.Dataset`` the trainer indexes: one key per row, texts resolved on access. Its info
        carries :attr:`token`, by which the samplers recognise it (:meth:`owns`)."""
        import datasets
        info = datasets.DatasetInfo(description=self.token)
        keys = datasets.Dataset.from_dict({"key": np.arange(self.n_mono + self.n_cross, dtype=np.int64)}, info=info)
        return keys.with_transform(lambda batch: self.texts(batch["key"]))

    def owns(self, dataset) -> bool:
        """Whether ``dataset`` is (derived from) :meth:`dataset` of these keys: the samplers' keys index it."""
        info = getattr(dataset, "info", None)
        return getattr(info, "description", None) == self.token and len(dataset) == self.n_mono + self.n_cross
