"""DenseIndex over one document, and over docnos that npids' own builder could not store."""
from __future__ import annotations

import numpy as np
import pytest
from npids import Lookup

from pyterrier_hybrid.retrieval import DenseEncoder, DenseIndex


@pytest.fixture()
def encoder(tiny_model_dir, tmp_path):
    return DenseEncoder(tiny_model_dir, cache=tmp_path / "cache", progress=False)


def test_single_document_index_builds_and_retrieves(encoder, tmp_path):
    index = DenseIndex(tmp_path / "one", encoder).index([{"docno": "en:0:0:0", "text": "the red house"}])
    assert len(index) == 1 and index.languages() == {"en": 1}
    docnos, dvecs, _ = index.payload()
    assert list(docnos.fwd[[0]]) == ["en:0:0:0"] and list(docnos.inv[["en:0:0:0"]]) == [0]
    np.testing.assert_array_equal(dvecs, encoder.encode_docs(["the red house"]))
    res = (encoder >> index.retriever()).search("red house")
    assert list(res["docno"]) == ["en:0:0:0"]
    assert list((encoder >> index.retriever("en")).search("house")["docno"]) == ["en:0:0:0"]
    for method in ("hnsw", "ivf", "ivfpq"):
        assert list((encoder >> index.retriever(method=method)).search("house")["docno"]) == ["en:0:0:0"]


@pytest.mark.parametrize("docnos", [
    ["en:1", "en:1"],                                                  # one block of identical ids
    ["en:a", "en:b", "en:c"] * 90 + ["de:only-one-long-id"],           # a lone id starting a new block
    [f"en:x{i:03d}" for i in range(256)] + ["en:zzzzzzzzzzzz"],        # lone trailing id, longer
])
def test_docnos_round_trip(tmp_path, docnos):
    vecs = np.eye(len(docnos), 4, dtype=np.float32)
    index = DenseIndex(tmp_path / "idx").index({"docno": d, "doc_vec": v} for d, v in zip(docnos, vecs))
    lookup = Lookup(index.index_path / "docnos.npids")
    assert len(lookup) == len(docnos) and list(lookup.fwd[np.arange(len(docnos))]) == docnos
    assert int(lookup.inv[[docnos[-1]]][0]) in [i for i, d in enumerate(docnos) if d == docnos[-1]]
