"""pt.Experiment on single settings with our BM25 and dense retrievers (full pool, significance tests)."""
from __future__ import annotations

import pandas as pd
import pyterrier as pt
import pytest
from ir_measures import AP, RR, nDCG

import pyterrier_hybrid as ph
from pyterrier_hybrid.evaluation import Collection, DenseSystem, run_matrix
from pyterrier_hybrid.retrieval import DenseEncoder, DenseIndex
from pyterrier_hybrid.retrieval.bm25 import BM25Index

FAMILY = "mlqa-r"


@pytest.fixture
def encoder(tiny_model_dir, tmp_path):
    return DenseEncoder(str(tiny_model_dir), cache=tmp_path / "cache", progress=False)


@pytest.fixture
def dense_index(fixture_release, encoder, tmp_path):
    corpus = pt.get_dataset(f"irds:{FAMILY}").get_corpus_iter(verbose=False)
    index = DenseIndex(tmp_path / "index", encoder)
    index.indexer().index(corpus)
    return index


def test_experiment_on_a_monolingual_setting(fixture_release, encoder, dense_index):
    dataset = pt.get_dataset(f"irds:{FAMILY}/de-de")
    topics, qrels = dataset.get_topics(), dataset.get_qrels()
    bm25 = BM25Index.build(pd.DataFrame(dataset.get_corpus_iter(verbose=False)), "de").retriever(num_results=1000)
    dense = encoder.query_encoder() >> dense_index.retriever("de", num_results=None)  # the whole pool
    fused = 0.5 * bm25 + 0.5 * dense
    result = pt.Experiment([bm25, dense, fused], topics, qrels, eval_metrics=[AP, nDCG @ 10, RR @ 10],
                           names=["BM25", "dense", "fused"], baseline=0)
    assert list(result.name) == ["BM25", "dense", "fused"]
    assert {"AP p-value", "nDCG@10 p-value"} <= set(result.columns)  # paired significance tests vs BM25
    assert result["AP"].between(0, 1).all()


def test_experiment_multilingual_bias_matches_the_matrix(fixture_release, encoder, dense_index):
    dataset = pt.get_dataset(f"irds:{FAMILY}/de-multi")
    topics, qrels = dataset.get_topics(), dataset.get_qrels()
    dense = encoder.query_encoder() >> dense_index.retriever(num_results=None)
    result = pt.Experiment([dense], topics, qrels, eval_metrics=[AP, ph.RankDistance, ph.SameLangPref],
                           names=["dense"])
    matrix = run_matrix(FAMILY, [DenseSystem(encoder, "dense")], kinds=["multi"],
                        collection=Collection.load(FAMILY)).results
    ours = matrix[matrix.query_lang == "de"].set_index("measure").value
    # faiss (exact search on its BLAS path) and numpy round inner products differently in the last bits; the
    # untrained tiny model's candidates are so close that this reorders near-ties and moves AP by ~1e-3
    tolerance = {"AP": 5e-3, "RankDistance": 1.0, "SameLangPref": 0.02}
    for measure in ("AP", "RankDistance", "SameLangPref"):
        assert result.iloc[0][measure] == pytest.approx(ours[measure], abs=tolerance[measure]), measure


def test_reranking_pipeline(fixture_release, encoder):
    dataset = pt.get_dataset(f"irds:{FAMILY}/en-en")
    docs = pd.DataFrame(dataset.get_corpus_iter(verbose=False))
    bm25 = BM25Index.build(docs, "en").retriever(num_results=100)
    pipeline = bm25 % 5 >> pt.text.get_text(dataset, "text") >> encoder.text_scorer()
    out = pipeline(dataset.get_topics().head(3))
    assert out.groupby("qid").size().max() <= 5 and "score" in out
