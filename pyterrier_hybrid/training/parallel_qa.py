"""``ParallelQA``: question-answer items that exist in one or more languages.

Each row is one (item, language) with its question and answer text, held once in an Arrow table
sorted by item then language. The two training sets of docs/method.md are views of that table: the
monolingual set is every row, the cross-lingual set is every row of an item in >= 2 languages
(its answer language is drawn per epoch by :mod:`pyterrier_hybrid.training.pairs`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pyterrier_hybrid.training.batching import index_dtype

COLUMNS = ("item_id", "lang", "question", "answer")
#: Optional columns: the answer's candidate id in its family's pool (from ir_datasets), and a hard negative of
#: the user's own (a text in the answer's language; null where none).
OPTIONAL_COLUMNS = ("answer_id", "negative")


def _check_utf8(path: str | Path) -> None:
    """A ValueError naming the file and line of the first byte sequence that is not UTF-8 (texts are read as
    UTF-8; a bad byte would otherwise surface only when training starts, naming neither)."""
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ValueError(f"{path}:{number}: not UTF-8 at byte {e.start} of the line ({e.reason}); "
                                 "training data must be UTF-8") from None


def _adjacent(column: pa.ChunkedArray, compare) -> np.ndarray:
    """``compare(column[i + 1], column[i])`` for every i, as a numpy bool array (computed in Arrow, no Python
    objects, so a memory-mapped column is only read)."""
    n = len(column)
    if n < 2:
        return np.zeros(0, dtype=bool)
    return compare(column.slice(1), column.slice(0, n - 1)).to_numpy(zero_copy_only=False)


def _strictly_sorted(table: pa.Table) -> bool:
    """Whether the rows are in strictly increasing (item id, language) order: sorted, each pair once."""
    item, lang = table["item_id"], table["lang"]
    same_item = _adjacent(item, pc.equal)
    return bool(np.all(_adjacent(item, pc.greater) | (same_item & _adjacent(lang, pc.greater))))


def _run_codes(column: pa.ChunkedArray) -> np.ndarray:
    """Dense 0-based codes of a sorted column (equal values get equal codes), int32 while they fit."""
    changes = _adjacent(column, pc.not_equal)
    dtype = index_dtype(len(column))
    codes = np.zeros(len(column), dtype=dtype)
    np.cumsum(changes, out=codes[1:], dtype=dtype)
    return codes


def _string_buffers(column: pa.ChunkedArray) -> tuple[np.ndarray, list[np.ndarray], list[memoryview]]:
    """(first row of each chunk, each chunk's value offsets, each chunk's UTF-8 bytes) of a null-free string
    column, as zero-copy views of its Arrow buffers (a sliced chunk's offsets start at its own offset)."""
    starts = np.cumsum([0] + [len(chunk) for chunk in column.chunks])
    offsets, data = [], []
    for chunk in column.chunks:
        _, offset_buffer, data_buffer = chunk.buffers()
        dtype = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets.append(np.frombuffer(offset_buffer, dtype=dtype)[chunk.offset:chunk.offset + len(chunk) + 1])
        data.append(memoryview(data_buffer) if data_buffer is not None else memoryview(b""))
    return starts, offsets, data


class ParallelQA:
    """A collection of parallel QA items (columns ``item_id``, ``lang``, ``question``, ``answer``; optionally
    ``answer_id`` and ``negative``). ``pool``: ``(family, with_context)`` when the answers are candidates of an
    ir_datasets family, whose pools then give the hard negatives (``training.candidates``). ``reserved``: texts
    that must never be hard negatives (the answers of items held out of this data by :meth:`split_items`)."""

    def __init__(self, table: pa.Table, source: str = "custom", pool: tuple[str, bool] | None = None,
                 reserved: frozenset[str] = frozenset()):
        missing = [c for c in COLUMNS if c not in table.column_names]
        if missing:
            raise ValueError(f"parallel QA data lacks column(s) {missing}; needs {list(COLUMNS)}")
        columns = [*COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in table.column_names)]
        table = table.select(columns)
        for i, column in enumerate(columns):  # strings stay as they are (zero-copy on a memory-mapped table)
            if not (pa.types.is_string(table.schema.field(i).type) or pa.types.is_large_string(table.schema.field(i).type)):
                table = table.set_column(i, column, pc.cast(table[column], pa.string()))
        if "negative" in columns:  # a CSV's empty cell is no negative
            negative = table["negative"]
            table = table.set_column(columns.index("negative"), "negative",
                                     pc.if_else(pc.equal(negative, ""), pa.scalar(None, negative.type), negative))
        for column in COLUMNS:
            if table.column(column).null_count:
                raise ValueError(f"parallel QA data has empty (null) values in column {column!r}")
        if not _strictly_sorted(table):  # sorted (item id, language) data, e.g. memory-mapped, is used in place
            table = table.sort_by([("item_id", "ascending"), ("lang", "ascending")]).combine_chunks()
            if not _strictly_sorted(table):
                raise ValueError("parallel QA data has an (item id, language) pair more than once")
        self.table = table
        self.source = source
        self.pool = pool
        self.reserved = reserved
        self._buffers: dict[str, tuple] = {}  # per text column, its chunks' starts, offsets and bytes (texts())
        self.item_codes = _run_codes(table["item_id"])
        self.languages: tuple[str, ...] = tuple(sorted(pc.unique(table["lang"]).to_pylist()))
        codes = pc.index_in(table["lang"], pa.array(self.languages, table["lang"].type)).to_numpy()
        self.lang_codes = codes.astype(np.int8) if len(self.languages) < 128 else codes  # 1 byte a row at scale
        pa.default_memory_pool().release_unused()  # the temporaries above, which the pool would otherwise keep

    # ---- builders -------------------------------------------------------------------------
    @classmethod
    def from_lists(cls, item_ids: Sequence[Any], langs: Sequence[str], questions: Sequence[str],
                   answers: Sequence[str], source: str = "lists") -> ParallelQA:
        """From four parallel lists (item id, language, question, answer)."""
        return cls(pa.table({"item_id": [str(i) for i in item_ids], "lang": list(langs),
                             "question": list(questions), "answer": list(answers)}), source)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any] | Sequence[Any]],
                     source: str = "records") -> ParallelQA:
        """From dicts with the four columns, or (item id, lang, question, answer) tuples."""
        rows = [tuple(r[c] for c in COLUMNS) if isinstance(r, Mapping) else tuple(r) for r in records]
        columns = list(zip(*rows)) if rows else [(), (), (), ()]
        return cls.from_lists(*columns, source=source)

    @classmethod
    def from_jsonl(cls, path: str | Path) -> ParallelQA:
        """From a JSON-lines file (UTF-8) whose objects have the four columns."""
        import pyarrow.json as pa_json
        _check_utf8(path)
        return cls(pa_json.read_json(path), f"jsonl:{path}")

    @classmethod
    def from_csv(cls, path: str | Path) -> ParallelQA:
        """From a CSV file (UTF-8) with a header naming the four columns."""
        import pyarrow.csv as pa_csv
        _check_utf8(path)
        strings = pa_csv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS})
        return cls(pa_csv.read_csv(path, convert_options=strings), f"csv:{path}")

    @classmethod
    def from_arrow(cls, path: str | Path) -> ParallelQA:
        """From an Arrow IPC file or stream (e.g. one written by :meth:`to_arrow`, or a ``datasets`` cache file),
        memory-mapped: the texts stay on disk and memory does not grow with them. Data already sorted by
        (item id, language) is used in place; unsorted data is sorted into memory."""
        import pyarrow.ipc as ipc
        try:
            table = ipc.open_file(pa.memory_map(str(path))).read_all()
        except pa.ArrowInvalid:
            table = ipc.open_stream(pa.memory_map(str(path))).read_all()
        return cls(table, f"arrow:{path}")

    def to_arrow(self, path: str | Path) -> Path:
        """Write the data (sorted, so :meth:`from_arrow` maps it in place) to an Arrow IPC file, atomically."""
        import pyarrow.ipc as ipc
        from pyterrier_hybrid.core.atomic import atomic_open
        with atomic_open(path) as f, ipc.new_file(f, self.table.schema) as writer:
            writer.write_table(self.table, max_chunksize=1 << 20)
        return Path(path)

    @classmethod
    def from_hf(cls, dataset: Any, name: str = "hf") -> ParallelQA:
        """From a Hugging Face ``datasets.Dataset`` with the four columns; a dataset loaded from disk stays
        memory-mapped (its Arrow table is used without a copy unless it has a selection or shuffle applied)."""
        return cls(dataset.with_format("arrow")[:], name)

    @classmethod
    def from_irds(cls, family: str, languages: Iterable[str] | None = None,
                  with_context: bool = False) -> ParallelQA:
        """From an ir_datasets family (``xquad-r``, ``mlqa-r``); see :func:`.irds.irds_records`."""
        from pyterrier_hybrid.training.irds import irds_records
        records = list(irds_records(family, languages, with_context))
        columns = list(zip(*records)) if records else [()] * 5
        table = pa.table(dict(zip((*COLUMNS, "answer_id"), map(list, columns))))
        return cls(table, family, pool=(family, with_context))

    # ---- views and statistics ---------------------------------------------------------------
    def texts(self, column: str, rows: np.ndarray) -> list[str]:
        """The texts of ``column`` at ``rows``, read straight from the Arrow buffers (offsets and UTF-8 bytes, zero
        copy): a batch's few texts cost about a microsecond each, where a ``take`` per chunk cost ~1 ms a batch on
        memory-mapped data of many chunks (and ``ChunkedArray.take`` would copy a memory-mapped column whole)."""
        if column not in self._buffers:
            self._buffers[column] = _string_buffers(self.table[column])
        starts, offsets, data = self._buffers[column]
        rows = np.asarray(rows, dtype=np.int64)
        chunk_of = np.searchsorted(starts, rows, side="right") - 1
        local = rows - starts[chunk_of]
        return [str(data[c][offsets[c][i]:offsets[c][i + 1]], "utf-8")
                for c, i in zip(chunk_of.tolist(), local.tolist())]

    def __getstate__(self) -> dict:
        """Pickled without the buffer views :meth:`texts` keeps (memoryviews do not pickle; they are rebuilt)."""
        return {**self.__dict__, "_buffers": {}}

    def __len__(self) -> int:
        return len(self.table)

    @property
    def n_items(self) -> int:
        """Number of distinct QA items."""
        return int(self.item_codes[-1]) + 1 if len(self) else 0

    @property
    def item_ids(self) -> list[str]:
        """The distinct item ids, in item-code order."""
        return pc.unique(self.table["item_id"]).to_pylist()

    def items_per_language(self) -> dict[str, int]:
        """Number of items in each language."""
        counts = np.bincount(self.lang_codes, minlength=len(self.languages))
        return dict(zip(self.languages, counts.tolist()))

    def languages_per_item(self) -> np.ndarray:
        """Number of languages of each item (indexed by item code)."""
        return np.bincount(self.item_codes, minlength=self.n_items)

    @property
    def mono_size(self) -> int:
        """Rows of the monolingual set: one per (item, language)."""
        return len(self)

    @property
    def cross_size(self) -> int:
        """Rows of the cross-lingual set: one per (item, question language) of items in >= 2 languages."""
        return int((self.languages_per_item()[self.item_codes] >= 2).sum())

    def summary(self) -> str:
        """One line: items, languages with their item counts, sizes of both training sets."""
        per_lang = " ".join(f"{lang}={n}" for lang, n in self.items_per_language().items())
        return (f"{self.source}: {self.n_items} items; per language {per_lang}; "
                f"monolingual set {self.mono_size} rows, cross-lingual set {self.cross_size} rows")

    def select_languages(self, languages: Iterable[str]) -> ParallelQA:
        """Only the rows in ``languages``; a language absent from the data is a ValueError."""
        langs = list(languages)
        absent = [lang for lang in langs if lang not in self.languages]
        if absent:
            raise ValueError(f"language(s) {', '.join(map(repr, absent))} not in the data ({self.source}); "
                             f"it has: {' '.join(self.languages)}")
        return self._derived(self.table.filter(pc.is_in(self.table["lang"], pa.array(langs))), self.source)

    def sample_items(self, n: int, seed: int = 0) -> ParallelQA:
        """``n`` random items, each in all its languages (for training-set-size studies)."""
        if n == self.n_items:
            return self
        if not 0 < n < self.n_items:
            raise ValueError(f"cannot sample {n} of the {self.n_items} items of {self.source}: need 0 < n <= items")
        return self._derived(self.split_items(n, seed)[1].table, f"{self.source} ({n} items)")

    def split_items(self, n_held_out: int, seed: int = 0) -> tuple[ParallelQA, ParallelQA]:
        """(training, held-out): ``n_held_out`` random items, in all their languages, held out."""
        if not 0 < n_held_out < self.n_items:
            raise ValueError(f"cannot hold out {n_held_out} of {self.n_items} items: need 0 < n < items")
        held = np.zeros(self.n_items, dtype=bool)
        held[np.random.default_rng(seed).choice(self.n_items, n_held_out, replace=False)] = True
        mask = held[self.item_codes]
        held_out = self._derived(self.table.filter(pa.array(mask)), f"{self.source} (held out)")
        training = self._derived(self.table.filter(pa.array(~mask)), self.source,
                                 frozenset(held_out.table["answer"].to_pylist()))
        return training, held_out

    def _derived(self, table: pa.Table, source: str, reserved: frozenset[str] = frozenset()) -> ParallelQA:
        """A subset of this data (same candidate pool; ``reserved`` texts added to this data's)."""
        return ParallelQA(table, source, self.pool, self.reserved | reserved)
