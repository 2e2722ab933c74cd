"""The language-pair matrix over any PyTerrier pipeline: the same tidy output as the score-matrix path, a document
from outside the pool is an error, and a truncated ranking is labelled @k."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyterrier as pt
import pytest

from pyterrier_hybrid.evaluation import BM25System, Collection, DenseSystem, PipelineSystem, run_matrix
from pyterrier_hybrid.retrieval import BM25Index, DenseEncoder, DenseIndex

FAMILY = "mlqa-r"
LANGS = ["de", "en"]


@pytest.fixture
def collection(fixture_release):
    return Collection.load(FAMILY, LANGS)


def test_bm25_as_a_pipeline_equals_the_matrix_path(collection):
    def bm25(setting):
        data = collection.data[setting.query_lang]
        return BM25Index.build(pd.DataFrame({"docno": data.doc_ids, "text": data.doc_texts}),
                               setting.query_lang).retriever(num_results=len(data.doc_ids))

    ours = run_matrix(FAMILY, [BM25System()], kinds=["mono"], collection=collection).results
    piped = run_matrix(FAMILY, [PipelineSystem("BM25", bm25)], kinds=["mono"], collection=collection).results
    assert list(piped.columns) == list(ours.columns) and set(piped.measure) == set(ours.measure)
    merged = ours.merge(piped, on=["system", "kind", "query_lang", "pool_lang", "measure"])
    assert np.allclose(merged.value_x, merged.value_y, atol=1e-9)


def test_a_dense_pipeline_over_every_kind(collection, tiny_model_dir, tmp_path):
    encoder = DenseEncoder(str(tiny_model_dir), cache=tmp_path / "cache", progress=False)
    index = DenseIndex(tmp_path / "index", encoder)
    index.indexer().index([{"docno": d, "text": t} for part in collection.data.values()
                           for d, t in zip(part.doc_ids, part.doc_texts)])
    dense = PipelineSystem("dense", lambda s: encoder.query_encoder() >> index.retriever(s.pool_langs, num_results=None))
    piped = run_matrix(FAMILY, [dense], collection=collection).results
    ours = run_matrix(FAMILY, [DenseSystem(encoder, "dense")], collection=collection).results
    merged = ours.merge(piped, on=["system", "kind", "query_lang", "pool_lang", "measure"])
    assert len(merged) == len(ours)  # every setting and measure, bias included
    # faiss and numpy round inner products differently; the untrained tiny model gives many near-ties, which
    # that reorders: whole-ranking measures agree, RR@10 (one rank, ties broken the other way) can move more
    whole = merged[merged.measure != "RR@10"]
    assert np.allclose(whole.value_x, whole.value_y, atol=0.02)
    # truncated: labelled with its depth, never reported as a full ranking
    top5 = PipelineSystem("top5", lambda s: encoder.query_encoder() >> index.retriever(s.pool_langs, num_results=5))
    truncated = run_matrix(FAMILY, [top5], collection=collection).results
    assert {"AP@5", "nDCG@10", "RankDistance@5"} <= set(truncated.measure) and "AP" not in set(truncated.measure)


def test_a_document_from_outside_the_pool_is_an_error(collection):
    def leaky(setting):
        other = "en" if setting.query_lang == "de" else "de"
        return pt.apply.generic(lambda t: t.assign(docno=collection.data[other].doc_ids[0], score=1.0))
    with pytest.raises(ValueError, match="outside the pool"):
        run_matrix(FAMILY, [PipelineSystem("leaky", leaky)], kinds=["mono"], collection=collection)
