"""Language-specific text analysis for BM25: Unicode-aware word splitting, bigrams for scripts
without spaces, Snowball stemming (PyStemmer) where a stemmer exists.

Words are runs of letters, digits *and combining marks* (Unicode categories L*, N*, M*), so
Devanagari vowel signs stay inside their word. Runs of Han, Hiragana, Katakana and Thai
characters have no spaces between words: they become overlapping character bigrams
(a lone character stays a unigram), which needs no dictionary and works for every language.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache

import regex
import Stemmer

from datasets_ext.languages import ALL_LANGUAGES

#: Snowball stemmers (PyStemmer) of the languages we support; the others are only lowercased.
STEMMERS: dict[str, str] = {
    "ar": "arabic", "de": "german", "el": "greek", "en": "english", "es": "spanish", "fa": "persian",
    "fi": "finnish", "fr": "french", "hi": "hindi", "id": "indonesian", "ru": "russian", "tr": "turkish",
}
#: Languages of XQuAD-R, MLQA-R and MIRACL (the language table's); any other language code is rejected.
SUPPORTED_LANGUAGES: tuple[str, ...] = ALL_LANGUAGES

_NO_SPACE = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}ー"
_TOKEN = regex.compile(rf"[{_NO_SPACE}]+|(?:(?![{_NO_SPACE}])[\p{{L}}\p{{N}}\p{{M}}])+")
_IS_NO_SPACE = regex.compile(rf"[{_NO_SPACE}]")

Analyzer = Callable[[str], list[str]]


def words(text: str) -> list[str]:
    """NFKC-normalised, case-folded tokens: words, plus runs of no-space scripts kept whole."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def bigrams(run: str) -> list[str]:
    """Overlapping character bigrams of a run (the run itself when it is a single character)."""
    return [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=None)
def analyzer_for(lang: str, stem: bool = True) -> Analyzer:
    """The analyser of ``lang``: words → bigrams for no-space scripts, Snowball stems otherwise."""
    if lang not in SUPPORTED_LANGUAGES:
        raise ValueError(f"no BM25 analysis for language {lang!r}; supported: {' '.join(SUPPORTED_LANGUAGES)}")
    stemmer = Stemmer.Stemmer(STEMMERS[lang]) if stem and lang in STEMMERS else None

    def analyze(text: str) -> list[str]:
        tokens: list[str] = []
        for word in words(text):
            if _IS_NO_SPACE.match(word):
                tokens += bigrams(word)
            else:
                tokens.append(word)
        # a stemmer can reduce a short word to nothing (Greek's does): an empty token is no term
        return [t for t in stemmer.stemWords(tokens) if t] if stemmer else tokens

    return analyze
