"""Parallel QA data, batch samplers (X-X, X-X-mono, X-Y, hybrid) and train().

The samplers subclass sentence-transformers' batch sampler, whose import takes seconds: they are loaded on
first access (module ``__getattr__``), so ``import pyterrier_hybrid`` stays fast. ``train`` is bound here
eagerly (its module imports sentence-transformers only when called), so ``training.train`` is the function.
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

from pyterrier_hybrid.training.pairs import PairKeys
from pyterrier_hybrid.training.parallel_qa import ParallelQA
from pyterrier_hybrid.training.train import NonFiniteLossError, train

_LAZY = {name: "samplers" for name in ("STRATEGIES", "BatchStats", "HybridBatchSampler", "ParallelBatchSampler",
                                       "XXBatchSampler", "XXMonoBatchSampler", "XYBatchSampler")}

__all__ = ["ParallelQA", "PairKeys", "STRATEGIES", "BatchStats", "ParallelBatchSampler", "XXBatchSampler",
           "XXMonoBatchSampler", "XYBatchSampler", "HybridBatchSampler", "NonFiniteLossError", "train"]


def __getattr__(name: str):
    """An exported name, loaded from its module on first access; or a submodule, imported (as eager imports did)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from pyterrier_hybrid.training.samplers import (STRATEGIES, BatchStats, HybridBatchSampler,
                                                    ParallelBatchSampler, XXBatchSampler, XXMonoBatchSampler,
                                                    XYBatchSampler)
