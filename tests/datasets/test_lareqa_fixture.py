"""XQuAD-R / MLQA-R loaders on a small release the test writes (mirror, download, checksums, ids)."""
from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import ir_datasets
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import datasets_ext
from datasets_ext import lareqa_source
from datasets_ext.lareqa import answer_sentence
from datasets_ext.lareqa_source import ChecksumError, SourceFile
from lareqa_fixture import ARTICLES, FAMILY, PARAGRAPHS, SENTENCES, has_question, qid, write_release


@pytest.fixture
def release(fixture_release) -> Path:
    return fixture_release


def test_answer_sentence_rule():
    breaks = [[0, 10], [11, 20], [20, 30]]
    assert answer_sentence(breaks, 0) == 0
    assert answer_sentence(breaks, 9) == 0
    assert answer_sentence(breaks, 10) == 1  # in the gap after span 0 -> the next sentence
    assert answer_sentence(breaks, 20) == 2  # where span 1 ends and span 2 begins -> span 2 (half-open)
    assert answer_sentence(breaks, 35) == 2  # past the last span -> the last sentence


def test_monolingual_setting(release):
    ds = ir_datasets.load(f"{FAMILY}/en-en")
    alias = ir_datasets.load(f"{FAMILY}/en")  # the monolingual alias
    assert list(alias.qrels_iter()) == list(ds.qrels_iter())
    n_docs = ARTICLES * PARAGRAPHS * SENTENCES
    assert ds.docs_count() == n_docs == len(list(ds.docs_iter()))
    assert ds.queries_count() == n_docs == len(list(ds.queries_iter()))
    qrels = {(q.query_id, q.doc_id) for q in ds.qrels_iter()}
    # every answer is the sentence of the same index, including the two boundary cases
    assert qrels == {(f"en:{qid(a, p, s)}", f"en:{a}:{p}:{s}")
                     for a in range(ARTICLES) for p in range(PARAGRAPHS) for s in range(SENTENCES)}
    doc = ds.docs_store().get("en:1:0:2")
    assert (doc.text, doc.lang, doc.title) == ("en sentence 1.0.2 tells fact number 2.", "en", "Article_1")
    assert doc.text in doc.context and doc.default_text() == doc.text
    query = next(iter(ds.queries_iter()))
    assert query == ("en:q000", "en question 0.0.0?", "en")


def test_cross_lingual_setting_keeps_only_shared_questions(release):
    ds = ir_datasets.load(f"{FAMILY}/en-de")
    shared = [f"en:{qid(a, p, s)}" for a in range(ARTICLES) for p in range(PARAGRAPHS)
              for s in range(SENTENCES) if has_question("de", s)]
    assert [q.query_id for q in ds.queries_iter()] == shared
    assert ds.queries_count() == len(shared)
    assert all(q.doc_id.startswith("de:") for q in ds.qrels_iter())
    assert {d.lang for d in ds.docs_iter()} == {"de"}
    with pytest.raises(KeyError):
        ds.docs_store().get("en:0:0:0")  # outside the pool


def test_multilingual_setting(release):
    ds = ir_datasets.load(f"{FAMILY}/de-multi")
    langs = datasets_ext.LANGUAGES[FAMILY]
    assert ds.docs_count() == len(langs) * ARTICLES * PARAGRAPHS * SENTENCES
    relevant: dict[str, set[str]] = {}
    for q in ds.qrels_iter():
        relevant.setdefault(q.query_id, set()).add(q.doc_id)
    assert relevant["de:q101"] == {f"{lang}:1:0:1" for lang in langs}  # answer in every language
    assert ds.docs_store().get("zh:0:1:2").lang == "zh"
    base = ir_datasets.load(FAMILY)
    assert base.docs_count() == ds.docs_count() and not base.has_queries()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # the release is read-only
@given(start=st.integers(-90, 90) | st.none(), stop=st.integers(-90, 90) | st.none(),
       step=st.integers(1, 7) | st.none(), index=st.integers(-84, 83))
def test_docs_iter_slicing_matches_list_slicing(release, start, stop, step, index):
    docs_iter = ir_datasets.load(f"{FAMILY}/en-multi").docs_iter
    everything = list(docs_iter())
    assert [d.doc_id for d in docs_iter()[start:stop:step]] == [d.doc_id for d in everything[start:stop:step]]
    assert docs_iter()[index] == everything[index]
    assert [d.doc_id for d in docs_iter()[3:50][2:20:3]] == [d.doc_id for d in everything[3:50][2:20:3]]


def test_docs_iter_index_out_of_range(release):
    with pytest.raises(IndexError):
        ir_datasets.load(f"{FAMILY}/en-en").docs_iter()[10_000]


