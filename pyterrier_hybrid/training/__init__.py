"""Parallel QA data, batch samplers (X-X, X-X-mono, X-Y, hybrid) and train().

The samplers subclass sentence-transformers' batch sampler, whose import takes seconds: they are loaded on
first access (module ``__getattr__``), so ``import pyterrier_hybrid`` stays fast. ``train`` is bound here
eagerly (its module imports sentence-transformers only when called), so ``training.train`` is the function.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pyterrier_hybrid._lazy import lazy_exports
from pyterrier_hybrid.training.pairs import PairKeys
from pyterrier_hybrid.training.parallel_qa import ParallelQA
from pyterrier_hybrid.training.config import STRATEGY_NAMES, TrainConfig
from pyterrier_hybrid.training.train import NonFiniteLossError, train

_LAZY = {name: "samplers" for name in ("STRATEGIES", "BatchStats", "HybridBatchSampler", "ParallelBatchSampler",
                                       "XXBatchSampler", "XXMonoBatchSampler", "XYBatchSampler")}

__all__ = ["ParallelQA", "PairKeys", "STRATEGIES", "BatchStats", "ParallelBatchSampler", "XXBatchSampler",
           "XXMonoBatchSampler", "XYBatchSampler", "HybridBatchSampler", "NonFiniteLossError", "STRATEGY_NAMES", "TrainConfig", "train"]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


if TYPE_CHECKING:
    from pyterrier_hybrid.training.samplers import (STRATEGIES, BatchStats, HybridBatchSampler,
                                                    ParallelBatchSampler, XXBatchSampler, XXMonoBatchSampler,
                                                    XYBatchSampler)
