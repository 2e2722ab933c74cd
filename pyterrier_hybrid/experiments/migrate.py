"""Renaming of stores written before the paper's strategies, so no stored part is read under a name whose meaning
changed.

Until batch rules 2 (``training.config.BATCH_RULES``) a model's name began with its strategy, and three names
meant something else: ``xx`` was LAReQA's mixed X-X (today ``xx-mixed``), ``xx-mono`` one-language batches with
languages drawn in proportion to their rows (today ``xx`` with ``xx_languages="proportional"``), and ``hybrid``
built on mixed X-X with the proportional alpha (today ``hybrid`` with ``xx_kind="mixed"``,
``alpha="proportional"``). Those models also allowed one text twice in a batch, so none is reused: their keys
differ from every model's of today. What a run of a study does is rename them once to what they were: ``xx-`` ->
``xx-mixed-``, ``xx-mono-`` -> ``xx-``, ``hybrid-`` -> ``hybrid-mixed-proportional-``, in models, training
records and evaluations, then mark the store (``.study/FORMAT``) so nothing is renamed twice. BM25's and the
base model's evaluations keep their names and are reused.
"""
from __future__ import annotations

import logging
import os
import re

from pyterrier_hybrid.experiments.config import EVALUATED_ON
from pyterrier_hybrid.experiments.store import StudyStore

logger = logging.getLogger(__name__)

#: The store's layout version, written to ``.study/FORMAT``; stores without it predate the paper's strategies.
STORE_FORMAT = "3"
#: Strategy prefixes of the model names written before the paper's strategies, and what those models were.
OLD_STRATEGIES: dict[str, str] = {"xx-mono": "xx", "xx": "xx-mixed", "hybrid": "hybrid-mixed-proportional"}
_OLD_NAME = re.compile(r"^(?P<strategy>xx-mono|xx|hybrid)(?P<tail>-seed\d+-[0-9a-f]{8}.*)$")


def renamed(name: str, families: tuple[str, ...] = tuple(EVALUATED_ON)) -> str | None:
    """The name an old part ``name`` gets (its model name, maybe after ``<train family>-``), or None."""
    head = next((f"{f}-" for f in families if name.startswith(f"{f}-")), "")
    match = _OLD_NAME.match(name[len(head):])
    if match is None:
        return None
    return f"{head}{OLD_STRATEGIES[match['strategy']]}{match['tail']}"


def migrate_store(store: StudyStore, families: tuple[str, ...] = tuple(EVALUATED_ON)) -> int:
    """Rename the parts of an unmarked (older) store once, as the module says; return how many were renamed. A new
    store is created marked."""
    marker = store.root / "FORMAT"
    if marker.exists():
        return 0
    moves = 0
    store.root.mkdir(parents=True, exist_ok=True)
    for folder in ("models", "trainings", "evals"):
        for family_dir in sorted((store.root / folder).glob("*")):
            for path in sorted(family_dir.iterdir()):
                new = renamed(path.name, families)
                if new is not None and not (family_dir / new).exists():
                    os.replace(path, family_dir / new)
                    logger.info("part of an older store renamed to what it was: %s -> %s",
                                path.relative_to(store.root), new)
                    moves += 1
    marker.write_text(STORE_FORMAT + "\n")
    return moves
