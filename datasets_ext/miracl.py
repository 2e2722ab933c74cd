"""MIRACL per language as ``miracl/{X}-{X}`` and ``miracl/{X}-{X}/{split}``, on ir_datasets' own loaders.

Each dataset wraps ``miracl/{X}`` / ``miracl/{X}/{split}`` (same downloads, same docstore) and
adds the ``lang`` field and language-prefixed ids (``{X}:{original id}``), so that runs and
qrels of several languages can be concatenated without id clashes.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import ir_datasets
from ir_datasets.datasets.base import Dataset
from ir_datasets.formats import BaseDocs, BaseQrels, BaseQueries, TrecQrel
from ir_datasets.indices import Docstore

from datasets_ext.ids import make_id
from datasets_ext.registration import PackageYamlDocumentation, register_dataset as _register_one
from datasets_ext.languages import MIRACL_LANGUAGES
from datasets_ext.records import LangQuery, MiraclLangDoc


class MappedIter:
    """Applies ``fn`` to an ir_datasets docs iterator, keeping its slicing and indexing."""

    def __init__(self, it: Any, fn: Callable[[Any], Any]):
        self._it, self._fn = it, fn

    def __iter__(self) -> MappedIter:
        return self

    def __next__(self) -> Any:
        return self._fn(next(self._it))

    def __getitem__(self, key: int | slice) -> Any:
        result = self._it[key]
        return self._fn(result) if isinstance(key, int) else MappedIter(result, self._fn)


class LangDocstore(Docstore):
    """The original docstore, answering prefixed ids of its own language only."""

    def __init__(self, original: Docstore, lang: str, to_doc: Callable[[Any], MiraclLangDoc]):
        super().__init__(MiraclLangDoc, "doc_id")
        self._original, self._prefix, self._to_doc = original, f"{lang}:", to_doc

    def get_many_iter(self, doc_ids):
        ids = [d[len(self._prefix):] for d in doc_ids if d.startswith(self._prefix)]
        return map(self._to_doc, self._original.get_many_iter(ids))

    def __iter__(self) -> MappedIter:
        return MappedIter(iter(self._original), self._to_doc)

    def built(self) -> bool:
        return self._original.built()

    def build(self) -> None:
        self._original.build()

    def clear_cache(self) -> None:
        self._original.clear_cache()


class LangDocs(BaseDocs):
    def __init__(self, lang: str):
        self._lang = lang
        self._original = ir_datasets.load(f"miracl/{lang}")

    def _to_doc(self, doc: Any) -> MiraclLangDoc:
        return MiraclLangDoc(make_id(self._lang, doc.doc_id), doc.title, doc.text, self._lang)

    def docs_iter(self) -> MappedIter:
        return MappedIter(self._original.docs_iter(), self._to_doc)

    def docs_store(self, field: str = "doc_id") -> LangDocstore:
        return LangDocstore(self._original.docs_store(), self._lang, self._to_doc)

    def docs_count(self) -> int | None:
        return self._original.docs_count()

    def docs_cls(self):
        return MiraclLangDoc

    def docs_namespace(self) -> str:
        return f"miracl/{self._lang}"

    def docs_lang(self) -> str:
        return self._lang


class LangSplit(BaseQueries, BaseQrels):
    """Queries and qrels of ``miracl/{lang}/{split}`` with language-prefixed ids."""

    def __init__(self, lang: str, split: str):
        self._lang, self._original = lang, ir_datasets.load(f"miracl/{lang}/{split}")

    def queries_iter(self) -> Iterator[LangQuery]:
        for q in self._original.queries_iter():
            yield LangQuery(make_id(self._lang, q.query_id), q.text, self._lang)

    def queries_cls(self):
        return LangQuery

    def queries_namespace(self) -> str:
        return f"miracl/{self._lang}"

    def queries_lang(self) -> str:
        return self._lang

    def qrels_iter(self) -> Iterator[TrecQrel]:
        for q in self._original.qrels_iter():
            yield TrecQrel(make_id(self._lang, q.query_id), make_id(self._lang, q.doc_id), q.relevance,
                           q.iteration)

    def qrels_cls(self):
        return TrecQrel

    def qrels_defs(self) -> dict[int, str]:
        return self._original.qrels_defs()


def _register() -> list[str]:
    ids = []
    documentation = PackageYamlDocumentation("miracl.yaml")
    for lang, splits in MIRACL_LANGUAGES.items():
        docs = LangDocs(lang)
        _register_one(ids, f"miracl/{lang}-{lang}", Dataset(docs, documentation("_")))
        for split in splits:
            _register_one(ids, f"miracl/{lang}-{lang}/{split}", Dataset(
                docs, LangSplit(lang, split), documentation("_")))

    return ids


REGISTERED_IDS: list[str] = _register()
