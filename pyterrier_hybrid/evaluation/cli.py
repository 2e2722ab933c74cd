"""`pyterrier-hybrid evaluate`: the language-pair matrix of BM25 and dense models, written as reports."""
from __future__ import annotations

import argparse
from pathlib import Path

from datasets_ext import FAMILIES, KINDS
from pyterrier_hybrid.evaluation.matrix import BM25System, DenseSystem, run_matrix


def add_evaluate_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="evaluate BM25 and dense models on every language pair")
    p.add_argument("--dataset", required=True, choices=FAMILIES, help="benchmark family")
    p.add_argument("--model", action="append", default=[], metavar="PATH",
                   help="sentence-transformers model (directory or name); repeat for several")
    p.add_argument("--name", action="append", default=[], help="display name per --model (default: the path)")
    p.add_argument("--no-bm25", dest="bm25", action="store_false", help="leave out the BM25 baseline")
    p.add_argument("--languages", nargs="+", help="restrict to these languages (default: all of the family)")
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS, help="setting kinds")
    p.add_argument("--measures", nargs="+", help="ir_measures names (default: AP nDCG@10 R@1 R@10 R@100 RR@10)")
    p.add_argument("--query-prompt", help='e.g. "query: " (default: the model\'s own query prompt)')
    p.add_argument("--doc-prompt", help='e.g. "passage: " (default: the model\'s own document prompt)')
    p.add_argument("--with-context", action="store_true", help="encode candidates as sentence + paragraph")
    p.add_argument("--max-seq-length", type=int)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--fast", nargs="?", const=True, default=False, metavar="MODE",
                   help="approximate, faster encoding: alone the fastest mode that keeps mAP (bf16 on CPUs with "
                        "native bfloat16), or a mode: fp32, bf16, bf16-autocast, int8, onnx-int8 "
                        "(see pyterrier_hybrid.retrieval.fast)")
    p.add_argument("--runs", action="store_true", help="also write a TREC run file (top 100) per setting")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.set_defaults(handler=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> None:
    from pyterrier_hybrid.retrieval import DenseEncoder
    if args.name and len(args.name) != len(args.model):
        raise ValueError(f"{len(args.name)} --name for {len(args.model)} --model; give one per model or none")
    systems = [BM25System()] if args.bm25 else []
    for i, model in enumerate(args.model):  # every model is loaded (and checked) before anything is encoded
        encoder = DenseEncoder(model, query_prompt=args.query_prompt, doc_prompt=args.doc_prompt,
                               max_seq_length=args.max_seq_length, batch_size=args.batch_size, fast=args.fast)
        systems.append(DenseSystem(encoder, args.name[i] if args.name else None))
    result = run_matrix(args.dataset, systems, args.languages, kinds=args.kinds, measures=args.measures,
                        with_context=args.with_context, run_dir=args.out / "runs" if args.runs else None)
    paths = result.save(args.out)
    print(result.macro().round(4).to_string())
    print(f"texts encoded per model: {result.encoded}; wrote {len(paths)} files to {args.out}")
