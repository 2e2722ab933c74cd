"""One Setting type: registration, dataset ids and the evaluation matrix all take their settings from it."""
from __future__ import annotations

import ir_datasets
import pandas as pd
import pytest

import datasets_ext
from datasets_ext import KINDS, LANGUAGES, Setting, settings
from datasets_ext.settings import setting
from pyterrier_hybrid.evaluation.collection import Collection, qrels_frame


def test_settings_counts_and_kinds():
    assert len(settings("xquad-r")) == 11 + 110 + 11
    assert len(settings("mlqa-r", kinds="cross")) == 42
    assert {s.kind for s in settings("mlqa-r")} == set(KINDS)
    assert settings("miracl", ["de"], KINDS) == [Setting("miracl", "mono", "de", ("de",))]


def test_every_registered_setting_is_a_setting():
    for s in settings("xquad-r") + settings("mlqa-r"):
        assert s.dataset_id in datasets_ext.REGISTERED_IDS
    assert setting("xquad-r", "de", "en").dataset_id == "xquad-r/de-en"
    assert setting("xquad-r", "de", "multi").pool_langs == LANGUAGES["xquad-r"]


def test_unknown_kind_language_or_pair_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid kinds: mono, cross, multi"):
        settings("xquad-r", kinds=["mixed"])
    with pytest.raises(ValueError, match="valid languages"):
        setting("mlqa-r", "el")
    with pytest.raises(ValueError, match="monolingual only"):
        setting("miracl", "de", "en")


def test_a_multilingual_pool_over_some_languages_has_no_registered_id_but_a_dataset(fixture_release):
    s = setting("mlqa-r", "de", "multi", languages=["de", "en"])
    assert s.dataset_id is None
    qrels = pd.DataFrame(s.dataset().qrels_iter())
    assert set(qrels["doc_id"].str[:2]) == {"de", "en"}


def test_the_matrix_takes_its_qrels_from_the_dataset_layer(fixture_release):
    collection = Collection.load("mlqa-r")
    for s in collection.settings():
        ours = collection.qrels(s).sort_values(["query_id", "doc_id"]).reset_index(drop=True)
        irds = pd.DataFrame(ir_datasets.load(s.dataset_id).qrels_iter())[["query_id", "doc_id", "relevance"]]
        assert ours.equals(irds.sort_values(["query_id", "doc_id"]).reset_index(drop=True)), s
    sample = collection.sample_queries(3, seed=1)
    cross = setting("mlqa-r", "de", "en")
    assert set(sample.qrels(cross)["query_id"]) <= set(sample.data["de"].query_ids)
    assert len(qrels_frame(cross)) >= len(sample.qrels(cross))
