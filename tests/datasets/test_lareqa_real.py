"""The loaders over the real XQuAD-R / MLQA-R files (skipped when ../shared/data/lareqa is absent)."""
from __future__ import annotations

import json
from collections import Counter

import ir_datasets
import pytest

from datasets_ext import LANGUAGES, dataset_ids

# question counts of the release (MLQA-R: English 1148, the others ~500 sharing their id with English)
QUESTIONS = {"xquad-r": dict.fromkeys(LANGUAGES["xquad-r"], 1190),
             "mlqa-r": {"ar": 517, "de": 512, "en": 1148, "es": 500, "hi": 507, "vi": 511, "zh": 504}}


@pytest.fixture(autouse=True)
def real_data(lareqa_mirror, monkeypatch):
    monkeypatch.setenv("PYTERRIER_HYBRID_LAREQA", str(lareqa_mirror))


def _release(lareqa_mirror, family, lang):
    with open(lareqa_mirror / family / f"{lang}.json", encoding="utf-8") as f:
        paragraphs = [p for a in json.load(f)["data"] for p in a["paragraphs"]]
    return {"sentences": sum(len(p["sentences"]) for p in paragraphs),
            "questions": {qa["id"] for p in paragraphs for qa in p["qas"]}}


@pytest.mark.parametrize("family", list(LANGUAGES))
def test_counts_per_language(family, lareqa_mirror):
    for lang in LANGUAGES[family]:
        release = _release(lareqa_mirror, family, lang)
        ds = ir_datasets.load(f"{family}/{lang}-{lang}")
        assert ds.queries_count() == len(release["questions"]) == QUESTIONS[family][lang]
        assert ds.docs_count() == release["sentences"] == sum(1 for _ in ds.docs_iter())


@pytest.mark.parametrize("family", list(LANGUAGES))
def test_every_setting(family, lareqa_mirror):
    """Each query has exactly one relevant candidate in each pool language having its id; pools are pure."""
    questions = {lang: _release(lareqa_mirror, family, lang)["questions"] for lang in LANGUAGES[family]}
    pool_doc_langs: dict[str, Counter] = {}  # the pool of X-multi is the same for every X: read it once
    for ds_id in dataset_ids(family):
        ds = ir_datasets.load(ds_id)
        query_lang, pool = ds_id.split("/")[1].split("-")
        pool_langs = LANGUAGES[family] if pool == "multi" else (pool,)
        queries = [q.query_id for q in ds.queries_iter()]
        assert len(queries) == len(set(queries)) == ds.queries_count()
        assert all(q.startswith(f"{query_lang}:") for q in queries)
        expected = {q for q in questions[query_lang] if any(q in questions[p] for p in pool_langs)}
        assert {q.split(":", 1)[1] for q in queries} == expected
        per_query_lang = Counter((q.query_id, q.doc_id.split(":")[0]) for q in ds.qrels_iter())
        assert set(per_query_lang.values()) == {1}
        n_rel = Counter(qq for qq, _ in per_query_lang)
        assert all(n_rel[q] == sum(q.split(":", 1)[1] in questions[p] for p in pool_langs) for q in queries)
        if pool not in pool_doc_langs:
            pool_doc_langs[pool] = Counter(doc.doc_id.split(":")[0] for doc in ds.docs_iter())
        doc_langs = pool_doc_langs[pool]
        assert set(doc_langs) == set(pool_langs)
        assert sum(doc_langs.values()) == ds.docs_count()


@pytest.mark.parametrize("family", list(LANGUAGES))
def test_ids_are_unique(family):
    ds = ir_datasets.load(family)
    doc_ids = [d.doc_id for d in ds.docs_iter()]
    assert len(doc_ids) == len(set(doc_ids)) == ds.docs_count()
