"""XQuAD-R and MLQA-R (LAReQA) in ir_datasets: per language, per language pair, multilingual pool.

Registered ids (``{F}`` = ``xquad-r`` or ``mlqa-r``, X and Y its languages):

* ``{F}``: every candidate sentence of every language;
* ``{F}/{X}-{Y}``: questions in X whose id exists in Y, ranked against the candidates in Y
  (``{F}/{X}`` is the monolingual alias of ``{F}/{X}-{X}``);
* ``{F}/{X}-multi``: questions in X against the candidates of all languages, the answer in
  every language that has the question being relevant.

Ids follow ``docs/method.md`` (built in ``ids.py``): query ``{lang}:{question id}``, candidate
``{lang}:{article}:{paragraph}:{sentence}`` (0-based, file order). A question's answer is the
sentence whose half-open span ``[b, e)`` in ``sentence_breaks`` contains ``answer_start``; an
answer that starts exactly where a span ends belongs to the *next* sentence (the span is
half-open), one that starts in the gap between two spans also to the next sentence, and one
past the last span to the last sentence.
"""
from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import ir_datasets
from ir_datasets.formats import BaseDocs, BaseQrels, BaseQueries, TrecQrel
from ir_datasets.indices import Docstore, PickleLz4FullStore
from ir_datasets.datasets.base import Dataset

from datasets_ext.ids import language_or_none, make_id
from datasets_ext.languages import LANGUAGES
from datasets_ext.lareqa_source import MANIFEST, lareqa_file
from datasets_ext.records import LangQuery, LareqaDoc
from datasets_ext.registration import PackageYamlDocumentation, register_dataset
from datasets_ext.settings import Setting, register_builder, settings

QRELS_DEFS = {1: "the sentence that contains the answer"}


class ParsedLanguage(NamedTuple):
    """One language file: its candidates in file order and, per question id, text and answer doc id."""
    docs: list[LareqaDoc]
    questions: dict[str, tuple[str, str]]


def answer_sentence(sentence_breaks: Sequence[Sequence[int]], answer_start: int) -> int:
    """Index of the sentence holding ``answer_start``: the first span whose (exclusive) end is past it."""
    ends = [end for _, end in sentence_breaks]
    return min(bisect.bisect_right(ends, answer_start), len(ends) - 1)


def parse_language(family: str, lang: str) -> ParsedLanguage:
    """Parse ``{family}/{lang}.json`` (once per process and pinned checksum)."""
    return _parse(family, lang, MANIFEST[f"{family}/{lang}.json"].md5)


@functools.lru_cache(maxsize=None)
def _parse(family: str, lang: str, md5: str) -> ParsedLanguage:
    with open(lareqa_file(family, lang), encoding="utf-8") as f:
        articles = json.load(f)["data"]
    docs, questions = [], {}
    for a, article in enumerate(articles):
        for p, para in enumerate(article["paragraphs"]):
            docs += [LareqaDoc(make_id(lang, a, p, s), text, lang, para["context"], article["title"])
                     for s, text in enumerate(para["sentences"])]
            for qa in para["qas"]:
                s = answer_sentence(para["sentence_breaks"], qa["answers"][0]["answer_start"])
                questions[qa["id"]] = (qa["question"], make_id(lang, a, p, s))
    return ParsedLanguage(docs, questions)


def docstore(family: str, lang: str) -> PickleLz4FullStore:
    """The ir_datasets docstore of one language's candidates, built on first use in the ir_datasets home.

    Its path carries the source's pinned md5, so a different release never reuses a stale store.
    """
    md5 = MANIFEST[f"{family}/{lang}.json"].md5
    return _docstore(family, lang, md5, str(ir_datasets.util.home_path()))


@functools.lru_cache(maxsize=None)
def _docstore(family: str, lang: str, md5: str, home: str) -> PickleLz4FullStore:
    path = f"{home}/lareqa/{family}/docstore/{lang}-{md5}.pklz4"
    return PickleLz4FullStore(path, lambda: iter(parse_language(family, lang).docs), LareqaDoc,
                              "doc_id", ["doc_id"], count_hint=lambda: len(parse_language(family, lang).docs))


