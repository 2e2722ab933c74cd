"""Seen and unseen languages: a study's settings grouped by whether their languages were among the training
languages, and hybrid's difference to a baseline per language pair (a table and heatmaps).

A monolingual or cross-lingual setting is in group ``both seen``, ``one seen`` or ``neither seen`` by its query and
pool languages; a multilingual setting (its pool holds every language) by its query language alone:
``query seen`` or ``query unseen``. Trained on MLQA-R and evaluated on XQuAD-R, el, ru, th and tr are unseen.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pyterrier_hybrid.evaluation.report import write_heatmap
from pyterrier_hybrid.experiments.config import DISPLAY_NAMES

#: The groups, in report order.
SEEN_GROUPS: tuple[str, ...] = ("both seen", "one seen", "neither seen", "query seen", "query unseen")
#: The systems hybrid is compared with per language pair and by seen / unseen languages.
UNSEEN_BASELINES: tuple[str, ...] = (DISPLAY_NAMES["xx"], DISPLAY_NAMES["xy"])


def seen_group(query_lang: str, pool_lang: str, trained: set[str]) -> str:
    """The group of one setting, given the training languages."""
    if pool_lang == "multi":
        return "query seen" if query_lang in trained else "query unseen"
    return ("neither seen", "one seen", "both seen")[(query_lang in trained) + (pool_lang in trained)]


def with_seen_groups(settings: pd.DataFrame, trained: dict[str, set[str]]) -> pd.DataFrame:
    """``settings`` (one value per system, seed and setting) with a ``group`` column; ``trained`` maps each
    evaluated family to the languages its models were trained in (BM25 and zero-shot are grouped alike, so
    that every system is compared on the same settings)."""
    groups = [seen_group(q, p, trained[f])
              for f, q, p in zip(settings["family"], settings["query_lang"], settings["pool_lang"])]
    return settings.assign(group=groups)


def seen_table(settings: pd.DataFrame, trained: dict[str, set[str]], system: str, baselines: Sequence[str],
               measure: str = "AP") -> pd.DataFrame:
    """Rows (family, kind, group): the number of settings, ``system``'s mean ``measure`` (over settings and
    seeds), and its difference to each baseline; only groups that occur (``trained``: see
    :func:`with_seen_groups`)."""
    part = with_seen_groups(settings[settings["measure"] == measure], trained)
    means = part.groupby(["family", "kind", "group", "system"], sort=False)["value"].mean().unstack("system")
    counts = (part[part["system"] == system].groupby(["family", "kind", "group"], sort=False)
              [["query_lang", "pool_lang"]].apply(lambda f: len(f.drop_duplicates())))
    table = pd.DataFrame({"settings": counts, system: means[system]})
    for baseline in baselines:
        if baseline in means:
            table[f"{system} − {baseline}"] = means[system] - means[baseline]
    order = {g: i for i, g in enumerate(SEEN_GROUPS)}
    table = table.reset_index()
    table = table.sort_values(["family", "kind", "group"], key=lambda c: c.map(order) if c.name == "group" else c,
                              kind="stable")
    return table.set_index(["family", "kind", "group"])


def write_delta_heatmaps(settings: pd.DataFrame, folder: str | Path, system: str, baselines: Sequence[str],
                         measure: str = "AP") -> list[Path]:
    """``<system>_minus_<baseline>_<measure>.png`` per baseline: the seed-averaged difference per language pair
    (query language × pool language, the multilingual pool last), on a diverging scale centred at 0."""
    part = settings[settings["measure"] == measure]
    means = part.groupby(["system", "kind", "query_lang", "pool_lang"], sort=False)["value"].mean().unstack("system")
    folder, paths = Path(folder), []
    for baseline in baselines:
        if system not in means or baseline not in means:
            continue
        name = f"{system} − {baseline}"
        delta = (means[system] - means[baseline]).rename("value").reset_index().assign(system=name, measure=measure)
        folder.mkdir(parents=True, exist_ok=True)
        file = f"{system}_minus_{baseline}_{measure}".replace(" ", "_").replace("/", "_")
        paths.append(write_heatmap(delta, name, measure, folder / f"{file}.png", centre=0.0))
    return paths
