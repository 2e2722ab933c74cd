"""The comparison of `pyterrier-hybrid reproduce`, from Python: BM25, the base model zero-shot, and the base
model fine-tuned with X-X, X-X (mixed), X-Y and hybrid batches, trained on one family, evaluated on the other.

    PYTERRIER_HYBRID_LAREQA=../shared/data/lareqa python examples/reproduce.py --quick [--seeds 0 1 2]

Finished parts are stored under the output folder and reused, so an interrupted run continues where it stopped.
"""
from __future__ import annotations

import argparse
import dataclasses

from pyterrier_hybrid.experiments import full_config, quick_config, run_study
from pyterrier_hybrid.models import DEFAULT_MODEL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="MLQA-R -> XQuAD-R in en de zh, 40 steps, 300 items")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    config = (quick_config if args.quick else full_config)(args.model)
    config = dataclasses.replace(config, seeds=tuple(args.seeds))
    result = run_study(config, args.out or f"runs/example-{'quick' if args.quick else 'full'}")
    print(result.markdown())
    summary = result.summary()  # tidy: family, system, kind, measure, mean, std, seeds
    hybrid_multi = summary.query("system == 'hybrid' and kind == 'multi' and measure == 'AP'")
    print("hybrid, multilingual mAP:", hybrid_multi["mean"].round(3).tolist())


if __name__ == "__main__":
    main()
