"""Endless streams of full batches in which no item occurs twice, built with vectorised numpy.

One pass over the keys: shuffle them, give each key the rank of its item's occurrence so far
(first, second, ... row of that item in the shuffled order) and group the keys by that rank
into *layers*: every layer holds each item at most once, so consecutive chunks of a layer are
valid batches. The rows left over at the end of a layer (fewer than a batch) are carried into
the next layer, which tops them up with its first rows whose items the carry does not hold;
the rest of that layer is chunked as usual. A layer too small to complete the carry (only the
last layers of very unevenly parallel data) gives it all it can and its remaining rows are
skipped in this pass. The stream then runs
the next pass, so a caller can take any number of batches; one pass yields about
``len(keys) // batch_size`` batches.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def index_dtype(n: int) -> type:
    """The smallest of int32 / int64 that indexes ``n`` rows (halves the epoch plan's memory at any real scale)."""
    return np.int32 if n < 2**31 else np.int64


#: Items whose occurrence ranks :meth:`ItemIndex.ranks` sorts at a time.
RANK_CHUNK = 1 << 20
#: Up to this many occurrence layers, :func:`occurrence_layers` selects each layer's positions in one pass (half
#: the memory of a sort's int64 order); beyond it (an item in very many rows), one stable sort.
FEW_LAYERS = 32


def take_batches(keys: np.ndarray, items: np.ndarray, batch_size: int, rng: np.random.Generator,
                 n: int, index: ItemIndex | None = None) -> np.ndarray:
    """The first ``n`` batches of :func:`distinct_item_batches`, as an ``(n, batch_size)`` array (filled block by
    block: no second copy of the plan)."""
    out = np.empty((n, batch_size), dtype=keys.dtype)
    stream = distinct_item_batches(keys, items, batch_size, rng, index)
    filled = 0
    while filled < n:
        block = next(stream)[:n - filled]
        out[filled:filled + len(block)] = block
        filled += len(block)
    return out


def permutation(rng: np.random.Generator, n: int) -> np.ndarray:
    """``rng.permutation(n)`` (the same values and generator state), in int32 while ``n`` fits: half the memory."""
    out = np.arange(n, dtype=index_dtype(n))
    rng.shuffle(out)
    return out


class ItemIndex:
    """Where each item's positions are in an array of item codes, built once (a stable sort) and reused every
    epoch: per item size s > 1 (occurrences of one item), an ``(items of size s, s)`` matrix of positions. The
    occurrence ranks of a shuffled order then take one small sort per item instead of a sort of the whole array."""

    def __init__(self, items: np.ndarray):
        dtype = index_dtype(len(items))
        by_item = np.argsort(items, kind="stable").astype(dtype)  # argsort's int64 lives only this line
        sorted_items = items[by_item]
        starts = np.flatnonzero(np.concatenate([[True], sorted_items[1:] != sorted_items[:-1]]))
        del sorted_items
        sizes = np.diff(np.append(starts, len(items)))
        self.size = len(items)
        self.max_size = int(sizes.max()) if len(sizes) else 0
        self.buckets = [self._bucket(by_item, starts[sizes == s], int(s)) for s in np.unique(sizes) if s > 1]

    @staticmethod
    def _bucket(by_item: np.ndarray, starts: np.ndarray, size: int) -> np.ndarray:
        """The ``(len(starts), size)`` positions of the items starting at ``starts`` of ``by_item``: a view when
        every item has ``size`` positions (fully parallel data), else gathered a chunk at a time."""
        if len(starts) * size == len(by_item):
            return by_item.reshape(-1, size)
        out = np.empty((len(starts), size), dtype=by_item.dtype)
        for first in range(0, len(starts), RANK_CHUNK):
            out[first:first + RANK_CHUNK] = by_item[starts[first:first + RANK_CHUNK, None] + np.arange(size)]
        return out

    def ranks(self, perm: np.ndarray) -> np.ndarray:
        """Occurrence rank of each position of the shuffled order ``items[perm]``: 0 for an item's first position
        there, 1 for its second, ..."""
        rank_of = np.zeros(self.size, dtype=np.uint16 if self.max_size <= 2**16 else np.int64)
        if self.buckets:
            inverse = np.empty(self.size, dtype=perm.dtype)
            inverse[perm] = np.arange(self.size, dtype=perm.dtype)
            for bucket in self.buckets:
                for positions in np.array_split(bucket, max(1, len(bucket) // RANK_CHUNK)):  # bounded temporaries
                    in_order = np.take_along_axis(positions, np.argsort(inverse[positions], axis=1), axis=1)
                    rank_of[in_order] = np.arange(positions.shape[1], dtype=rank_of.dtype)
        return rank_of[perm]


def occurrence_layers(items: np.ndarray, perm: np.ndarray | None = None, index: ItemIndex | None = None
                      ) -> list[np.ndarray]:
    """Positions of ``items[perm]`` grouped by occurrence rank of their item (order within a layer kept);
    ``index``: the :class:`ItemIndex` of ``items``, to reuse across calls."""
    perm = np.arange(len(items)) if perm is None else perm
    if len(perm) == 0:
        return []
    rank = (index or ItemIndex(items)).ranks(perm)
    counts = np.bincount(rank)
    if len(counts) <= FEW_LAYERS:  # one pass per layer, positions kept in the index dtype (not argsort's int64)
        return [np.flatnonzero(rank == r).astype(perm.dtype) for r in np.flatnonzero(counts)]
    order = np.argsort(rank, kind="stable")  # a radix sort for 16-bit ranks
    return np.split(order, np.cumsum(counts)[:-1])


def distinct_item_batches(keys: np.ndarray, items: np.ndarray, batch_size: int,
                          rng: np.random.Generator, index: ItemIndex | None = None) -> Iterator[np.ndarray]:
    """Endless blocks (2-D arrays, one batch a row) of full batches of ``keys``, no item twice in a batch.

    Needs at least ``batch_size`` distinct items, else no batch could ever be completed.
    """
    index = index or ItemIndex(items)
    carry = keys[:0]
    carry_items = items[:0]
    while True:
        perm = permutation(rng, len(keys))
        if index.max_size <= 1:  # every item once (e.g. one language's rows): one layer, the shuffled order itself
            layers: list = [slice(None)]
            n_distinct = len(perm)
        else:
            layers = occurrence_layers(items, perm, index)
            n_distinct = len(layers[0]) if layers else 0  # the first layer holds each distinct item once
        if n_distinct < batch_size:
            raise ValueError(f"{n_distinct} distinct items cannot fill a batch of {batch_size}")
        for layer in layers:
            rows = perm[layer]  # the layer's rows of keys / items, in shuffled order
            if len(carry):
                # a layer holds each carried item at most once, so its first batch_size rows hold enough others
                head = rows[:batch_size]
                free = np.flatnonzero(~np.isin(items[head], carry_items))[:batch_size - len(carry)]
                carry = np.concatenate([carry, keys[head[free]]])
                carry_items = np.concatenate([carry_items, items[head[free]]])
                rows = np.delete(rows, free)
                if len(carry) < batch_size:
                    continue
                yield carry[None, :]
                carry, carry_items = keys[:0], items[:0]
            n_full = len(rows) // batch_size * batch_size
            yield keys[rows[:n_full]].reshape(-1, batch_size)
            carry, carry_items = keys[rows[n_full:]], items[rows[n_full:]]
