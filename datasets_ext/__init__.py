"""ir_datasets extensions: importing this package registers XQuAD-R, MLQA-R and MIRACL per language."""
from datasets_ext.languages import (FAMILIES, LANGUAGES, MIRACL_LANGUAGES, MULTI, check_languages,
                                    dataset_id, dataset_ids, language_of)

__all__ = ["FAMILIES", "LANGUAGES", "MIRACL_LANGUAGES", "MULTI", "check_languages", "dataset_id",
           "dataset_ids", "language_of"]
