"""BM25 and a dense model fused three ways on one XQuAD-R setting, in a plain pt.Experiment with significance:
raw linear fusion, linear fusion of per-query max-min normalised scores, and reciprocal-rank fusion.

    PYTERRIER_HYBRID_LAREQA=../shared/data/lareqa python examples/fusion.py [--setting xquad-r/de-de] [--model M]

Raw BM25 scores (~10) and cosines (~0.9) are on different scales, so a raw weighted sum is mostly BM25;
normalise first (PyTerrier's per-query max-min normalisation) or fuse ranks (pyterrier-alpha's ``RRFusion``).
"""
from __future__ import annotations

import argparse

import pandas as pd
import pyterrier as pt
import pyterrier_alpha as pta
from ir_measures import AP, nDCG
from pyterrier.pipelines import PerQueryMaxMinScoreTransformer

import pyterrier_hybrid as ph
from datasets_ext import language_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setting", default="xquad-r/de-de", help="a monolingual setting id")
    parser.add_argument("--model", default=ph.DEFAULT_MODEL)
    parser.add_argument("--index", default="runs/fusion-index", help="folder of the dense index (rebuilt)")
    args = parser.parse_args()
    dataset = pt.get_dataset(f"irds:{args.setting}")
    topics, qrels = dataset.get_topics(), dataset.get_qrels()
    docs = pd.DataFrame(dataset.get_corpus_iter(verbose=False))
    lang = language_of(docs["docno"].iloc[0])
    pool = len(docs)
    bm25 = ph.BM25Index.build(docs, lang).retriever(num_results=pool)
    encoder = ph.DenseEncoder(args.model)
    index = ph.DenseIndex(args.index, encoder)
    index.indexer(mode="overwrite").index(docs.to_dict(orient="records"))
    dense = encoder.query_encoder() >> index.retriever(lang, num_results=None)
    norm = PerQueryMaxMinScoreTransformer()  # PyTerrier's (pyterrier-alpha 0.16.5's PerQueryMaxMinScore fails to import)
    systems = {"BM25": bm25, "dense": dense, "0.3 BM25 + 0.7 dense (raw)": 0.3 * bm25 + 0.7 * dense,
               "0.3 BM25 + 0.7 dense (max-min)": 0.3 * (bm25 >> norm) + 0.7 * (dense >> norm),
               "RRF(BM25, dense)": pta.RRFusion(bm25, dense)}
    result = pt.Experiment(list(systems.values()), topics, qrels, eval_metrics=[AP, nDCG @ 10],
                           names=list(systems), baseline=1, correction="holm")
    print(result.round(4).to_string(index=False))


if __name__ == "__main__":
    main()
