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

import os
import shutil
import tempfile
import uuid
import weakref

import numpy as np

from pyterrier_hybrid.training.batching import index_dtype
from pyterrier_hybrid.training.parallel_qa import ParallelQA

#: Keys written per Arrow record batch by :meth:`PairKeys.dataset`.
KEY_CHUNK = 1 << 22
#: Texts per bucket (about) that :func:`text_groups` sorts at a time.
BUCKET_TEXTS = 1 << 23


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser over uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _text_hashes(column, out: np.ndarray, chunk: int = 1 << 20) -> None:
    """A 64-bit hash of every text of an Arrow column into ``out``, computed a chunk at a time (pandas'
    ``hash_array``), so only one chunk of texts is ever held as Python strings."""
    import pandas as pd
    for start in range(0, len(column), chunk):
        texts = column.slice(start, chunk).to_numpy(zero_copy_only=False)
        out[start:start + len(texts)] = pd.util.hash_array(texts, categorize=False)


def _top_bits(hashes: np.ndarray, bits: int, chunk: int = 1 << 22) -> np.ndarray:
    """The top ``bits`` (<= 16) of each hash as uint16, a chunk at a time: 2 bytes a text, not 8."""
    out = np.zeros(len(hashes), dtype=np.uint16)
    if bits:
        for start in range(0, len(hashes), chunk):
            out[start:start + chunk] = hashes[start:start + chunk] >> np.uint64(64 - bits)
    return out


