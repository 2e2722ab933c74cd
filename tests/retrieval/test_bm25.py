"""Offline BM25: analysis per language (of each document and query), PyTerrier retrieval in any pool, persistence."""
from __future__ import annotations

import time

import ir_datasets
import numpy as np
import pandas as pd
import pyterrier as pt
import pytest

from pyterrier_hybrid.retrieval.analysis import SUPPORTED_LANGUAGES, analyzer_for, words
from pyterrier_hybrid.retrieval.bm25 import BM25Index, BM25Indexer, top_k

DOCS = pd.DataFrame({"docno": ["en:0:0:0", "en:0:0:1", "en:0:0:2", "en:0:0:3"],
                     "text": ["The cats are running in the garden.", "Dogs bark at night.",
                              "A garden of roses.", "Running water."]})


def test_hindi_vowel_signs_stay_inside_words():
    assert words("हिन्दी भाषा") == ["हिन्दी", "भाषा"]  # a \w+ split would break at the vowel signs
    assert len(analyzer_for("hi")("किताबें पढ़ना")) == 2


def test_scripts_without_spaces_become_bigrams():
    assert analyzer_for("zh")("北京大学") == ["北京", "京大", "大学"]
    assert analyzer_for("zh")("NFL的人") == ["nfl", "的人"]
    assert analyzer_for("th")("ภาษา") == ["ภา", "าษ", "ษา"]
    assert analyzer_for("ja")("東京タワー") == ["東京", "京タ", "タワ", "ワー"]


def test_stemming_and_case_folding():
    assert analyzer_for("en")("Running CATS") == ["run", "cat"]
    assert analyzer_for("en", stem=False)("Running CATS") == ["running", "cats"]
    assert analyzer_for("de")("Häuser") == analyzer_for("de")("häuser")


def test_a_word_stemmed_to_nothing_is_no_term():
    """Greek's Snowball stemmer reduces some words (e.g. "όταν") to "": no empty term, which used to match the
    placeholder of an empty document and then fail inside bm25s (a Greek query against a German pool)."""
    assert analyzer_for("el")("όταν") == []
    index = BM25Index.build(pd.DataFrame({"docno": ["de:0", "de:1"], "text": ["Haus", "!!"]}))  # de:1 has no term
    assert (index.scores(["όταν σπίτι"], "el") == 0).all()


def test_every_supported_language_analyses():
    for lang in SUPPORTED_LANGUAGES:
        assert analyzer_for(lang)("abc 123") == ["abc", "123"]
    with pytest.raises(ValueError, match="supported: ar bn"):
        analyzer_for("xx")


def test_retriever_result_frame_and_num_results():
    retriever = BM25Indexer("en").index(DOCS.to_dict("records")).retriever(num_results=2)
    res = retriever.transform(pd.DataFrame({"qid": ["en:q1", "en:q2"], "query": ["running garden", "zebra"]}))
    assert list(res.columns[:2]) == ["qid", "query"] and {"docno", "score", "rank"} <= set(res.columns)
    first = res[res.qid == "en:q1"]
    assert first["docno"].tolist()[0] == "en:0:0:0" and first["rank"].tolist() == [0, 1]
    assert (first["score"].diff().dropna() <= 0).all()
    # no query term in the vocabulary: all scores 0, ties broken by docno descending (trec_eval's order)
    assert res[res.qid == "en:q2"]["docno"].tolist() == ["en:0:0:3", "en:0:0:2"]


def test_top_k_keeps_ties_at_the_boundary_in_docno_order():
    scores = np.array([1.0, 2.0, 1.0, 1.0, 0.0])
    assert top_k(scores, np.arange(5), 3).tolist() == [1, 3, 2]
    assert top_k(scores, np.arange(5), 10).tolist() == [1, 3, 2, 0, 4]


def test_pipeline_operators_and_experiment():
    retriever = BM25Index.build(DOCS, "en").retriever()
    topics = pd.DataFrame({"qid": ["en:q1"], "query": ["garden"]})
    qrels = pd.DataFrame({"qid": ["en:q1"], "docno": ["en:0:0:2"], "label": [1]})
    assert len((retriever % 1)(topics)) == 1
    top1 = BM25Index.build(DOCS, "en").retriever(num_results=1)
    out = pt.Experiment([retriever, top1], topics, qrels, eval_metrics=["map"], names=["bm25", "top1"])
    assert out["map"].tolist() == [1.0, 1.0]


def test_monolingual_index_refuses_other_languages_and_empty_pools():
    mixed = pd.concat([DOCS, pd.DataFrame({"docno": ["de:0:0:0"], "text": ["Garten"]})])
    with pytest.raises(ValueError, match="this BM25 index is 'en' but documents in de.*lang=None"):
        BM25Index.build(mixed, "en")
    with pytest.raises(ValueError, match="empty pool"):
        BM25Index.build(DOCS.iloc[:0], "en")
    with pytest.raises(ValueError, match="has lang 'de' but its id says 'en'"):
        BM25Index.build(DOCS.assign(lang="de"))
    with pytest.raises(ValueError, match="'7' has no language"):
        BM25Index.build(pd.DataFrame({"docno": ["7"], "text": ["x"]}))


