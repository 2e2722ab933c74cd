"""PyTerrier's own contract checks (``pyterrier.testing.TransformerTestCase``) on our transformers: their
input and output columns can be inspected without running them on real data."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pyterrier.testing
import pytest

DOCS = pd.DataFrame({"docno": ["en:0:0:0", "en:0:0:1", "en:0:0:2"],
                     "text": ["the red house stands near the river", "a team has eleven players",
                              "the astronomer wrote the book about stars"]})


class _ContractTest(pyterrier.testing.TransformerTestCase):
    """PyTerrier's checks, less the schematic one: rendering it fetches a remote resource, refused offline."""
    __test__ = False  # a base: only its subclasses run

    @pytest.mark.skip(reason="pt.schematic downloads a remote resource; this machine has no internet")
    def test_schematic(self):
        pass


class TestBM25Retriever(_ContractTest):
    __test__ = True

    @staticmethod
    def get_transformer():
        from pyterrier_hybrid.retrieval import BM25Index
        return BM25Index.build(DOCS, "en").retriever(num_results=2)


def _dense_index():
    from tiny_model import build_tiny_model
    from pyterrier_hybrid.retrieval import DenseEncoder, DenseIndex
    work = Path(tempfile.mkdtemp(prefix="contract_"))
    encoder = DenseEncoder(str(build_tiny_model(work / "model")), cache=False, progress=False)
    index = DenseIndex(work / "index", encoder)
    index.indexer().index(DOCS.to_dict(orient="records"))
    return encoder, index


class TestPoolRetriever(_ContractTest):
    __test__ = True

    @staticmethod
    def get_transformer():
        return _dense_index()[1].retriever("en", num_results=2)


class TestQueryEncoder(_ContractTest):
    __test__ = True

    @staticmethod
    def get_transformer():
        return _dense_index()[0].query_encoder()
