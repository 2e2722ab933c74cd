"""DenseIndex: atomic build, clear errors for unbuilt, corrupt and mismatched indexes."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pyterrier_hybrid.retrieval import DenseEncoder, DenseIndex, DenseIndexError

DOCS = [{"docno": "en:0:0:0", "text": "the red house stands near the river"},
        {"docno": "de:0:0:0", "text": "das rote Haus steht am Fluss"},
        {"docno": "en:0:0:1", "text": "a team has eleven players"},
        {"docno": "zh:0:0:0", "text": "红房子在河边"}]


@pytest.fixture()
def encoder(tiny_model_dir, tmp_path):
    return DenseEncoder(tiny_model_dir, cache=tmp_path / "cache", doc_prompt="passage: ", progress=False)


@pytest.fixture()
def built(encoder, tmp_path):
    return DenseIndex(tmp_path / "idx", encoder).index(DOCS)


def test_build_records_languages_model_and_vectors(built, encoder, tmp_path):
    assert built.built() and built.languages() == {"de": 1, "en": 2, "zh": 1}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folders left
    meta = json.loads((built.index_path / "pt_meta.json").read_text())["pyterrier_hybrid"]
    assert meta["fingerprint"] == encoder.fingerprint and meta["doc_prompt"] == "passage: "
    docnos, dvecs, _ = built.payload()
    np.testing.assert_array_equal(dvecs, encoder.encode_docs([d["text"] for d in DOCS]))
    assert list(docnos.fwd[np.arange(4)]) == [d["docno"] for d in DOCS]
    np.testing.assert_array_equal(built.language_docids("en"), [0, 2])


def test_pipeline_encoder_into_indexer(encoder, tmp_path):
    index = DenseIndex(tmp_path / "piped", encoder)
    (encoder >> index.indexer()).index(DOCS)
    assert len(index) == 4 and encoder.stats.encoded == 4


def test_existing_index_needs_overwrite(built, encoder):
    with pytest.raises(DenseIndexError, match="already exists"):
        DenseIndex(built.index_path, encoder).index(DOCS)
    DenseIndex(built.index_path, encoder).indexer(mode="overwrite").index(DOCS[:2])
    assert len(DenseIndex(built.index_path, encoder)) == 2


def test_interrupted_build_leaves_no_index(encoder, tmp_path):
    def docs():
        yield from DOCS[:2]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        DenseIndex(tmp_path / "idx", encoder).index(docs())
    assert list(tmp_path.glob("*idx*")) == []
    with pytest.raises(DenseIndexError, match="has not been built"):
        DenseIndex(tmp_path / "idx", encoder).retriever()


def test_interrupted_overwrite_keeps_old_index(built, encoder):
    def docs():
        yield DOCS[0]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        DenseIndex(built.index_path, encoder).indexer(mode="overwrite").index(docs())
    assert len(DenseIndex(built.index_path, encoder)) == 4


@pytest.mark.parametrize("damage", ["truncate_vecs", "drop_meta", "bad_json", "drop_langs", "plain_flex"])
def test_corrupt_index_is_reported(built, encoder, damage):
    path = built.index_path
    if damage == "truncate_vecs":
        (path / "vecs.f4").write_bytes((path / "vecs.f4").read_bytes()[:-4])
    elif damage == "drop_meta":
        (path / "pt_meta.json").unlink()
    elif damage == "bad_json":
        (path / "pt_meta.json").write_text('{"doc_count": 4,')
    elif damage == "drop_langs":
        (path / "doc_langs.npy").unlink()
    else:
        meta = json.loads((path / "pt_meta.json").read_text())
        del meta["pyterrier_hybrid"]
        (path / "pt_meta.json").write_text(json.dumps(meta))
    with pytest.raises(DenseIndexError, match="corrupt dense index"):
        DenseIndex(path, encoder).retriever()


def test_other_model_or_dimension_is_reported(built, tiny_model_dir, tmp_path):
    fast = DenseEncoder(tiny_model_dir, cache=False, fast=True, progress=False)
    with pytest.raises(DenseIndexError, match="was built with model"):
        len(DenseIndex(built.index_path, fast))
    other_dim = DenseIndex(tmp_path / "dim8").index(
        [{"docno": f"en:{i}", "doc_vec": np.ones(8, dtype=np.float32)} for i in range(2)])
    with pytest.raises(DenseIndexError, match="holds 8-dimensional vectors"):
        len(DenseIndex(other_dim.index_path, fast))


def test_bad_documents(encoder, tmp_path):
    with pytest.raises(ValueError, match="no language prefix"):
        DenseIndex(tmp_path / "a", encoder).index([{"docno": "nolang", "text": "x"}])
    with pytest.raises(DenseIndexError, match="need an encoder"):
        DenseIndex(tmp_path / "b").index([{"docno": "en:1", "text": "x"}])
    with pytest.raises(DenseIndexError, match="no documents"):
        DenseIndex(tmp_path / "c", encoder).index([])
    assert [p.name for p in tmp_path.iterdir() if p.name in "abc" or p.name.startswith(".")] == []


@pytest.mark.parametrize("recode", ["swap", "other_counts"])
def test_altered_language_codes_are_reported(built, encoder, recode):
    import numpy as np
    path = built.index_path
    codes = np.load(path / "doc_langs.npy")
    # swap: same counts, other documents in each pool (before: other-language documents returned in a pool)
    altered = codes[::-1].copy() if recode == "swap" else np.zeros_like(codes)
    assert not np.array_equal(altered, codes)
    np.save(path / "doc_langs.npy", altered)
    with pytest.raises(DenseIndexError, match="doc_langs.npy (differs|does not match)"):
        DenseIndex(path, encoder).retriever("en")


def test_artifact_load_and_package_give_back_the_pool_aware_index(built, encoder, tmp_path, monkeypatch):
    """pt.Artifact.load, and a package shared like any pyterrier-dr index (built, served over HTTP, fetched with
    pt.Artifact.from_url), return a DenseIndex with its pools."""
    import functools
    import http.server
    import threading

    import pyterrier as pt
    monkeypatch.setenv("PYTERRIER_HOME", str(tmp_path / "pyterrier_home"))
    loaded = pt.Artifact.load(str(built.index_path))
    assert type(loaded) is DenseIndex and loaded.languages() == {"de": 1, "en": 2, "zh": 1}
    res = (encoder >> loaded.retriever(pool="en"))(pd.DataFrame({"qid": ["de:q"], "query": ["Haus am Fluss"]}))
    assert set(res["docno"]) == {"en:0:0:0", "en:0:0:1"}
    (tmp_path / "shared").mkdir()
    loaded.build_package(str(tmp_path / "shared" / "index.tar.lz4"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "shared"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        unpacked = pt.Artifact.from_url(f"http://127.0.0.1:{server.server_port}/index.tar.lz4")
    finally:
        server.shutdown()
    assert type(unpacked) is DenseIndex and unpacked.languages() == loaded.languages()
    np.testing.assert_array_equal(unpacked.payload()[1], loaded.payload()[1])


def test_an_index_of_the_earlier_flex_format_still_opens(built, encoder):
    meta_path = built.index_path / "pt_meta.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "format": "flex"}))
    assert DenseIndex(built.index_path, encoder).languages() == {"de": 1, "en": 2, "zh": 1}
    meta_path.write_text(json.dumps({**meta, "format": "jpq"}))
    with pytest.raises(DenseIndexError, match="dense_index/jpq artifact"):
        DenseIndex(built.index_path, encoder).languages()
