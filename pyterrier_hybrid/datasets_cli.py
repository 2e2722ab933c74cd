"""`pyterrier-hybrid datasets`: list the registered datasets and describe one setting."""
from __future__ import annotations

import argparse

import ir_datasets

import datasets_ext
from datasets_ext import FAMILIES, dataset_ids


def add_datasets_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("datasets", help="list the datasets and show one setting's counts and an example")
    parser.add_argument("--show", default="xquad-r/de-en", metavar="ID",
                        help="dataset id to describe (default: %(default)s)")
    parser.set_defaults(handler=run_datasets)


def describe(ds_id: str) -> str:
    """Counts of queries, candidates and qrels of ``ds_id`` and its first query with its relevant candidate."""
    if ds_id not in datasets_ext.REGISTERED_IDS:
        raise ValueError(f"unknown dataset {ds_id!r}; e.g. {', '.join(dataset_ids('xquad-r', 'cross')[:3])}, "
                         f"... (see `pyterrier-hybrid datasets`)")
    ds = ir_datasets.load(ds_id)
    lines = [f"{ds_id}: {ds.docs_count()} candidates"]
    if ds.has_queries():
        qrels = list(ds.qrels_iter())
        query = next(iter(ds.queries_iter()))
        answer = next(q.doc_id for q in qrels if q.query_id == query.query_id)
        lines[0] += f", {ds.queries_count()} queries, {len(qrels)} qrels"
        lines += [f"  query     {query.query_id}: {query.text}",
                  f"  relevant  {answer}: {ds.docs_store().get(answer).text}"]
    return "\n".join(lines)


def run_datasets(args: argparse.Namespace) -> None:
    for family in FAMILIES:
        ids = [i for i in datasets_ext.REGISTERED_IDS if i == family or i.startswith(f"{family}/")]
        print(f"{family}: {len(ids)} datasets, e.g. {', '.join(ids[:4])}, ...")
    print(describe(args.show))
