"""The texts hard negatives are drawn from: per language, every candidate of the training family's pool (with its
paragraph) or, for a user's own data, its distinct answers (with paragraphs when its ``answer_id`` values are
``<paragraph>:<sentence>``) and given negatives.

A candidate is an integer row of one Arrow table (``lang``, ``id``, ``text``, ``paragraph``); negatives are stored
as those rows, never as copied texts. LAReQA ids are ``{lang}:{article}:{paragraph}:{sentence}``, so a
candidate's paragraph is its id without the sentence number.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pyterrier_hybrid.training.parallel_qa import ParallelQA


def _without_last_part(ids: pa.ChunkedArray) -> pa.ChunkedArray:
    """``a:b:c`` -> ``a:b`` (the paragraph of a sentence id); ids without ``:`` are left as they are."""
    return pc.replace_substring_regex(ids, pattern=":[^:]*$", replacement="")


class Candidates:
    """Candidate texts, each with a language code (of ``languages``) and a paragraph code (-1: none known)."""

    def __init__(self, table: pa.Table, languages: tuple[str, ...]):
        self.table = table.combine_chunks()
        self.languages = languages
        self.lang_codes = np.searchsorted(languages, table["lang"].to_numpy(zero_copy_only=False))
        paragraphs = table["paragraph"]
        codes = paragraphs.dictionary_encode().combine_chunks()
        self.paragraphs = pc.fill_null(codes.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        self._by_lang = [np.flatnonzero(self.lang_codes == code) for code in range(len(languages))]

    def __len__(self) -> int:
        return len(self.table)

    @classmethod
    def for_data(cls, data: ParallelQA) -> Candidates:
        """The pools of ``data``'s family when its answers are candidates of one (``data.pool``), else its own
        distinct answers and ``negative`` texts, per language."""
        if data.pool is not None:
            from pyterrier_hybrid.training.irds import irds_candidates
            family, with_context = data.pool
            rows = list(irds_candidates(family, data.languages, with_context))
            lang, ids, text = (list(c) for c in zip(*rows)) if rows else ([], [], [])
            paragraph = _without_last_part(pa.chunked_array([pa.array(ids, pa.string())]))
            return cls(pa.table({"lang": lang, "id": ids, "text": text, "paragraph": paragraph}), data.languages)
        has_ids = "answer_id" in data.table.column_names
        answers = data.table.select(["lang", "answer", *(["answer_id"] if has_ids else [])])
        parts = [answers.rename_columns(["lang", "text", *(["id"] if has_ids else [])])]
        if "negative" in data.table.column_names:
            given = data.table.filter(pc.is_valid(data.table["negative"]))
            parts.append(given.select(["lang", "negative"]).rename_columns(["lang", "text"]))
        texts = (pa.concat_tables(parts, promote_options="default").group_by(["lang", "text"])
                 .aggregate([("id", "min")] if has_ids else []).sort_by([("lang", "ascending"), ("text", "ascending")]))
        ids = texts["id_min"] if has_ids else pa.chunked_array([pa.nulls(len(texts), pa.string())])
        paragraph = pc.if_else(pc.match_substring(ids, ":"), _without_last_part(ids), pa.scalar(None, pa.string()))
        return cls(pa.table({"lang": texts["lang"], "id": ids, "text": texts["text"], "paragraph": paragraph}),
                   data.languages)

    def rows_of(self, data: ParallelQA, column: str) -> np.ndarray:
        """The candidate row of each data row's ``column`` (``answer`` or ``negative``; -1 where absent), matched by
        candidate id for answers of a family's pool, else by (language, text)."""
        by_id = column == "answer" and "answer_id" in data.table.column_names and self.table["id"].null_count == 0
        keys = (self.table["id"], data.table["answer_id"]) if by_id else (
            pc.binary_join_element_wise(self.table["lang"], self.table["text"], "\x00"),
            pc.binary_join_element_wise(data.table["lang"], data.table[column], "\x00"))
        index = pc.fill_null(pc.index_in(keys[1], value_set=keys[0]), -1)
        return index.to_numpy(zero_copy_only=False).astype(np.int64)

    def in_language(self, code: int) -> np.ndarray:
        """Candidate rows of one language."""
        return self._by_lang[code]

    def paragraph_rows(self) -> list[np.ndarray]:
        """Candidate rows of each paragraph code."""
        order = np.argsort(self.paragraphs, kind="stable")
        codes = self.paragraphs[order]
        known = codes >= 0
        order, codes = order[known], codes[known]
        bounds = np.flatnonzero(np.diff(codes)) + 1
        return np.split(order, bounds) if len(order) else []

    def texts(self, rows: np.ndarray) -> list[str]:
        return self.table["text"].take(pa.array(rows, pa.int64())).to_pylist()