def test_each_text_is_analysed_in_its_own_language():
    """A German query against an English pool is analysed with the German stemmer, each document with its own."""
    docs = pd.DataFrame({"docno": ["en:0:0:0", "de:0:0:0", "de:0:0:1"],
                         "text": ["Running in Berlin.", "Die Häuser in Berlin.", "Hunde bellen."]})
    index = BM25Index.build(docs)
    assert index.languages == ("de", "en") and index.lang is None
    german = analyzer_for("de")
    assert german("Häusern") == german("Häuser")  # German stemming applies to the German query...
    scores = index.scores(["Häusern"], "de")[0]
    assert scores[1] > 0 and scores[0] == 0 and scores[2] == 0  # ...and to the German document
    assert index.scores(["running"], "en")[0][0] > 0  # the English document has its English stem
    with pytest.raises(ValueError, match="languages are needed"):
        index.scores(["Berlin"])


def test_cross_lingual_and_multilingual_retrieval_in_pt_experiment():
    """BM25 retrieves from any pool (lexical overlap only) and runs in pt.Experiment beside other systems."""
    docs = pd.concat([DOCS, pd.DataFrame({"docno": ["de:0:0:0", "de:0:0:1"],
                                          "text": ["Der Garten in Berlin.", "Hunde bellen."]})])
    topics = pd.DataFrame({"qid": ["de:q1", "en:q1"], "query": ["Berlin Gärten", "garden"]})
    qrels = pd.DataFrame({"qid": ["de:q1", "de:q1", "en:q1", "en:q1"], "label": [1] * 4,
                          "docno": ["de:0:0:0", "en:0:0:2", "de:0:0:0", "en:0:0:2"]})
    cross = BM25Index.build(DOCS, "en").retriever()   # German queries against the English pool
    res = cross(topics.iloc[:1])
    assert set(res["docno"]) <= set(DOCS["docno"]) and len(res) == len(DOCS)
    multi = BM25Index.build(docs).retriever()
    top = multi(topics)
    assert top[top.qid == "de:q1"]["docno"].iloc[0] == "de:0:0:0"  # "Berlin" and the stem of "Gärten"
    out = pt.Experiment([cross, multi], topics, qrels, eval_metrics=["map"], names=["cross", "multi"])
    assert out["map"].notna().all() and out.loc[1, "map"] > 0


def test_scores_matrix_matches_retriever():
    index = BM25Index.build(DOCS, "en")
    scores = index.scores(["garden", "running dogs", ""])
    assert scores.shape == (3, 4) and (scores[2] == 0).all()
    res = index.retriever()(pd.DataFrame({"qid": ["q"], "query": ["running dogs"]}))
    np.testing.assert_allclose(res.set_index("docno").loc[index.docnos, "score"], scores[1], rtol=1e-6)


def test_persisted_index_round_trip_and_atomic_overwrite(tmp_path):
    path = tmp_path / "bm25-en"
    BM25Indexer("en", path).index(iter(DOCS.to_dict("records")))
    loaded = BM25Index.load(path)
    topics = pd.DataFrame({"qid": ["en:q1"], "query": ["roses garden"]})
    expected = BM25Index.build(DOCS, "en").retriever()(topics)
    pd.testing.assert_frame_equal(loaded.retriever()(topics), expected)
    BM25Index.build(DOCS.iloc[:2], "en").save(path)  # overwrite in place
    assert len(BM25Index.load(path).docnos) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bm25-en"]  # no temporary directories left
    multi = BM25Index.build(pd.concat([DOCS, pd.DataFrame({"docno": ["de:1"], "text": ["Garten"]})])).save(path)
    assert BM25Index.load(multi).doc_langs.tolist() == ["en"] * 4 + ["de"]
    (path / "pyterrier_hybrid_bm25.json").unlink()  # e.g. a half-written or foreign directory
    with pytest.raises(FileNotFoundError, match="not a complete BM25 index"):
        BM25Index.load(path)


def test_real_data_every_monolingual_setting(lareqa_mirror, monkeypatch):
    """BM25 on every XQuAD-R and MLQA-R monolingual setting, full pool (the table in docs/bm25.md)."""
    import datasets_ext
    from pyterrier_hybrid.evaluation import evaluate_scores

    monkeypatch.setenv("PYTERRIER_HYBRID_LAREQA", str(lareqa_mirror))
    start, maps = time.perf_counter(), {}
    for family in ("xquad-r", "mlqa-r"):
        for lang in datasets_ext.LANGUAGES[family]:
            ds = ir_datasets.load(datasets_ext.dataset_id(family, lang))
            docs = pd.DataFrame(ds.docs_iter())[["doc_id", "text"]].rename(columns={"doc_id": "docno"})
            queries = pd.DataFrame(ds.queries_iter())
            scores = BM25Index.build(docs, lang).scores(queries["text"].tolist())
            values = evaluate_scores(scores, queries["query_id"].tolist(), docs["docno"].tolist(),
                                     pd.DataFrame(ds.qrels_iter()), ["AP"])
            maps[family, lang] = values["value"].mean()
    xquad = [v for (family, _), v in maps.items() if family == "xquad-r"]
    assert np.mean(xquad) >= 0.75 and min(xquad) >= 0.70, maps
    assert min(v for (family, _), v in maps.items() if family == "mlqa-r") >= 0.40, maps
    assert time.perf_counter() - start < 60