class PoolDocsIter:
    """Iterator over the candidates of several languages in turn, sliceable like ir_datasets' iterators."""

    def __init__(self, stores: Sequence[PickleLz4FullStore], counts: Sequence[int], positions: range):
        self._stores, self._counts, self._positions = stores, counts, positions
        self._it: Iterator[LareqaDoc] | None = None

    def __iter__(self) -> PoolDocsIter:
        return self

    def __next__(self) -> LareqaDoc:
        if self._it is None:
            self._it = self._chain()
        return next(self._it)

    def _chain(self) -> Iterator[LareqaDoc]:
        r, offset = self._positions, 0
        for store, count in zip(self._stores, self._counts):
            # the positions of r that fall in [offset, offset + count), as a local slice
            first = max(0, -(-(offset - r.start) // r.step))
            last = min(len(r), -(-(offset + count - r.start) // r.step))
            if first < last:
                yield from iter(store)[r[first] - offset:r[last - 1] - offset + 1:r.step]
            offset += count

    def __getitem__(self, key: int | slice) -> LareqaDoc | PoolDocsIter:
        if isinstance(key, slice):
            sub = self._positions[key]
            if sub.step < 0:
                raise ValueError("docs_iter() slices need a positive step")
            return PoolDocsIter(self._stores, self._counts, sub)
        if isinstance(key, int):
            position = self._positions[key]  # IndexError when out of range
            return next(PoolDocsIter(self._stores, self._counts, range(position, position + 1)))
        raise TypeError("key must be int or slice")


class PoolDocstore(Docstore):
    """Looks candidates up in the per-language docstores of the pool; ids of other languages are absent."""

    def __init__(self, family: str, langs: Sequence[str]):
        super().__init__(LareqaDoc, "doc_id")
        self._family, self._langs = family, tuple(langs)

    @property
    def _stores(self) -> dict[str, PickleLz4FullStore]:
        return {lang: docstore(self._family, lang) for lang in self._langs}

    def get_many_iter(self, doc_ids):
        by_lang: dict[str, list[str]] = {}
        for doc_id in doc_ids:
            by_lang.setdefault(language_or_none(doc_id), []).append(doc_id)
        for lang, ids in by_lang.items():
            if lang in self._stores:
                yield from self._stores[lang].get_many_iter(ids)

    def __iter__(self) -> PoolDocsIter:
        stores = list(self._stores.values())
        counts = [s.count() for s in stores]
        return PoolDocsIter(stores, counts, range(sum(counts)))

    def count(self) -> int:
        return sum(s.count() for s in self._stores.values())

    def built(self) -> bool:
        return all(s.built() for s in self._stores.values())

    def build(self) -> None:
        for store in self._stores.values():
            store.build()

    def clear_cache(self) -> None:
        for store in self._stores.values():
            store.clear_cache()


class PoolDocs(BaseDocs):
    """The candidates of a pool of languages, in language order then file order."""

    def __init__(self, family: str, langs: Sequence[str]):
        self._family, self._langs = family, tuple(langs)
        self._store = PoolDocstore(family, langs)

    def docs_iter(self) -> PoolDocsIter:
        return iter(self._store)

    def docs_store(self, field: str = "doc_id") -> PoolDocstore:
        return self._store

    def docs_count(self) -> int:
        return sum(len(parse_language(self._family, lang).docs) for lang in self._langs)

    def docs_cls(self):
        return LareqaDoc

    def docs_namespace(self) -> str:
        return self._family

    def docs_lang(self) -> str | None:
        return self._langs[0] if len(self._langs) == 1 else None


def question_ids(setting: Setting) -> list[str]:
    """Question ids of the query language that exist in at least one pool language (file order)."""
    pools = [parse_language(setting.family, lang).questions for lang in setting.pool_langs]
    return [qid for qid in parse_language(setting.family, setting.query_lang).questions
            if any(qid in pool for pool in pools)]


class SettingQueries(BaseQueries):
    def __init__(self, setting: Setting):
        self._setting = setting

    def queries_iter(self) -> Iterator[LangQuery]:
        lang = self._setting.query_lang
        questions = parse_language(self._setting.family, lang).questions
        for qid in question_ids(self._setting):
            yield LangQuery(make_id(lang, qid), questions[qid][0], lang)

    def queries_cls(self):
        return LangQuery

    def queries_namespace(self) -> str:
        return self._setting.family

    def queries_lang(self) -> str:
        return self._setting.query_lang

    def queries_count(self) -> int:
        return len(question_ids(self._setting))


class SettingQrels(BaseQrels):
    def __init__(self, setting: Setting):
        self._setting = setting

    def qrels_iter(self) -> Iterator[TrecQrel]:
        family, lang = self._setting.family, self._setting.query_lang
        pools = [parse_language(family, pool_lang).questions for pool_lang in self._setting.pool_langs]
        for qid in question_ids(self._setting):
            for pool in pools:
                if qid in pool:
                    yield TrecQrel(make_id(lang, qid), pool[qid][1], 1, "0")

    def qrels_cls(self):
        return TrecQrel

    def qrels_defs(self) -> dict[int, str]:
        return QRELS_DEFS


def setting_dataset(setting: Setting, documentation=None) -> Dataset:
    """The ir_datasets dataset of a LAReQA setting: its pool, its queries and their answers in the pool."""
    return Dataset(PoolDocs(setting.family, setting.pool_langs), SettingQueries(setting), SettingQrels(setting),
                   *([documentation] if documentation else []))


def _register() -> list[str]:
    ids = []
    documentation = PackageYamlDocumentation("lareqa.yaml")
    for family, langs in LANGUAGES.items():
        register_builder(family, setting_dataset)
        register_dataset(ids, family, Dataset(PoolDocs(family, langs), documentation(family)))
        for s in settings(family):
            dataset = setting_dataset(s, documentation(f"{family}/{s.kind}"))
            register_dataset(ids, s.dataset_id, dataset)
            if s.kind == "mono":
                register_dataset(ids, f"{family}/{s.query_lang}", dataset)
    return ids


REGISTERED_IDS: list[str] = _register()
