"""pyterrier-hybrid: hybrid batch training of multilingual dense retrievers for PyTerrier.

Importing the package registers the XQuAD-R, MLQA-R and MIRACL datasets with ir_datasets. The public API below
is loaded on first access (``pyterrier_hybrid._lazy``), so the import does not pull in torch or
sentence-transformers until they are needed; everything else stays importable from its module.
"""
from __future__ import annotations

import datasets_ext  # noqa: F401  (registers the datasets)
from pyterrier_hybrid._lazy import lazy_exports

__version__ = "0.1.0"
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "datasets_ext": ("FAMILIES", "KINDS", "LANGUAGES", "Setting", "dataset_id", "dataset_ids", "settings"),
    "training.config": ("STRATEGY_NAMES", "TrainConfig"),
    "training.parallel_qa": ("ParallelQA",),
    "training.train": ("train",),
    "training.samplers": ("HybridBatchSampler", "XXBatchSampler", "XXMixedBatchSampler", "XYBatchSampler", "RandomBatchSampler"),
    "retrieval.encoder": ("DenseEncoder",),
    "retrieval.index": ("DenseIndex",),
    "retrieval.bm25": ("BM25Index", "BM25Indexer"),
    "evaluation.bias": ("RankDistance", "SameLangPref"),
    "evaluation.collection": ("Collection",),
    "evaluation.systems": ("BM25System", "DenseSystem", "PipelineSystem"),
    "evaluation.matrix": ("run_matrix",),
    "experiments.config": ("StudyConfig", "TrainingSetup", "full_config", "quick_config"),
    "experiments.reproduce": ("run_study",),
    "experiments.sweep": ("run_sweep",),
    "models.resolve": ("DEFAULT_MODEL", "resolve_model"),
})
