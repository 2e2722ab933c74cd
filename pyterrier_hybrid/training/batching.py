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


def take_batches(keys: np.ndarray, items: np.ndarray, batch_size: int, rng: np.random.Generator,
                 n: int) -> np.ndarray:
    """The first ``n`` batches of :func:`distinct_item_batches`, as an ``(n, batch_size)`` array."""
    blocks, total = [], 0
    stream = distinct_item_batches(keys, items, batch_size, rng)
    while total < n:
        blocks.append(next(stream))
        total += len(blocks[-1])
    return np.concatenate(blocks)[:n] if blocks else np.zeros((0, batch_size), dtype=keys.dtype)


def occurrence_layers(items: np.ndarray) -> list[np.ndarray]:
    """Positions grouped by occurrence rank of their item (order within a layer kept)."""
    if len(items) == 0:
        return []
    by_item = np.argsort(items.astype(np.int32) if len(items) < 2**31 else items, kind="stable")
    sorted_items = items[by_item]
    starts = np.flatnonzero(np.concatenate([[True], sorted_items[1:] != sorted_items[:-1]]))
    group_start = np.repeat(starts, np.diff(np.append(starts, len(items))))
    rank = np.empty(len(items), dtype=np.int64)
    rank[by_item] = np.arange(len(items)) - group_start
    order = np.argsort(rank.astype(np.uint16 if rank.max() < 2**16 else np.int64), kind="stable")  # radix sort
    bounds = np.flatnonzero(np.diff(rank[order])) + 1
    return np.split(order, bounds)


def distinct_item_batches(keys: np.ndarray, items: np.ndarray, batch_size: int,
                          rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Endless blocks (2-D arrays, one batch a row) of full batches of ``keys``, no item twice in a batch.

    Needs at least ``batch_size`` distinct items, else no batch could ever be completed.
    """
    carry = keys[:0]
    carry_items = items[:0]
    while True:
        perm = rng.permutation(len(keys))
        layers = occurrence_layers(items[perm])
        n_distinct = len(layers[0]) if layers else 0  # the first layer holds each distinct item once
        if n_distinct < batch_size:
            raise ValueError(f"{n_distinct} distinct items cannot fill a batch of {batch_size}")
        for layer in layers:
            layer_keys, layer_items = keys[perm[layer]], items[perm[layer]]
            if len(carry):
                free = np.flatnonzero(~np.isin(layer_items, carry_items))[:batch_size - len(carry)]
                carry = np.concatenate([carry, layer_keys[free]])
                carry_items = np.concatenate([carry_items, layer_items[free]])
                layer_keys, layer_items = np.delete(layer_keys, free), np.delete(layer_items, free)
                if len(carry) < batch_size:
                    continue
                yield carry[None, :]
                carry, carry_items = keys[:0], items[:0]
            n_full = len(layer_keys) // batch_size * batch_size
            yield layer_keys[:n_full].reshape(-1, batch_size)
            carry, carry_items = layer_keys[n_full:], layer_items[n_full:]
