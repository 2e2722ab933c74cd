"""Retrieval restricted to a pool of languages, on hand-made vectors where out-of-pool docs score best."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from pyterrier_hybrid.retrieval import DenseIndex, resolve_pool

# query (1, 0): English docs score +1 / +0.9, German ones -0.2 / -1, Chinese 0; interleaved docids
HAND = [("en:0:0:0", [1.0, 0.0]), ("de:0:0:0", [-1.0, 0.0]), ("en:0:0:1", [0.9, 0.1]),
        ("de:0:0:1", [-0.2, 0.9]), ("zh:0:0:0", [0.0, 1.0])]
TOPICS = pd.DataFrame({"qid": ["q1", "q2"], "query_vec": [np.array([1.0, 0.0], np.float32),
                                                          np.array([0.0, -1.0], np.float32)]})


@pytest.fixture(scope="module")
def hand_index(tmp_path_factory):
    path = tmp_path_factory.mktemp("pool") / "idx"
    return DenseIndex(path).index([{"docno": d, "doc_vec": np.array(v, np.float32)} for d, v in HAND])


@pytest.mark.parametrize("method", ["exact", "hnsw", "ivf", "ivfpq"])
def test_out_of_pool_docs_never_appear(hand_index, method):
    res = hand_index.retriever(pool=["de"], method=method)(TOPICS)
    q1 = res[res.qid == "q1"].sort_values("rank")
    assert list(q1.docno) == ["de:0:0:1", "de:0:0:0"]  # both negative, still ranked, no English doc
    np.testing.assert_allclose(q1.score, [-0.2, -1.0], rtol=1e-6)
    assert list(q1["rank"]) == [0, 1]
    assert set(res.docno) == {"de:0:0:0", "de:0:0:1"}


def test_union_pool_and_multilingual_pool(hand_index):
    res = hand_index.retriever(pool=["de", "zh"])(TOPICS)
    assert set(res.docno.str[:2]) == {"de", "zh"}
    q2 = res[res.qid == "q2"].sort_values("rank")
    assert list(q2.docno) == ["de:0:0:0", "de:0:0:1", "zh:0:0:0"]  # scores 0, -0.9, -1
    for pool in (None, "multi"):
        full = hand_index.retriever(pool=pool)(TOPICS)
        assert len(full) == 2 * len(HAND)
        assert full[full.qid == "q1"].sort_values("rank").docno.iloc[0] == "en:0:0:0"


def test_num_results_and_rank_cutoff(hand_index):
    top1 = hand_index.retriever(pool=["en", "de"], num_results=1)(TOPICS)
    assert list(top1.docno) == ["en:0:0:0", "en:0:0:0"]  # q2 ties en:0:0:0 with de:0:0:0: pool order wins
    fused = (hand_index.retriever(pool="de") % 1).compile()
    assert fused.num_results == 1 and list(fused(TOPICS).docno) == ["de:0:0:1", "de:0:0:0"]
    assert len(hand_index.retriever(num_results=None)(TOPICS)) == 2 * len(HAND)


def test_pool_errors(hand_index):
    with pytest.raises(ValueError, match="empty language pool; valid languages: de en zh"):
        hand_index.retriever(pool=[])
    with pytest.raises(ValueError, match=r"unknown pool language\(s\) 'fr'.*valid languages: de en zh"):
        hand_index.retriever(pool=["de", "fr"])
    with pytest.raises(ValueError, match="valid languages: ar de el en es hi ru th tr vi zh"):
        hand_index.retriever(pool=["xx"], family="xquad-r")
    with pytest.raises(ValueError, match="holds no documents.*valid languages: de en zh"):
        hand_index.retriever(pool=["ar"], family="xquad-r")
    with pytest.raises(ValueError, match="unknown retrieval method"):
        hand_index.retriever(method="lsh")
    with pytest.raises(ValueError, match="unknown parameter"):
        hand_index.retriever(method="hnsw", n_probe=3)
    with pytest.raises(ValueError, match="3 dimensions"):
        hand_index.retriever()(pd.DataFrame({"qid": ["q"], "query_vec": [np.ones(3, np.float32)]}))


def test_resolve_pool_keeps_order_and_drops_duplicates():
    assert resolve_pool(["zh", "de", "zh"], ["de", "en", "zh"]) == ("zh", "de")
    assert resolve_pool("en", ["de", "en"]) == ("en",)


def test_empty_topics(hand_index):
    out = hand_index.retriever()(pd.DataFrame({"qid": pd.Series([], dtype=str), "query_vec": []}))
    assert len(out) == 0 and {"docno", "score", "rank"} <= set(out.columns)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), pool=st.sets(st.sampled_from(["ar", "de", "en"]), min_size=1),
       k=st.integers(1, 40))
def test_exact_pool_retrieval_equals_brute_force(tmp_path_factory, seed, pool, k):
    rng = np.random.default_rng(seed)
    langs = rng.choice(["ar", "de", "en"], size=30)
    langs[:3] = ["ar", "de", "en"]
    vecs = rng.normal(size=(30, 4)).astype(np.float32)
    path = tmp_path_factory.mktemp("bf") / "idx"
    index = DenseIndex(path).index([{"docno": f"{l}:{i}", "doc_vec": v} for i, (l, v) in enumerate(zip(langs, vecs))])
    queries = rng.normal(size=(3, 4)).astype(np.float32)
    res = index.retriever(pool=sorted(pool), num_results=k)(
        pd.DataFrame({"qid": ["a", "b", "c"], "query_vec": list(queries)}))
    in_pool = np.flatnonzero(np.isin(langs, sorted(pool)))
    for qid, q in zip("abc", queries):
        scores = vecs[in_pool] @ q
        expect = [f"{langs[i]}:{i}" for i in in_pool[np.argsort(-scores, kind="stable")][:k]]
        got = res[res.qid == qid].sort_values("rank")
        assert list(got.docno) == expect
        np.testing.assert_allclose(got.score, np.sort(scores)[::-1][:k], rtol=1e-5, atol=1e-6)


def test_a_number_as_the_pool_says_what_was_meant():
    from pyterrier_hybrid.retrieval import resolve_pool
    with pytest.raises(TypeError, match=r"retriever\(pool, num_results=...\)"):  # before: 'int' object is not iterable
        resolve_pool(100, ["de", "en"])
