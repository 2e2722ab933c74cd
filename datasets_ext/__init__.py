"""ir_datasets extensions: importing this package registers XQuAD-R, MLQA-R and MIRACL per language.

It also enters them into PyTerrier's dataset map, so ``pt.get_dataset("irds:xquad-r/de-en")``
gives topics with ``qid``, ``query`` and ``lang``.
"""
from datasets_ext import lareqa, miracl, pyterrier_bridge
from datasets_ext.languages import (FAMILIES, LANGUAGES, MIRACL_LANGUAGES, MULTI, check_languages,
                                    dataset_id, dataset_ids, language_of)

REGISTERED_IDS: list[str] = [*lareqa.REGISTERED_IDS, *miracl.REGISTERED_IDS]
pyterrier_bridge.register(REGISTERED_IDS)

__all__ = ["FAMILIES", "LANGUAGES", "MIRACL_LANGUAGES", "MULTI", "REGISTERED_IDS", "check_languages",
           "dataset_id", "dataset_ids", "language_of"]
