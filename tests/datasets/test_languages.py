import ir_datasets
import pytest

import datasets_ext
from datasets_ext import LANGUAGES, MIRACL_LANGUAGES, check_languages, dataset_id, dataset_ids, language_of


def test_unknown_language_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'xx'.*valid languages: ar de el en es hi ru th tr vi zh"):
        check_languages("xquad-r", ["de", "xx"])
    with pytest.raises(ValueError, match="valid languages: ar de en es hi vi zh"):
        dataset_id("mlqa-r", "de", "el")  # Greek is in XQuAD-R only


def test_unknown_family_and_kind():
    with pytest.raises(ValueError, match="valid families: xquad-r, mlqa-r, miracl"):
        dataset_id("squad", "en")
    with pytest.raises(ValueError, match="valid kinds: mono, cross, multi"):
        dataset_ids("xquad-r", "bilingual")


def test_miracl_is_monolingual_only():
    with pytest.raises(ValueError, match="monolingual only.*valid pairs: ar-ar"):
        dataset_id("miracl", "de", "en")
    with pytest.raises(ValueError, match="no split 'train'"):
        dataset_id("miracl", "de", split="train")  # German has a dev split only
    assert dataset_id("miracl", "sw") == "miracl/sw-sw/dev"


@pytest.mark.parametrize("family,n_lang", [("xquad-r", 11), ("mlqa-r", 7)])
def test_setting_counts(family, n_lang):
    assert len(dataset_ids(family, "mono")) == n_lang
    assert len(dataset_ids(family, "cross")) == n_lang * (n_lang - 1)
    assert len(dataset_ids(family, "multi")) == n_lang
    assert len(dataset_ids(family)) == n_lang * (n_lang + 1)
    assert dataset_ids(family, "cross", ["de", "en"]) == [f"{family}/de-en", f"{family}/en-de"]


def test_every_setting_and_alias_is_registered():
    registered = set(ir_datasets.registry)
    for family in LANGUAGES:
        assert family in registered
        assert set(dataset_ids(family)) <= registered
        assert {f"{family}/{x}" for x in LANGUAGES[family]} <= registered
    for lang, splits in MIRACL_LANGUAGES.items():
        assert f"miracl/{lang}" in registered  # the ir_datasets loader we build on
        for split in splits:
            assert f"miracl/{lang}/{split}" in registered
            assert dataset_id("miracl", lang, split=split) in registered
    assert set(datasets_ext.REGISTERED_IDS) <= registered


def test_language_of():
    assert language_of("de:0:0:3") == "de"
    assert language_of("de:56beb4343aeaaa14008c925b") == "de"
    with pytest.raises(ValueError, match="no language prefix"):
        language_of("56beb4343aeaaa14008c925b")
