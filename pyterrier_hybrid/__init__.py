"""pyterrier-hybrid: hybrid batch training of multilingual dense retrievers for PyTerrier.

Importing the package registers the XQuAD-R, MLQA-R and MIRACL datasets with ir_datasets.
The names of the subpackages (``train``, ``ParallelQA``, ``DenseEncoder``, ``run_study``, ``resolve_model``, ...)
are loaded on first access (``pyterrier_hybrid._lazy``), so the import does not pull in torch or
sentence-transformers until they are needed.
"""
from __future__ import annotations

import datasets_ext
from datasets_ext import (FAMILIES, LANGUAGES, MIRACL_LANGUAGES, dataset_id, dataset_ids,
                          check_languages)
from pyterrier_hybrid import evaluation, experiments, models, retrieval, training
from pyterrier_hybrid._lazy import lazy_exports

__version__ = "0.1.0"
_LAZY = {name: sub.__name__.rsplit(".", 1)[1]
         for sub in (training, retrieval, evaluation, experiments, models) for name in sub.__all__}
__all__ = ["FAMILIES", "LANGUAGES", "MIRACL_LANGUAGES", "dataset_id", "dataset_ids", "check_languages", *_LAZY]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
