"""Languages of each benchmark family, and their validation.

Every API of the project that takes languages validates them here, so an unknown language always
fails with the same message listing the valid ones (settings and dataset ids: ``settings.py``).
"""
from __future__ import annotations

from collections.abc import Iterable

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


#: Every language of every family (XQuAD-R, MLQA-R, MIRACL), sorted.
ALL_LANGUAGES: tuple[str, ...] = tuple(sorted({*MIRACL_LANGUAGES, *(x for langs in LANGUAGES.values() for x in langs)}))
