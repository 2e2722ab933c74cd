"""MIRACL per language on small files in MIRACL's own formats, placed where ir_datasets expects them."""
from __future__ import annotations

import gzip
import json

import ir_datasets
import pytest

import datasets_ext  # noqa: F401  (registers miracl/{X}-{X}/{split})

PASSAGES = [("1#0", "Nairobi", "Nairobi ni mji mkuu wa Kenya."),
            ("1#1", "Nairobi", "Mji huu una watu wengi."),
            ("2#0", "Mombasa", "Mombasa ni mji wa pwani.")]


@pytest.fixture(scope="module")
def miracl_sw():
    """Swahili topics (TSV), qrels (TREC) and corpus (gzipped JSONL) under the session's ir_datasets home."""
    base = ir_datasets.util.home_path() / "miracl" / "v1.0" / "sw"
    (base / "docs").mkdir(parents=True, exist_ok=True)
    with gzip.open(base / "docs" / "docs-0.jsonl.gz", "wt", encoding="utf-8") as f:
        for docid, title, text in PASSAGES:
            f.write(json.dumps({"docid": docid, "title": title, "text": text}) + "\n")
    (base / "dev").mkdir(exist_ok=True)
    (base / "dev" / "topics.tsv").write_text("7\tMji mkuu wa Kenya ni upi?\n8\tMombasa iko wapi?\n")
    (base / "dev" / "qrels.tsv").write_text("7\tQ0\t1#0\t1\n7\tQ0\t1#1\t0\n8\tQ0\t2#0\t1\n")
    return base


def test_queries_qrels_docs_are_language_prefixed(miracl_sw):
    ds = ir_datasets.load("miracl/sw-sw/dev")
    assert [tuple(q) for q in ds.queries_iter()] == [("sw:7", "Mji mkuu wa Kenya ni upi?", "sw"),
                                                     ("sw:8", "Mombasa iko wapi?", "sw")]
    assert [(q.query_id, q.doc_id, q.relevance) for q in ds.qrels_iter()] == [
        ("sw:7", "sw:1#0", 1), ("sw:7", "sw:1#1", 0), ("sw:8", "sw:2#0", 1)]
    docs = list(ds.docs_iter())
    assert [d.doc_id for d in docs] == ["sw:1#0", "sw:1#1", "sw:2#0"] and {d.lang for d in docs} == {"sw"}
    assert docs[0].default_text() == "Nairobi Nairobi ni mji mkuu wa Kenya."
    # ir_datasets reports the real corpus size from its metadata (by docs namespace), as for miracl/sw
    assert ds.docs_count() == ir_datasets.load("miracl/sw").docs_count()


def test_slicing_and_docstore(miracl_sw):
    ds = ir_datasets.load("miracl/sw-sw/dev")
    assert [d.doc_id for d in ds.docs_iter()[1:3]] == ["sw:1#1", "sw:2#0"]
    assert ds.docs_iter()[-1].doc_id == "sw:2#0"
    store = ds.docs_store()
    assert store.get("sw:2#0").title == "Mombasa"
    with pytest.raises(KeyError):
        store.get("de:2#0")  # another language's id is not in this corpus
    assert len(list(ir_datasets.load("miracl/sw-sw").docs_iter())) == 3


def test_builds_on_ir_datasets_own_loader(miracl_sw):
    original = ir_datasets.load("miracl/sw/dev")
    ours = ir_datasets.load("miracl/sw-sw/dev")
    assert [f"sw:{q.query_id}" for q in original.queries_iter()] == [q.query_id for q in ours.queries_iter()]


def test_runs_of_languages_concatenate_in_pyterrier(miracl_sw):
    import pyterrier as pt
    topics = pt.get_dataset("irds:miracl/sw-sw/dev").get_topics()
    assert list(topics.columns) == ["qid", "query", "lang"] and topics.qid.tolist() == ["sw:7", "sw:8"]
    assert pt.get_dataset("irds:miracl/sw-sw/dev").get_qrels().docno.str.startswith("sw:").all()
