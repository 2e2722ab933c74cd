"""The ``st-plain`` baseline: what a plain ``SentenceTransformerTrainer`` gets from parallel QA data.

Every (question in X, answer in Y) pair of every item and every language combination (X = Y included) is one
row of an ordinary ``datasets.Dataset``, pooled and batched by sentence-transformers' own
``NoDuplicatesBatchSampler``: no text twice in a batch, but nothing keeps two translations of one item apart
(one is then the other's in-batch negative, though not the same text) and batch types are mixed. With hard
negatives each row gets fixed ``negative_1`` ... columns, drawn once per row as a user would store them.
"""
from __future__ import annotations

import numpy as np

from pyterrier_hybrid.training.pairs import PairKeys

#: The strategy name of this baseline (``training.config.STRATEGIES``).
PLAIN = "st-plain"


def plain_rows(pairs: PairKeys) -> tuple[np.ndarray, np.ndarray]:
    """(question rows, answer rows) of every item's language combinations: an item in n languages gives n²."""
    n_of_row = pairs.item_count[pairs.items]
    questions = np.repeat(np.arange(pairs.n_mono, dtype=np.int64), n_of_row)
    first = np.repeat(np.cumsum(n_of_row) - n_of_row, n_of_row)  # position of each row's first pair
    answers = pairs.item_start[pairs.items[questions]] + np.arange(len(questions)) - first
    return questions, answers


def plain_dataset(pairs: PairKeys, seed: int = 0):
    """The ``datasets.Dataset`` of every pair (columns ``anchor``, ``positive``, and ``negative_1`` ... when
    ``pairs.negatives`` is set), ready for a ``SentenceTransformerTrainer`` with
    ``batch_sampler=BatchSamplers.NO_DUPLICATES``."""
    from datasets import Dataset
    q, a = plain_rows(pairs)
    table = pairs.data.table
    columns = {"anchor": table["question"].take(q).to_pylist(), "positive": table["answer"].take(a).to_pylist()}
    if pairs.negatives is not None:
        chosen = pairs.negatives.fixed(a, seed)
        for j, column in enumerate(pairs.negative_columns()):
            columns[column] = pairs.negatives.candidates.texts(chosen[:, j])
    return Dataset.from_dict(columns)