def text_groups(data: ParallelQA) -> np.ndarray:
    """Per item code, a group code: items are in one group when they share (transitively) an exact question or
    answer text, in any language (connected components of the items joined by a shared text).

    Texts are compared by 64-bit hash, sorted in buckets of the hash's top bits (about :data:`BUCKET_TEXTS` texts
    each), so memory stays about 10 bytes per text at any scale (its hash and bucket). A hash collision can only
    join two groups (fewer ways to fill a batch), never let one text into a batch twice: equal texts always hash
    equal."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    rows, n_items = len(data), data.n_items
    hashes = np.empty(2 * rows, dtype=np.uint64)  # questions, then answers: filled in place, never concatenated
    _text_hashes(data.table["question"], hashes[:rows])
    _text_hashes(data.table["answer"], hashes[rows:])
    bits = min(16, max(0, int(np.ceil(np.log2(max(1, len(hashes)) / BUCKET_TEXTS)))))
    top = _top_bits(hashes, bits)
    sources, targets = [], []
    for bucket in range(1 << bits):
        positions = np.flatnonzero(top == bucket)
        positions = positions[np.argsort(hashes[positions])]
        same = hashes[positions[1:]] == hashes[positions[:-1]]
        a = data.item_codes[positions[:-1][same] % rows]
        b = data.item_codes[positions[1:][same] % rows]
        sources.append(a[a != b])
        targets.append(b[a != b])
    del hashes, top
    a, b = np.concatenate(sources), np.concatenate(targets)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n_items, n_items))
    _, labels = connected_components(graph, directed=False)  # dense codes already
    return labels.astype(index_dtype(n_items))


#: Live PairKeys by token, so that their datasets' transform pickles as a reference (:class:`_KeyTexts`).
_LIVE: weakref.WeakValueDictionary[str, PairKeys] = weakref.WeakValueDictionary()


class _KeyTexts:
    """The key dataset's transform (keys -> texts of its PairKeys). It pickles as its PairKeys' token alone
    (:meth:`PairKeys.__reduce__`), so ``datasets`` fingerprints it without serialising the data (which took
    minutes and gigabytes at scale)."""

    def __init__(self, pairs: PairKeys):
        self.pairs = pairs

    def __call__(self, batch: dict) -> dict[str, list[str]]:
        return self.pairs.texts(batch["key"])


def _live_pair_keys(token: str) -> PairKeys:
    pairs = _LIVE.get(token)
    if pairs is None:
        raise RuntimeError("a PairKeys (or its dataset) was unpickled in a process that does not hold it: "
                           "train with dataloader_num_workers=0, or workers started by fork")
    return pairs


class PairKeys:
    """Keys of the monolingual and cross-lingual sets of one ``ParallelQA`` and their resolution."""

    def __init__(self, data: ParallelQA, seed: int = 0):
        self.data = data
        self.seed = seed
        self.epoch = 0
        counts = data.languages_per_item()
        self.item_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(index_dtype(len(data)))
        self.item_count = counts.astype(np.int32)
        self.items = data.item_codes
        self.langs = data.lang_codes
        cross = counts[data.item_codes] >= 2
        self.n_cross = int(cross.sum())
        # the cross-lingual set's rows; None when that is every row (fully parallel data: no copy of the rows)
        self.cross_rows = None if self.n_cross == len(data) else np.flatnonzero(cross).astype(index_dtype(len(data)))
        self.groups = text_groups(data)
        self.negatives = None  # a HardNegatives, when the pairs are trained as triplets (set by its owner)
        self.token = f"pyterrier-hybrid pair keys {uuid.uuid4().hex}"
        _LIVE[self.token] = self

    def __reduce__(self):
        """Pickled as its token, a reference to the live object: the trainer saves its arguments with every
        checkpoint (``torch.save(args)``), and those hold the batch sampler's PairKeys, which would otherwise
        write the whole training data (gigabytes at scale) into each checkpoint."""
        return _live_pair_keys, (self.token,)

    @property
    def n_mono(self) -> int:
        """Size of the monolingual set (keys ``0 .. n_mono - 1``; the cross-lingual set's ``n_cross`` follow)."""
        return len(self.items)

    @property
    def n_keys(self) -> int:
        """Keys of both sets."""
        return self.n_mono + self.n_cross

    def mono_keys(self) -> np.ndarray:
        """All keys of the monolingual set."""
        return np.arange(self.n_mono, dtype=index_dtype(self.n_keys))

    def cross_keys(self) -> np.ndarray:
        """All keys of the cross-lingual set."""
        return np.arange(self.n_mono, self.n_keys, dtype=index_dtype(self.n_keys))

    def question_rows(self, keys: np.ndarray) -> np.ndarray:
        """Question row of each key (independent of the epoch)."""
        q = np.array(keys, dtype=np.int64)
        cross = q >= self.n_mono
        q[cross] -= self.n_mono
        if self.cross_rows is not None:
            q[cross] = self.cross_rows[q[cross]]
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
        return {"anchor": self.data.texts("question", q), "positive": self.data.texts("answer", a)}

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
        carries :attr:`token`, by which the samplers recognise it (:meth:`owns`). The keys are written to a
        temporary Arrow file and memory-mapped (removed with this object), so memory does not grow with them."""
        import datasets
        import pyarrow as pa
        import pyarrow.ipc as ipc
        folder = tempfile.mkdtemp(prefix="pyterrier-hybrid-keys-")
        weakref.finalize(self, shutil.rmtree, folder, True)
        path = os.path.join(folder, "keys.arrow")
        schema = pa.schema([("key", pa.int64())])
        with pa.OSFile(path, "wb") as sink, ipc.new_stream(sink, schema) as writer:
            for start in range(0, max(self.n_keys, 1), KEY_CHUNK):
                keys = np.arange(start, min(start + KEY_CHUNK, self.n_keys), dtype=np.int64)
                writer.write_batch(pa.record_batch([keys], schema=schema))
        keys = datasets.Dataset.from_file(path, info=datasets.DatasetInfo(description=self.token))
        return keys.with_transform(_KeyTexts(self))

    def owns(self, dataset) -> bool:
        """Whether ``dataset`` is (derived from) :meth:`dataset` of these keys: the samplers' keys index it."""
        info = getattr(dataset, "info", None)
        return getattr(info, "description", None) == self.token and len(dataset) == self.n_keys
