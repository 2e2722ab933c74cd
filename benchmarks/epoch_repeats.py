"""Rows used twice within one epoch of each sampler on the real data (a known bug of the layered plan, README).

    PYTERRIER_HYBRID_LAREQA=... .venv/bin/python benchmarks/epoch_repeats.py [--epochs 4]

Per family, languages, global batch size and strategy: the repeated rows in each of the first epochs. ``xx`` (one
language drawn uniformly per batch) and ``hybrid`` at a fixed alpha take more batches from a source than one pass
holds by design, so they repeat rows anyway; ``xy``, ``xx-mixed`` and the proportional hybrid should repeat none.
"""
from __future__ import annotations

import argparse

import numpy as np

from pyterrier_hybrid.training import STRATEGIES, PairKeys, ParallelQA

CASES = (("mlqa-r", ("en", "de", "zh"), 16), ("mlqa-r", None, 32), ("xquad-r", ("en", "de", "zh"), 16),
         ("xquad-r", None, 32))
RUNS = (("xy", {}), ("xx-mixed", {}), ("hybrid", {"alpha": "proportional", "xx_languages": "proportional"}),
        ("hybrid", {}), ("xx", {}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    for family, languages, batch_size in CASES:
        pairs = PairKeys(ParallelQA.from_irds(family, languages))
        for strategy, kwargs in RUNS:
            sampler = STRATEGIES[strategy](pairs.dataset(), batch_size, False, seed=0, pairs=pairs, **kwargs)
            repeats = []
            for n in range(args.epochs):
                sampler.set_epoch(n)
                keys = np.concatenate(list(sampler)).astype(int)
                repeats.append(len(keys) - len(set(keys.tolist())))
            name = strategy + (" proportional" if kwargs else "")
            print(f"{family} {' '.join(languages or ['(all)'])} batch {batch_size} {name:20s} "
                  f"{len(sampler)} batches an epoch, rows used twice per epoch {repeats}", flush=True)


if __name__ == "__main__":
    main()
