"""`pyterrier-hybrid evaluate`: the language-pair matrix of BM25 and dense models, written as reports."""
from __future__ import annotations

import argparse

import pandas as pd

from datasets_ext import FAMILIES, KINDS
from pyterrier_hybrid import cli_options
from pyterrier_hybrid.core.paths import check_cache_writable, check_writable
from pyterrier_hybrid.evaluation.collection import Collection
from pyterrier_hybrid.evaluation.matrix import run_matrix
from pyterrier_hybrid.evaluation.systems import BM25System, DenseSystem

#: Corrections statsmodels' ``multipletests`` knows (the names ``pt.Experiment(correction=)`` takes).
CORRECTIONS: tuple[str, ...] = ("holm", "bonferroni", "holm-sidak", "sidak", "hommel", "fdr_bh", "fdr_by")


def add_evaluate_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="evaluate BM25 and dense models on every language pair")
    p.add_argument("--dataset", required=True, choices=FAMILIES, help="benchmark family")
    p.add_argument("--model", action="append", default=[], metavar="PATH",
                   help="sentence-transformers model (directory or name); repeat for several")
    p.add_argument("--name", action="append", default=[], help="display name per --model (default: the path)")
    p.add_argument("--no-bm25", dest="bm25", action="store_false", help="leave out the BM25 baseline")
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS, help="setting kinds")
    p.add_argument("--measures", nargs="+", help="ir_measures names (default: AP nDCG@10 R@1 R@10 R@100 RR@10)")
    cli_options.add_evaluation(p, preset=False)
    cli_options.add_prompts(p)
    p.add_argument("--baseline", metavar="NAME",
                   help="system the others are tested against (paired t-test over queries, as pt.Experiment; "
                        "default: BM25, or the first model with --no-bm25); 'none': no tests")
    p.add_argument("--correction", default="holm", choices=CORRECTIONS,
                   help="multiple-comparison correction over the systems (statsmodels' multipletests, as "
                        "pt.Experiment(correction=)); default holm")
    p.add_argument("--runs", action="store_true", help="also write a TREC run file (top 100) per setting")
    cli_options.add_output(p, required=True, help="output folder")
    cli_options.deprecated(p, "--languages", "--eval-languages", "eval_languages", nargs="+")
    cli_options.deprecated(p, "--batch-size", "--encode-batch-size", "encode_batch_size", type=int)
    cli_options.deprecated(p, "--max-seq-length", "--eval-max-seq-length", "eval_max_seq_length", type=int)
    p.set_defaults(handler=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> None:
    from pyterrier_hybrid.retrieval import DenseEncoder
    from pyterrier_hybrid.retrieval.fast import encode_precision
    from pyterrier_hybrid.retrieval.openvino_fast import calibration_family_for
    if args.name and len(args.name) != len(args.model):
        raise ValueError(f"{len(args.name)} --name for {len(args.model)} --model; give one per model or none")
    check_cache_writable()
    systems = [BM25System()] if args.bm25 else []
    for i, model in enumerate(args.model):  # every model is loaded (and checked) before anything is encoded
        encoder = DenseEncoder(model, query_prompt=args.query_prompt, doc_prompt=args.document_prompt,
                               max_seq_length=args.eval_max_seq_length, batch_size=args.encode_batch_size,
                               fast=encode_precision(args.encode_precision),
                               calibration=calibration_family_for(args.dataset))
        systems.append(DenseSystem(encoder, args.name[i] if args.name else None))
    names = [s.name for s in systems]
    if not names:
        raise ValueError("nothing to evaluate: give --model, or leave out --no-bm25")
    baseline = args.baseline or (names[0] if names else None)
    if baseline not in (*names, "none"):
        raise ValueError(f"--baseline {baseline!r} is not a system of this evaluation; systems: {', '.join(names)}")
    check_writable(args.out, "--out")  # after every argument is checked, before any work
    collection = Collection.load(args.dataset, args.eval_languages, with_context=args.with_context)
    if args.eval_items:
        collection = collection.sample_queries(args.eval_items)
    result = run_matrix(args.dataset, systems, kinds=args.kinds, measures=args.measures, collection=collection,
                        run_dir=args.out / "runs" if args.runs else None, per_query=baseline != "none")
    paths = result.save(args.out)
    print(result.macro().round(4).to_string())
    if baseline != "none" and len(names) > 1:
        paths += write_significance(result, args.dataset, baseline, args.correction, args.out)
    print(f"texts encoded per model: {result.encoded}; wrote {len(paths)} files to {args.out}")


def write_significance(result, family: str, baseline: str, correction: str, out) -> list:
    """Every other system against ``baseline``: ``significance.csv`` and a table appended to ``results.md``."""
    from pyterrier_hybrid.evaluation.report import markdown_table
    from pyterrier_hybrid.evaluation.significance import baseline_tests, delta_table
    others = [s for s in pd.unique(result.results["system"]) if s != baseline]
    tests = baseline_tests(result.per_query.assign(family=family), baseline, others, correction=correction)
    tests.to_csv(out / "significance.csv", index=False)
    measures = list(pd.unique(result.results["measure"]))
    with open(out / "results.md", "a", encoding="utf-8") as f:
        f.write(f"\nSystem minus {baseline}, paired t-test over queries, {correction}-corrected over the systems "
                f"(`*`: p < 0.05):\n\n{markdown_table(delta_table(tests, ['system', 'kind'], measures))}\n")
    print(f"significance against {baseline} ({correction}): {out / 'significance.csv'}")
    return [out / "significance.csv"]
