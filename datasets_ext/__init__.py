"""ir_datasets extensions: importing this package registers XQuAD-R, MLQA-R and MIRACL per language.

It also enters them into PyTerrier's dataset map, so ``pt.get_dataset("irds:xquad-r/de-en")``
gives topics with ``qid``, ``query`` and ``lang``.
"""
from datasets_ext import lareqa, miracl, pyterrier_bridge
from datasets_ext.ids import item_of, language_of, make_id
from datasets_ext.languages import ALL_LANGUAGES, FAMILIES, LANGUAGES, MIRACL_LANGUAGES, MULTI, check_languages
from datasets_ext.records import candidate_text
from datasets_ext.settings import KINDS, Setting, dataset_id, dataset_ids, settings

REGISTERED_IDS: list[str] = [*lareqa.REGISTERED_IDS, *miracl.REGISTERED_IDS]
pyterrier_bridge.register(REGISTERED_IDS)

__all__ = ["ALL_LANGUAGES", "FAMILIES", "KINDS", "LANGUAGES", "MIRACL_LANGUAGES", "MULTI", "REGISTERED_IDS",
           "Setting", "candidate_text", "check_languages", "dataset_id", "dataset_ids", "item_of", "language_of",
           "make_id", "settings"]
