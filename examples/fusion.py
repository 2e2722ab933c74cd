"""BM25, a dense model, BM25 re-ranked by the dense model, and BM25 + dense fused three ways, on one XQuAD-R or
MLQA-R setting of any kind (monolingual, cross-lingual, multilingual), in a plain pt.Experiment with significance
(paired t-test against the dense model, Holm-corrected); in a multilingual pool also the bias measures.

    PYTERRIER_HYBRID_LAREQA=../shared/data/lareqa python examples/fusion.py [--setting xquad-r/de-en] [--model M]

Raw BM25 scores (~10) and cosines (~0.9) are on different scales, so a raw weighted sum is mostly BM25;
normalise first (PyTerrier's per-query max-min normalisation) or fuse ranks (pyterrier-alpha's ``RRFusion``).
Across languages BM25 matches only shared strings (names, numbers, cognates): lexical overlap only.
"""
from __future__ import annotations

import argparse

import pandas as pd
import pyterrier as pt
import pyterrier_alpha as pta
from ir_measures import AP, nDCG
from pyterrier.pipelines import PerQueryMaxMinScoreTransformer

import pyterrier_hybrid as ph
from pyterrier_hybrid.evaluation.bias import defined_topics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setting", default="xquad-r/de-de", help="a setting id, e.g. xquad-r/de-en, xquad-r/de-multi")
    parser.add_argument("--model", default=ph.DEFAULT_MODEL)
    parser.add_argument("--index", default="runs/fusion-index", help="folder of the dense index (rebuilt)")
    parser.add_argument("--rerank-depth", type=int, default=100, help="BM25 results the dense model re-ranks")
    args = parser.parse_args()
    dataset = pt.get_dataset(f"irds:{args.setting}")
    topics, qrels = dataset.get_topics(), dataset.get_qrels()
    docs = pd.DataFrame(dataset.get_corpus_iter(verbose=False))  # the setting's pool, its languages in the ids
    multi = args.setting.endswith("-multi")
    if multi:  # queries whose bias measures are defined (>= 2 relevant candidates, all in the pool)
        topics = defined_topics(topics, qrels, pool=docs["docno"])
    bm25 = ph.BM25Index.build(docs).retriever(num_results=len(docs))  # each text analysed in its own language
    encoder = ph.DenseEncoder(args.model)
    index = ph.DenseIndex(args.index, encoder)
    index.indexer(mode="overwrite").index(docs.to_dict(orient="records"))
    dense = encoder.query_encoder() >> index.retriever(num_results=None)  # the whole pool
    norm = PerQueryMaxMinScoreTransformer()  # PyTerrier's (pyterrier-alpha 0.16.5's PerQueryMaxMinScore fails to import)
    systems = {"BM25": bm25, "dense": dense,
               f"BM25 top {args.rerank_depth} >> dense": bm25 % args.rerank_depth
               >> pt.text.get_text(dataset, "text") >> encoder.text_scorer(),
               "0.3 BM25 + 0.7 dense (raw)": 0.3 * bm25 + 0.7 * dense,
               "0.3 BM25 + 0.7 dense (max-min)": 0.3 * (bm25 >> norm) + 0.7 * (dense >> norm),
               "RRF(BM25, dense)": pta.RRFusion(bm25, dense)}
    measures = [AP, nDCG @ 10] + ([ph.RankDistance, ph.SameLangPref] if multi else [])
    result = pt.Experiment(list(systems.values()), topics, qrels, eval_metrics=measures,
                           names=list(systems), baseline=1, correction="holm")
    columns = ["name"] + [c for m in measures for c in (str(m), f"{m} p-value corrected")]
    print(f"{args.setting}: {len(topics)} queries, {len(docs)} candidates")
    print(result[columns].round(4).to_string(index=False))


if __name__ == "__main__":
    main()