def test_ids_are_unique_and_follow_the_scheme(release):
    ds = ir_datasets.load(f"{FAMILY}/en-multi")
    doc_ids = [d.doc_id for d in ds.docs_iter()]
    assert len(doc_ids) == len(set(doc_ids))
    assert all(len(d.split(":")) == 4 for d in doc_ids)


def test_mirror_checksum_mismatch_names_file_and_both_checksums(release, monkeypatch):
    key = f"{FAMILY}/ar.json"
    good = lareqa_source.MANIFEST[key]
    monkeypatch.setitem(lareqa_source.MANIFEST, key, SourceFile(key, "0" * 32, good.size, good.url))
    before = (release / key).read_bytes()
    with pytest.raises(ChecksumError, match=f"ar.json: expected md5 0{{32}}, got {good.md5}.*mirror was left"):
        lareqa_source.lareqa_file(FAMILY, "ar")
    assert (release / key).read_bytes() == before  # a mirror is never modified


def test_mirror_missing_file(release):
    (release / FAMILY / "vi.json").unlink()
    with pytest.raises(FileNotFoundError, match="has no mlqa-r/vi.json"):
        lareqa_source.lareqa_file(FAMILY, "vi")


def test_unknown_file_lists_valid_ones():
    with pytest.raises(ValueError, match="valid files: xquad-r/ar.json"):
        lareqa_source.lareqa_file("xquad-r", "xx")


@pytest.fixture
def http_release(tmp_path, monkeypatch):
    """The fixture release served over HTTP on 127.0.0.1, the manifest pointing at it, no mirror."""
    root = tmp_path / "served"
    entries = write_release(root)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for key, entry in entries.items():
        url = f"http://127.0.0.1:{server.server_address[1]}/{key}"
        monkeypatch.setitem(lareqa_source.MANIFEST, key, SourceFile(key, entry.md5, entry.size, url))
    monkeypatch.delenv(lareqa_source.MIRROR_ENV, raising=False)
    monkeypatch.setenv("IR_DATASETS_HOME", str(tmp_path / "home"))
    yield root
    server.shutdown()


def test_download_verifies_and_caches(http_release, tmp_path):
    path = lareqa_source.lareqa_file(FAMILY, "de")
    assert path == tmp_path / "home" / "lareqa" / FAMILY / "de.json"
    assert path.read_bytes() == (http_release / FAMILY / "de.json").read_bytes()
    assert ir_datasets.load(f"{FAMILY}/de-en").queries_count() > 0  # the loaders use the download


def test_bad_download_is_removed(http_release, tmp_path, monkeypatch):
    key = f"{FAMILY}/es.json"
    entry = lareqa_source.MANIFEST[key]
    monkeypatch.setitem(lareqa_source.MANIFEST, key, SourceFile(key, "f" * 32, entry.size, entry.url))
    with pytest.raises(ChecksumError, match=f"es.json downloaded from {entry.url}.*f{{32}}.*{entry.md5}.*removed"):
        lareqa_source.lareqa_file(FAMILY, "es")
    target_dir = tmp_path / "home" / "lareqa" / FAMILY
    assert not list(target_dir.glob("es.json*"))  # neither the file nor a partial .tmp stays


def test_corrupt_cached_file_is_replaced(http_release, tmp_path):
    path = lareqa_source.lareqa_file(FAMILY, "hi")
    path.write_text("corrupted")
    assert lareqa_source.lareqa_file(FAMILY, "hi").read_bytes() == (http_release / FAMILY / "hi.json").read_bytes()


def test_pyterrier_topics_qrels_corpus(release):
    import pyterrier as pt
    dataset = pt.get_dataset(f"irds:{FAMILY}/de-en")
    topics = dataset.get_topics()
    assert list(topics.columns) == ["qid", "query", "lang"]
    assert topics.iloc[0].to_dict() == {"qid": "de:q000", "query": "de question 0.0.0?", "lang": "de"}
    qrels = dataset.get_qrels()
    assert {"qid", "docno", "label"} <= set(qrels.columns)
    assert set(qrels.qid) == set(topics.qid) and qrels.docno.str.startswith("en:").all()
    corpus = list(dataset.get_corpus_iter(verbose=False))
    assert len(corpus) == ARTICLES * PARAGRAPHS * SENTENCES
    assert {"docno", "text", "lang", "context", "title"} <= set(corpus[0]) and corpus[0]["lang"] == "en"


def test_pyterrier_text_loader(release):
    import pandas as pd
    import pyterrier as pt
    loader = pt.text.get_text(pt.get_dataset(f"irds:{FAMILY}/en-en"), ["text", "context", "lang"])
    out = loader(pd.DataFrame({"qid": ["q"], "docno": ["en:0:1:2"]}))
    assert out.iloc[0].text == "en sentence 0.1.2 tells fact number 2." and out.iloc[0].lang == "en"
