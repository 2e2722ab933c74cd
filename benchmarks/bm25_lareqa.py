"""BM25 on every XQuAD-R / MLQA-R monolingual setting (full pool), for several analysis choices.

    PYTERRIER_HYBRID_LAREQA=../shared/data/lareqa .venv/bin/python benchmarks/bm25_lareqa.py [--family xquad-r]

Prints per-language mAP and nDCG@10 of each analysis variant (Markdown) and their means.
``ours`` is what ``pyterrier_hybrid.BM25Indexer`` does; the others are baselines.
"""
from __future__ import annotations

import argparse
import re
import time

import bm25s
import ir_datasets
import numpy as np
import pandas as pd
import Stemmer

import datasets_ext
from pyterrier_hybrid.evaluation.metrics import evaluate_scores
from pyterrier_hybrid.evaluation.report import markdown_table
from pyterrier_hybrid.retrieval.analysis import STEMMERS
from pyterrier_hybrid.retrieval.bm25 import BM25Index

MEASURES = ["AP", "nDCG@10"]


def baseline_tokenizers(lang: str) -> dict:
    """Naive analyses to compare against: whitespace split, and a ``\\w+`` regex with Snowball stems."""
    stem = Stemmer.Stemmer(STEMMERS[lang]).stemWords if lang in STEMMERS else list
    return {"whitespace": lambda t: t.lower().split(), "regex-w+-stem": lambda t: stem(re.findall(r"\w+", t.lower()))}


def baseline_scores(tokenize, docs: list[str], queries: list[str]) -> np.ndarray:
    model = bm25s.BM25()
    model.index([tokenize(t) or [""] for t in docs], show_progress=False)
    out = np.zeros((len(queries), len(docs)), dtype=np.float32)
    for i, q in enumerate(queries):
        ids = model.get_tokens_ids(tokenize(q))
        if ids:
            out[i] = model.get_scores(ids)
    return out


def evaluate_language(family: str, lang: str) -> list[dict]:
    ds = ir_datasets.load(datasets_ext.dataset_id(family, lang))
    docs = pd.DataFrame(ds.docs_iter())[["doc_id", "text"]].rename(columns={"doc_id": "docno"})
    queries = pd.DataFrame(ds.queries_iter())
    qrels = pd.DataFrame(ds.qrels_iter())
    variants = {name: baseline_scores(tok, docs.text.tolist(), queries.text.tolist())
                for name, tok in baseline_tokenizers(lang).items()}
    for name, stem in (("ours-nostem", False), ("ours", True)):
        start = time.perf_counter()
        variants[name] = BM25Index.build(docs, lang, stem=stem).scores(queries.text.tolist())
        if stem:
            seconds = time.perf_counter() - start
    rows = []
    for name, scores in variants.items():
        values = evaluate_scores(scores, queries.query_id.tolist(), docs.docno.tolist(), qrels, MEASURES)
        means = values.groupby("measure")["value"].mean()
        rows.append({"family": family, "lang": lang, "variant": name, **means.to_dict(),
                     "seconds": seconds if name == "ours" else np.nan})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=list(datasets_ext.LANGUAGES), nargs="+", default=["xquad-r", "mlqa-r"])
    args = parser.parse_args()
    rows = [row for family in args.family for lang in datasets_ext.LANGUAGES[family]
            for row in evaluate_language(family, lang)]
    df = pd.DataFrame(rows)
    for family, part in df.groupby("family", sort=False):
        print(f"\n## {family}: mAP per analysis variant\n")
        print(markdown_table(part.pivot(index="lang", columns="variant", values="AP")))
        ours = part[part.variant == "ours"].set_index("lang")[["AP", "nDCG@10", "seconds"]]
        ours.loc["mean"] = ours.mean()
        print(f"\n## {family}: ours (index + score the full pool; seconds)\n")
        print(markdown_table(ours))
        print("\nmeans:", part.groupby("variant")[["AP", "nDCG@10"]].mean().round(4).to_dict("index"))


if __name__ == "__main__":
    main()
