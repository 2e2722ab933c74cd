"""The id scheme in one module: making ids, and reading the language and the item back."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, strategies as st

from datasets_ext.ids import item_of, items_of, language_of, language_or_none, languages_of, make_id, split_id

langs = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=3)
rests = st.text(min_size=1, max_size=20)


@given(langs, rests)
def test_make_then_split_round_trips(lang, rest):
    item = make_id(lang, rest)
    assert split_id(item) == (lang, rest)
    assert language_of(item) == lang and item_of(item) == rest
    assert languages_of([item]).tolist() == [lang] and items_of(pd.Series([item])).tolist() == [rest]


def test_candidate_ids_and_their_parts():
    assert make_id("de", 0, 0, 3) == "de:0:0:3"
    assert item_of("de:0:0:3") == "0:0:3"
    assert language_of("de:56beb4343aeaaa14008c925b") == "de"


@pytest.mark.parametrize("bad", ["56beb4343aeaaa14008c925b", ":x"])
def test_an_id_without_a_language_is_refused(bad):
    with pytest.raises(ValueError, match="no language prefix"):
        language_of(bad)
    with pytest.raises(ValueError, match="no language prefix"):
        languages_of(["de:1", bad])
    assert language_or_none(bad) is None


@pytest.mark.parametrize("lang", ["", "d:e"])
def test_a_bad_language_cannot_make_an_id(lang):
    with pytest.raises(ValueError, match="bad language code"):
        make_id(lang, "x")
