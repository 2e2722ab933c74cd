"""Parallel QA records from our ir_datasets families (XQuAD-R, MLQA-R), through ir_datasets' own API."""
from __future__ import annotations

from collections.abc import Iterable, Iterator


def irds_records(family: str, languages: Iterable[str] | None = None,
                 with_context: bool = False) -> Iterator[tuple[str, str, str, str]]:
    """(item id, lang, question, answer) for each question of ``{family}/{X}-{X}``, X in ``languages``.

    The item id is the question id after the language prefix, shared across languages; the
    answer is the candidate judged relevant in the monolingual setting.
    """
    import ir_datasets
    import datasets_ext  # noqa: F401  (registers the families)

    for lang in datasets_ext.check_languages(family, languages):
        ds = ir_datasets.load(datasets_ext.dataset_id(family, lang, lang))
        answer_of = {qrel.query_id: qrel.doc_id for qrel in ds.qrels_iter() if qrel.relevance > 0}
        docs = ds.docs_store().get_many(set(answer_of.values()))
        for query in ds.queries_iter():
            if query.query_id in answer_of:
                doc = docs[answer_of[query.query_id]]
                yield (datasets_ext.item_of(query.query_id), lang, query.text,
                       datasets_ext.candidate_text(doc, with_context), doc.doc_id)


def irds_candidates(family: str, languages: Iterable[str], with_context: bool = False
                    ) -> Iterator[tuple[str, str, str]]:
    """(lang, candidate id, text) of every candidate of the pool of ``{family}/{X}-{X}``, X in ``languages``."""
    import ir_datasets
    import datasets_ext  # noqa: F401  (registers the families)

    for lang in datasets_ext.check_languages(family, languages):
        for doc in ir_datasets.load(datasets_ext.dataset_id(family, lang, lang)).docs_iter():
            yield lang, doc.doc_id, datasets_ext.candidate_text(doc, with_context)
