"""Parallel QA data, batch samplers (X-X, X-X-mono, X-Y, hybrid) and train()."""
from pyterrier_hybrid.training.pairs import PairKeys
from pyterrier_hybrid.training.parallel_qa import ParallelQA
from pyterrier_hybrid.training.samplers import (STRATEGIES, BatchStats, HybridBatchSampler, ParallelBatchSampler,
                                                XXBatchSampler, XXMonoBatchSampler, XYBatchSampler)
from pyterrier_hybrid.training.train import NonFiniteLossError, train

__all__ = ["ParallelQA", "PairKeys", "STRATEGIES", "BatchStats", "ParallelBatchSampler", "XXBatchSampler",
           "XXMonoBatchSampler", "XYBatchSampler", "HybridBatchSampler", "NonFiniteLossError", "train"]
