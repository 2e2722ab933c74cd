"""Settings, defined once: a setting is the questions of one language ranked against a pool of languages.

Its *kind* is ``mono`` (pool: the query language), ``cross`` (pool: one other language) or ``multi`` (pool:
every language of the family, or of the languages chosen). Dataset registration, ``dataset_ids`` and the
evaluation matrix all enumerate settings here, and ask :meth:`Setting.dataset` for queries and qrels.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from datasets_ext.languages import LANGUAGES, MIRACL_LANGUAGES, MULTI, check_languages

#: The setting kinds, in report order.
KINDS: tuple[str, ...] = ("mono", "cross", "multi")


def check_kinds(kinds: str | Iterable[str] | None) -> tuple[str, ...]:
    """Validate setting kinds (all when None); an unknown one is a ValueError listing the valid ones."""
    kinds = KINDS if kinds is None else (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown setting kind(s) {', '.join(map(repr, unknown))}; valid kinds: {', '.join(KINDS)}")
    return kinds


@dataclass(frozen=True)
class Setting:
    """Questions in ``query_lang`` ranked against the candidates of ``pool_langs`` (MIRACL: of ``split``)."""
    family: str
    kind: str
    query_lang: str
    pool_langs: tuple[str, ...]
    split: str = "dev"

    @property
    def pool_name(self) -> str:
        """``multi`` for the multilingual pool, else the pool's language."""
        return MULTI if self.kind == "multi" else self.pool_langs[0]

    @property
    def dataset_id(self) -> str | None:
        """The registered ir_datasets id (None for a multilingual pool over a subset of the languages)."""
        if self.family == "miracl":
            return f"miracl/{self.query_lang}-{self.query_lang}/{self.split}"
        if self.kind == "multi" and self.pool_langs != LANGUAGES[self.family]:
            return None
        return f"{self.family}/{self.query_lang}-{self.pool_name}"

    def dataset(self):
        """The ir_datasets dataset of this setting: its queries, pool and qrels."""
        import ir_datasets
        if self.dataset_id is not None:
            return ir_datasets.load(self.dataset_id)
        return _BUILDERS[self.family](self)


#: family -> builder of the dataset of a setting that has no registered id (a multilingual pool over some of the
#: languages); each family's module registers its own, so this module imports none of them.
_BUILDERS: dict[str, Callable[[Setting], object]] = {}


def register_builder(family: str, builder: Callable[[Setting], object]) -> None:
    """Let :meth:`Setting.dataset` build ``family``'s unregistered settings with ``builder``."""
    _BUILDERS[family] = builder


def setting(family: str, query_lang: str, pool: str | None = None, *, languages: Sequence[str] | None = None,
            split: str = "dev") -> Setting:
    """One setting: ``pool`` is a language (default: ``query_lang``) or ``"multi"`` (over ``languages``,
    default every language of the family). Unknown languages or pairs are a ValueError naming the valid ones."""
    pool = query_lang if pool is None else pool
    langs = check_languages(family, languages)
    check_languages(family, query_lang)
    if family == "miracl":
        if pool != query_lang:
            raise ValueError(f"MIRACL is monolingual only: pair {query_lang}-{pool} is not valid; "
                             f"valid pairs: {' '.join(f'{x}-{x}' for x in MIRACL_LANGUAGES)}")
        splits = MIRACL_LANGUAGES[query_lang]
        if split not in splits:
            raise ValueError(f"MIRACL {query_lang} has no split {split!r} with qrels; valid: {', '.join(splits)}")
        return Setting(family, "mono", query_lang, (query_lang,), split)
    if pool == MULTI:
        return Setting(family, "multi", query_lang, langs)
    check_languages(family, pool)
    return Setting(family, "mono" if pool == query_lang else "cross", query_lang, (pool,))


def settings(family: str, languages: Iterable[str] | None = None, kinds: str | Iterable[str] | None = None,
             split: str = "dev") -> list[Setting]:
    """Every setting of ``kinds`` over ``languages`` (default: all) of ``family``, per query language in the
    order mono, cross (pool languages in order), multi. MIRACL has monolingual settings only."""
    kinds = check_kinds(kinds)
    langs = check_languages(family, None if languages is None else list(languages))
    if family == "miracl":
        return [setting(family, x, split=split) for x in langs] if "mono" in kinds else []
    out = []
    for x in langs:
        out += [setting(family, x)] if "mono" in kinds else []
        out += [setting(family, x, y) for y in langs if y != x] if "cross" in kinds else []
        out += [setting(family, x, MULTI, languages=langs)] if "multi" in kinds else []
    return out


def dataset_id(family: str, query_lang: str, pool_lang: str | None = None, split: str = "dev") -> str:
    """The ir_datasets id of one setting: ``xquad-r/de-en``, ``mlqa-r/de-multi``, ``miracl/de-de/dev``.

    ``pool_lang`` defaults to ``query_lang`` (monolingual); ``"multi"`` is the multilingual pool.
    MIRACL is monolingual only; ``split`` applies to it alone.
    """
    return setting(family, query_lang, pool_lang, split=split).dataset_id


def dataset_ids(family: str, kind: str | None = None, languages: Sequence[str] | None = None) -> list[str]:
    """Every setting id of a family, optionally of one setting kind (``mono``, ``cross``, ``multi``)."""
    return [s.dataset_id for s in settings(family, languages, kind)]
