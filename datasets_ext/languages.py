"""Languages of each benchmark family, and the one place that turns languages into dataset ids.

Every API of the project that takes languages validates them here, so an unknown language or
pair always fails with the same message listing the valid ones.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

LANGUAGES: dict[str, tuple[str, ...]] = {
    "xquad-r": ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"),
    "mlqa-r": ("ar", "de", "en", "es", "hi", "vi", "zh"),
}
MIRACL_LANGUAGES: dict[str, tuple[str, ...]] = {  # language -> splits that have qrels
    "ar": ("train", "dev"), "bn": ("train", "dev"), "de": ("dev",), "en": ("train", "dev"),
    "es": ("train", "dev"), "fa": ("train", "dev"), "fi": ("train", "dev"), "fr": ("train", "dev"),
    "hi": ("train", "dev"), "id": ("train", "dev"), "ja": ("train", "dev"), "ko": ("train", "dev"),
    "ru": ("train", "dev"), "sw": ("train", "dev"), "te": ("train", "dev"), "th": ("train", "dev"),
    "yo": ("dev",), "zh": ("train", "dev"),
}
FAMILIES: tuple[str, ...] = (*LANGUAGES, "miracl")
MULTI = "multi"


def _family_languages(family: str) -> tuple[str, ...]:
    if family == "miracl":
        return tuple(MIRACL_LANGUAGES)
    if family not in LANGUAGES:
        raise ValueError(f"unknown dataset family {family!r}; valid families: {', '.join(FAMILIES)}")
    return LANGUAGES[family]


def check_languages(family: str, languages: str | Iterable[str] | None) -> tuple[str, ...]:
    """Validate languages of ``family`` (all of them when None) and return them as a tuple.

    Raises ValueError naming the unknown languages and listing the valid ones.
    """
    valid = _family_languages(family)
    if languages is None:
        return valid
    langs = (languages,) if isinstance(languages, str) else tuple(languages)
    unknown = [lang for lang in langs if lang not in valid]
    if unknown:
        raise ValueError(f"unknown language(s) {', '.join(map(repr, unknown))} for {family}; "
                         f"valid languages: {' '.join(valid)}")
    if not langs:
        raise ValueError(f"no languages given for {family}; valid languages: {' '.join(valid)}")
    return langs


def dataset_id(family: str, query_lang: str, pool_lang: str | None = None, split: str = "dev") -> str:
    """The ir_datasets id of one setting: ``xquad-r/de-en``, ``mlqa-r/de-multi``, ``miracl/de-de/dev``.

    ``pool_lang`` defaults to ``query_lang`` (monolingual); ``"multi"`` is the multilingual pool.
    MIRACL is monolingual only; ``split`` applies to it alone.
    """
    pool_lang = query_lang if pool_lang is None else pool_lang
    check_languages(family, query_lang)
    if family == "miracl":
        if pool_lang != query_lang:
            raise ValueError(f"MIRACL is monolingual only: pair {query_lang}-{pool_lang} is not valid; "
                             f"valid pairs: {' '.join(f'{x}-{x}' for x in MIRACL_LANGUAGES)}")
        splits = MIRACL_LANGUAGES[query_lang]
        if split not in splits:
            raise ValueError(f"MIRACL {query_lang} has no split {split!r} with qrels; valid: {', '.join(splits)}")
        return f"miracl/{query_lang}-{query_lang}/{split}"
    if pool_lang != MULTI:
        check_languages(family, pool_lang)
    return f"{family}/{query_lang}-{pool_lang}"


def dataset_ids(family: str, kind: str | None = None, languages: Sequence[str] | None = None) -> list[str]:
    """Every setting id of a family, optionally of one setting kind (``mono``, ``cross``, ``multi``)."""
    kinds = ("mono", "cross", "multi")
    if kind is not None and kind not in kinds:
        raise ValueError(f"unknown setting kind {kind!r}; valid kinds: {', '.join(kinds)}")
    langs = check_languages(family, languages)
    if family == "miracl":
        return [dataset_id(family, x) for x in langs] if kind in (None, "mono") else []
    ids = []
    for x in langs:
        if kind in (None, "mono"):
            ids.append(dataset_id(family, x, x))
        if kind in (None, "cross"):
            ids += [dataset_id(family, x, y) for y in langs if y != x]
        if kind in (None, "multi"):
            ids.append(dataset_id(family, x, MULTI))
    return ids


def language_of(item_id: str) -> str:
    """The language of a query or document id (the text before the first colon, per the id scheme)."""
    lang, sep, _ = item_id.partition(":")
    if not sep:
        raise ValueError(f"id {item_id!r} has no language prefix ('lang:...')")
    return lang
