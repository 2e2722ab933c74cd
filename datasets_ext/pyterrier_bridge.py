"""Make ``pt.get_dataset("irds:xquad-r/de-en").get_topics()`` give ``qid, query, lang``.

PyTerrier's ir_datasets bridge only names a ``query`` column when the query type has a single
text field; ours also carries ``lang``. PyTerrier consults ``pt.datasets.DATASET_MAP`` before its
providers, so each of our ids is entered there as an ``IRDSDataset`` that knows ``text`` is the query.
"""
from __future__ import annotations

import pandas as pd
import pyterrier as pt
from pyterrier.datasets._irds import IRDSDataset

from datasets_ext.records import LangQuery


class LangIRDSDataset(IRDSDataset):
    """An ``IRDSDataset`` whose topics keep ``lang`` beside ``qid`` and ``query``."""

    def get_topics(self, variant: str | None = None) -> pd.DataFrame:
        ds = self.irds_ref()
        if variant is not None or not ds.has_queries() or ds.queries_cls() is not LangQuery:
            return super().get_topics(variant)
        df = pd.DataFrame(ds.queries_iter(), columns=list(LangQuery._fields))
        return df.rename(columns={"query_id": "qid", "text": "query"})


def register(dataset_ids: list[str]) -> None:
    """Enter each of our ir_datasets ids into PyTerrier's dataset map as ``irds:{id}``."""
    for ds_id in dataset_ids:
        pt.datasets.DATASET_MAP[f"irds:{ds_id}"] = LangIRDSDataset(ds_id)
