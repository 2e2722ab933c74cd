"""Parallel QA data, batch samplers (X-X, X-X (mixed), X-Y, hybrid), TrainConfig and train().

The samplers subclass sentence-transformers' batch sampler, whose import takes seconds: names are loaded from
their modules on first access (see ``pyterrier_hybrid._lazy``), so ``import pyterrier_hybrid`` stays fast.
``train`` is bound eagerly (its module imports sentence-transformers only when called), so that
``training.train`` is the function even after the module ``training.train`` was imported.
"""
from __future__ import annotations

from pyterrier_hybrid._lazy import lazy_exports
from pyterrier_hybrid.training.train import NonFiniteLossError, train

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "config": ("STRATEGY_NAMES", "TrainConfig"),
    "pairs": ("PairKeys",),
    "parallel_qa": ("ParallelQA",),
    "samplers": ("STRATEGIES", "BatchStats", "HybridBatchSampler", "ParallelBatchSampler", "XXBatchSampler",
                 "XXMixedBatchSampler", "XYBatchSampler", "RandomBatchSampler"),
})
__all__ += ["NonFiniteLossError", "train"]
