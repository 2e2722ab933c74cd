"""Reports of a tidy results frame (system, kind, query_lang, pool_lang, measure, value):
macro-averages as Markdown, CSV, and query-language × pool-language heatmaps (PNG)."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from datasets_ext import KINDS

RESULT_COLUMNS: tuple[str, ...] = ("system", "kind", "query_lang", "pool_lang", "measure", "value")
#: Measures where lower is better; their heatmaps use the reversed colour map (bright = good).
LOWER_IS_BETTER: frozenset[str] = frozenset({"RankDistance", "SameLangPref"})


def _check_results(results: pd.DataFrame) -> None:
    missing = [c for c in RESULT_COLUMNS if c not in results.columns]
    if missing:
        raise ValueError(f"results lack column(s) {', '.join(missing)}; expected {', '.join(RESULT_COLUMNS)}")


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (index included when named); NaN shows as n/a."""
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()

    def cell(v: object) -> str:
        if isinstance(v, (float, np.floating)):
            return "n/a" if np.isnan(v) else format(v, floatfmt)
        return str(v)

    head = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    lines = ["| " + " | ".join(head) + " |",
             "| " + " | ".join("---:" if n else ":---" for n in numeric) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def setting_means(per_query: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """One value per setting: the mean over its queries, for each group of ``by`` (tidy, column ``value``)."""
    keys = [*by, "kind", "query_lang", "pool_lang", "measure"]
    return per_query.groupby(keys, sort=False)["value"].mean().reset_index()


def macro(settings: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The macro-average: the mean over the settings of each kind, for each group of ``by`` (tidy, ``value``);
    the one place the project averages settings into kinds."""
    return settings.groupby([*by, "kind", "measure"], sort=False, dropna=False)["value"].mean().reset_index()


def macro_averages(results: pd.DataFrame) -> pd.DataFrame:
    """:func:`macro` as a table: rows (system, kind), one column per measure."""
    _check_results(results)
    present = set(results["kind"])
    kinds = [k for k in KINDS if k in present] + sorted(present - set(KINDS))
    table = macro(results, ["system"]).pivot(index=["system", "kind"], columns="measure", values="value")
    table = table.reindex(pd.MultiIndex.from_product([pd.unique(results["system"]), kinds],
                                                     names=["system", "kind"]))
    table.columns.name = None
    return table[list(pd.unique(results["measure"]))]


def write_markdown(results: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write the macro-average table (n/a where a system does not apply to a kind) as Markdown."""
    path = Path(path)
    path.write_text(markdown_table(macro_averages(results)) + "\n", encoding="utf-8")
    return path


def write_csv(results: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write the tidy results as CSV (one row per system, setting and measure)."""
    _check_results(results)
    path = Path(path)
    results.loc[:, list(RESULT_COLUMNS)].to_csv(path, index=False)
    return path


def write_heatmaps(results: pd.DataFrame, folder: str | os.PathLike, measures: Sequence[str]) -> list[Path]:
    """One :func:`write_heatmap` per system and measure of ``measures`` that has a value, named
    ``<system>_<measure>.png`` in ``folder``; return the paths."""
    folder, paths = Path(folder), []
    for system in pd.unique(results["system"]):
        part = results[results["system"] == system]
        for measure in measures:
            if part.loc[part["measure"] == measure, "value"].notna().any():
                folder.mkdir(parents=True, exist_ok=True)
                name = f"{system}_{measure}".replace("/", "_").replace("@", "at")
                paths.append(write_heatmap(part, system, measure, folder / f"{name}.png"))
    return paths


def write_heatmap(results: pd.DataFrame, system: str, measure: str, path: str | os.PathLike,
                  centre: float | None = None) -> Path:
    """PNG heatmap of ``measure`` for ``system``: query language (rows) × pool language (columns),
    the multilingual pool as last column, each cell annotated with its value. ``centre``: a diverging colour
    scale symmetric around it (for differences between systems)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _check_results(results)
    part = results[(results["system"] == system) & (results["measure"] == measure)]
    if part.empty:
        raise ValueError(f"no results for system {system!r} and measure {measure!r}")
    langs = sorted(set(part["query_lang"]))
    pools = sorted(set(part["pool_lang"]) - {"multi"}) + (["multi"] if "multi" in set(part["pool_lang"]) else [])
    grid = part.pivot_table(index="query_lang", columns="pool_lang", values="value", aggfunc="mean")
    grid = grid.reindex(index=langs, columns=pools)
    fig, ax = plt.subplots(figsize=(0.62 * len(pools) + 2.2, 0.5 * len(langs) + 1.6))
    cmap = "viridis_r" if measure in LOWER_IS_BETTER else "viridis"
    limits = {}
    if centre is not None:
        cmap, span = "RdBu", np.nanmax(np.abs(grid.to_numpy(float) - centre))
        limits = {"vmin": centre - span, "vmax": centre + span}
    image = ax.imshow(np.ma.masked_invalid(grid.to_numpy(float)), cmap=cmap, aspect="auto", **limits)
    ax.set_xticks(range(len(pools)), pools)
    ax.set_yticks(range(len(langs)), langs)
    ax.set_xlabel("pool language")
    ax.set_ylabel("query language")
    ax.set_title(f"{system}: {measure}")
    low, high = np.nanmin(grid.to_numpy(float)), np.nanmax(grid.to_numpy(float))
    for (i, j), value in np.ndenumerate(grid.to_numpy(float)):
        if not np.isnan(value):
            shade = 0.0 if high == low else (value - low) / (high - low)
            dark = (abs(value - centre) > 0.6 * (limits["vmax"] - centre) if centre is not None
                    else (1 - shade if measure in LOWER_IS_BETTER else shade) < 0.6)
            ax.text(j, i, f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}", ha="center", va="center",
                    fontsize=7, color="white" if dark else "black")
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
