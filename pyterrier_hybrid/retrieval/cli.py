"""``pyterrier-hybrid index``: a dataset's corpus encoded into a dense index, resumable and split over processes."""
from __future__ import annotations

import argparse

from pyterrier_hybrid import cli_options


def add_index_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("index", help="encode an ir_datasets corpus into a dense index (resumable, sharded)",
                              description=run_index.__doc__)
    p.add_argument("--dataset", required=True, help="ir_datasets id with documents, e.g. xquad-r/multi or miracl/sw")
    p.add_argument("--model", required=True, metavar="PATH", help="sentence-transformers model (directory or name)")
    cli_options.add_prompts(p)
    cli_options.add_encoding(p, preset=False)
    p.add_argument("--shard", type=_shard, help="RANK/COUNT: encode this process's share only (default: RANK and "
                                                "WORLD_SIZE of torchrun, else the whole corpus)")
    p.add_argument("--chunk-size", type=cli_options.positive_int, help="documents per resumable part "
                                                                       "(default 4096)")
    p.add_argument("--wait-timeout", type=float, help="shard 0 waits this many seconds for the other shards' parts "
                                                      "(default: as long as it takes)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing index")
    cli_options.add_output(p, required=True, help="index folder")
    p.set_defaults(handler=run_index)


def _shard(text: str):
    from pyterrier_hybrid.retrieval.parts import Shard
    try:
        return Shard.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def run_index(args: argparse.Namespace) -> None:
    """Encode the corpus of ``--dataset`` into a dense index at ``--out``. A killed run continues where it stopped
    when run again; several processes (``--shard R/N`` or ``torchrun``) encode disjoint parts, and shard 0 builds
    the index once every part is written."""
    import ir_datasets
    import pyterrier as pt

    import datasets_ext  # noqa: F401  (registers the project's datasets)
    from pyterrier_hybrid.retrieval import DenseEncoder, DenseIndex
    from pyterrier_hybrid.retrieval.fast import encode_precision
    from pyterrier_hybrid.retrieval.openvino_fast import calibration_family_for
    from pyterrier_hybrid.retrieval.parts import DEFAULT_CHUNK_SIZE, Shard

    try:
        dataset = ir_datasets.load(args.dataset)
    except KeyError:
        import difflib
        close = difflib.get_close_matches(args.dataset, list(ir_datasets.registry._registered), n=5, cutoff=0.5)
        raise ValueError(f"unknown dataset {args.dataset!r}" + (f"; did you mean {', '.join(close)}?" if close else
                         "; the project's ids start with xquad-r/, mlqa-r/ or miracl/")) from None
    if not dataset.has_docs():
        raise ValueError(f"dataset {args.dataset!r} has no documents to index")
    encoder = DenseEncoder(args.model, query_prompt=args.query_prompt, doc_prompt=args.document_prompt,
                           batch_size=args.encode_batch_size, fast=encode_precision(args.encode_precision),
                           calibration=calibration_family_for(args.dataset))
    shard = args.shard or Shard.from_env()
    indexer = DenseIndex(args.out, encoder).indexer(mode="overwrite" if args.overwrite else "create", shard=shard,
                                                  chunk_size=args.chunk_size or DEFAULT_CHUNK_SIZE,
                                                  wait_timeout=args.wait_timeout)
    corpus = pt.get_dataset(f"irds:{args.dataset}").get_corpus_iter(verbose=False)
    index = indexer.index(corpus, total=dataset.docs_count())
    if shard.rank == 0:
        print(f"indexed {len(index)} documents ({', '.join(f'{k} {v}' for k, v in index.languages().items())}) "
              f"into {args.out}")
    else:
        print(f"shard {shard.rank}/{shard.count}: parts written; shard 0 builds the index at {args.out}")
