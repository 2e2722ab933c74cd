"""Our transformers inside PyTerrier pipelines: re-ranking an upstream stage and linear fusion."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyterrier as pt
import pytest

from pyterrier_hybrid.retrieval import DenseEncoder, DenseIndex

DOCS = pd.DataFrame({"docno": ["en:0:0:0", "en:0:0:1", "en:0:0:2", "de:0:0:0"],
                     "text": ["the red house stands near the river", "a team has eleven players",
                              "the astronomer wrote the book about stars", "das rote Haus steht am Fluss"]})
TOPICS = pd.DataFrame({"qid": ["q1", "q2"], "query": ["where is the red house", "who wrote the book about stars"]})
# a stand-in first stage (BM25 is built elsewhere): fixed scores, every English doc for every query
FIRST = pd.DataFrame([{"qid": q, "query": t, "docno": d, "score": float(3 - i), "rank": i}
                      for q, t in TOPICS.itertuples(index=False)
                      for i, d in enumerate(["en:0:0:2", "en:0:0:0", "en:0:0:1"])])


@pytest.fixture(scope="module")
def setup(tiny_model_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipes")
    encoder = DenseEncoder(tiny_model_dir, cache=tmp / "cache", query_prompt="query: ", doc_prompt="passage: ",
                           progress=False)
    index = DenseIndex(tmp / "idx", encoder).index(DOCS.to_dict("records"))
    first = pt.Transformer.from_df(FIRST, uniform=True)
    return encoder, index, first


def dense_score(encoder, qtext, dtext):
    return float(encoder.encode_queries([qtext])[0] @ encoder.encode_docs([dtext])[0])


def test_rerank_top_k_with_text_scorer(setup):
    encoder, index, first = setup
    encoded = encoder.stats.encoded
    add_text = pt.apply.generic(lambda df: df.merge(DOCS, on="docno"))
    pipe = first % 2 >> add_text >> encoder.text_scorer()
    res = pipe(TOPICS)
    assert len(res) == 4 and set(res.docno) == {"en:0:0:2", "en:0:0:0"}  # only the top 2 are re-scored
    row = res[(res.qid == "q1") & (res.docno == "en:0:0:0")].iloc[0]
    assert row.score == pytest.approx(dense_score(encoder, TOPICS["query"][0], DOCS.text[0]), abs=1e-5)
    for _, group in res.groupby("qid"):
        assert list(group.sort_values("rank").score) == sorted(group.score, reverse=True)
    # the two queries and the two re-scored documents (the index's encoding bypasses the cache); not en:0:0:1
    assert encoder.stats.encoded - encoded == 4


def test_rerank_with_index_vectors(setup):
    encoder, index, first = setup
    res = (first % 2 >> encoder.query_encoder() >> index.scorer())(TOPICS)
    row = res[(res.qid == "q2") & (res.docno == "en:0:0:2")].iloc[0]
    assert row.score == pytest.approx(dense_score(encoder, TOPICS["query"][1], DOCS.text[2]), abs=1e-5)


@pytest.mark.parametrize("weights", [(0.3, 0.7), (1.0, 1.0)])
def test_linear_fusion_with_dense_retriever(setup, weights):
    encoder, index, first = setup
    dense = encoder >> index.retriever(pool="en")
    a, b = weights
    fused = (a * first + b * dense) if weights != (1.0, 1.0) else (first + dense)
    res = fused(TOPICS)
    d = dense(TOPICS).set_index(["qid", "docno"]).score
    f = FIRST.set_index(["qid", "docno"]).score
    for r in res.itertuples():
        assert r.score == pytest.approx(a * f[(r.qid, r.docno)] + b * d[(r.qid, r.docno)], abs=1e-5)
    assert not res.docno.str.startswith("de:").any()


def test_feature_union_and_cutoff(setup):
    encoder, index, first = setup
    res = (first >> (pt.Transformer.identity() ** (encoder.query_encoder() >> index.scorer())))(TOPICS)
    assert np.stack(res.features).shape == (6, 2)
    assert len(((encoder >> index.retriever()) % 1)(TOPICS)) == 2
