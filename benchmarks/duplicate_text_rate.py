"""How often a training batch holds the same raw text twice (one item's positive is then another's in-batch
negative), per family and strategy, over one epoch of each sampler at the given batch size.

    PYTERRIER_HYBRID_LAREQA=../shared/data/lareqa python benchmarks/duplicate_text_rate.py [--batch-size 32]
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from pyterrier_hybrid.evaluation.report import markdown_table
from pyterrier_hybrid.training import ParallelQA
from pyterrier_hybrid.training.pairs import PairKeys
from pyterrier_hybrid.training.samplers import STRATEGIES


def duplicate_rate(pairs: PairKeys, strategy: str, batch_size: int, seed: int) -> tuple[int, int, int]:
    """(batches, batches with a repeated text across anchor and positive columns, repeated texts)."""
    sampler = STRATEGIES[strategy](pairs.dataset(), batch_size=batch_size, seed=seed, pairs=pairs)
    batches = bad = repeats = 0
    for keys in sampler:
        texts = pairs.texts(keys)
        column = texts["anchor"] + texts["positive"]
        extra = len(column) - len(set(column))
        batches, bad, repeats = batches + 1, bad + (extra > 0), repeats + extra
    return batches, bad, repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    rows = []
    for family in ("xquad-r", "mlqa-r"):
        pairs = PairKeys(ParallelQA.from_irds(family))
        for strategy in STRATEGIES:
            counts = np.array([duplicate_rate(pairs, strategy, args.batch_size, seed) for seed in args.seeds]).sum(0)
            rows.append({"family": family, "strategy": strategy, "batches": counts[0],
                         "batches with a repeated text": counts[1], "share": counts[1] / counts[0],
                         "repeated texts per batch": counts[2] / counts[0]})
    print(f"batch size {args.batch_size}, seeds {args.seeds}, one epoch each")
    print(markdown_table(pd.DataFrame(rows), floatfmt=".4f"))


if __name__ == "__main__":
    main()
