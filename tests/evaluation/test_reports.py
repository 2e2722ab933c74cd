"""Reports: Markdown macro-averages, CSV, heatmap PNG."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from pyterrier_hybrid.evaluation import (macro_averages, markdown_table, write_csv, write_heatmap,
                                         write_markdown)

LANGS = ["de", "en", "zh"]


def _results() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for system in ("bm25", "hybrid"):
        for x in LANGS:
            for y in [*LANGS, "multi"]:
                kind = "multi" if y == "multi" else "mono" if x == y else "cross"
                if system == "bm25" and kind != "mono":
                    continue  # BM25 does not apply: absent, reported as n/a
                for measure in ("AP", "nDCG@10"):
                    rows.append((system, kind, x, y, measure, rng.uniform()))
    return pd.DataFrame(rows, columns=["system", "kind", "query_lang", "pool_lang", "measure", "value"])


def test_macro_averages_and_markdown(tmp_path):
    results = _results()
    table = macro_averages(results)
    assert table.index.tolist() == [(s, k) for s in ("bm25", "hybrid") for k in ("mono", "cross", "multi")]
    cross = results[(results.system == "hybrid") & (results.kind == "cross") & (results.measure == "AP")]
    assert table.loc[("hybrid", "cross"), "AP"] == pytest.approx(cross["value"].mean())
    assert np.isnan(table.loc[("bm25", "multi"), "AP"])
    text = write_markdown(results, tmp_path / "r.md").read_text()
    lines = text.splitlines()
    assert lines[0] == "| system | kind | AP | nDCG@10 |" and lines[1] == "| :--- | :--- | ---: | ---: |"
    assert "| bm25 | cross | n/a | n/a |" in lines and len(lines) == 2 + 6
    assert markdown_table(pd.DataFrame({"a": [0.12345]}), ".2f") == "| a |\n| ---: |\n| 0.12 |"


def test_csv_round_trip(tmp_path):
    results = _results()
    back = pd.read_csv(write_csv(results, tmp_path / "r.csv"))
    pd.testing.assert_frame_equal(back, results)
    with pytest.raises(ValueError, match="lack column"):
        write_csv(results.drop(columns="kind"), tmp_path / "bad.csv")


def test_heatmap_png(tmp_path):
    path = write_heatmap(_results(), "hybrid", "AP", tmp_path / "hybrid-AP.png")
    image = imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 100
    with pytest.raises(ValueError, match="no results"):
        write_heatmap(_results(), "nope", "AP", tmp_path / "x.png")
