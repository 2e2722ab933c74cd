"""pyterrier-hybrid: hybrid batch training of multilingual dense retrievers for PyTerrier.

Importing the package registers the XQuAD-R, MLQA-R and MIRACL datasets with ir_datasets.
The names of the subpackages (``train``, ``ParallelQA``, ``DenseEncoder``, ...) are loaded on first access
(module ``__getattr__``), so the import does not pull in torch / sentence-transformers until they are needed.
"""
from __future__ import annotations

import datasets_ext
from datasets_ext import (FAMILIES, LANGUAGES, MIRACL_LANGUAGES, dataset_id, dataset_ids,
                          check_languages)
from pyterrier_hybrid import training as _training, retrieval as _retrieval, evaluation as _evaluation

__version__ = "0.1.0"
__all__ = ["FAMILIES", "LANGUAGES", "MIRACL_LANGUAGES", "dataset_id", "dataset_ids", "check_languages",
           *_training.__all__, *_retrieval.__all__, *_evaluation.__all__]
_SUBPACKAGES = (_training, _retrieval, _evaluation)


def __getattr__(name: str):
    """A subpackage's exported name, loaded on first access."""
    for sub in _SUBPACKAGES:
        if name in sub.__all__:
            value = getattr(sub, name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
