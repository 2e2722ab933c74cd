"""pyterrier-hybrid: hybrid batch training of multilingual dense retrievers for PyTerrier.

Importing the package registers the XQuAD-R, MLQA-R and MIRACL datasets with ir_datasets.
"""
import datasets_ext
from datasets_ext import (FAMILIES, LANGUAGES, MIRACL_LANGUAGES, dataset_id, dataset_ids,
                          check_languages)
from pyterrier_hybrid.training import *  # noqa: F401,F403  (each subpackage defines __all__)
from pyterrier_hybrid.retrieval import *  # noqa: F401,F403
from pyterrier_hybrid.evaluation import *  # noqa: F401,F403
from pyterrier_hybrid import training as _training, retrieval as _retrieval, evaluation as _evaluation

__version__ = "0.1.0"
__all__ = ["FAMILIES", "LANGUAGES", "MIRACL_LANGUAGES", "dataset_id", "dataset_ids", "check_languages",
           *_training.__all__, *_retrieval.__all__, *_evaluation.__all__]
