"""The id scheme, in one place: every query and candidate id starts with its language, ``{lang}:{rest}``.

* query ``{lang}:{question id}`` (question ids are shared across languages: the *item*);
* LAReQA candidate ``{lang}:{article}:{paragraph}:{sentence}`` (0-based, file order);
* MIRACL passage ``{lang}:{original id}``.

The language is the text before the first colon, the item the text after it (``docs/method.md``).
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

SEPARATOR = ":"


def make_id(lang: str, *parts: object) -> str:
    """``make_id("de", 0, 0, 3) == "de:0:0:3"``; ``make_id("de", "56beb...")`` is a query id."""
    if not lang or SEPARATOR in lang:
        raise ValueError(f"bad language code {lang!r} for an id")
    return SEPARATOR.join([lang, *map(str, parts)])


def split_id(item_id: str) -> tuple[str, str]:
    """(language, rest) of an id; an id without a language prefix is a ValueError."""
    lang, sep, rest = str(item_id).partition(SEPARATOR)
    if not sep or not lang:
        raise ValueError(f"id {item_id!r} has no language prefix ('lang:...')")
    return lang, rest


def language_of(item_id: str) -> str:
    """The language of a query or document id (the text before the first colon)."""
    return split_id(item_id)[0]


def item_of(item_id: str) -> str:
    """The id without its language: the question id shared by an item's translations."""
    return split_id(item_id)[1]


def language_or_none(item_id: str) -> str | None:
    """The language of an id, or None for an id from outside the scheme (no prefix)."""
    lang, sep, _ = str(item_id).partition(SEPARATOR)
    return lang if sep and lang else None


def _parts(ids: Iterable[str] | pd.Series) -> pd.DataFrame:
    series = ids if isinstance(ids, pd.Series) else pd.Series(list(ids), dtype=object)
    parts = series.astype(str).str.partition(SEPARATOR)
    bad = (parts[1] == "") | (parts[0] == "")
    if bad.any():
        raise ValueError(f"{int(bad.sum())} id(s) have no language prefix ('lang:...'), "
                         f"e.g. {series[bad].iloc[0]!r}")
    return parts


def languages_of(ids: Iterable[str] | pd.Series) -> np.ndarray:
    """:func:`language_of` of many ids at once (an object array)."""
    return _parts(ids)[0].to_numpy()


def items_of(ids: Iterable[str] | pd.Series) -> np.ndarray:
    """:func:`item_of` of many ids at once (an object array)."""
    return _parts(ids)[2].to_numpy()
