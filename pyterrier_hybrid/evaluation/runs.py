"""TREC run files of score matrices: the top of each query's ranking, for inspection or other evaluators."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def write_run(scores: np.ndarray, qids: Sequence[str], docnos: Sequence[str], path: Path, depth: int,
              tag: str) -> Path:
    """Write the top ``depth`` candidates of each query of a score matrix as a TREC run file."""
    depth = min(depth, scores.shape[1])
    top = np.argsort(-scores, axis=1, kind="stable")[:, :depth]
    run = pd.DataFrame({"qid": np.repeat(np.asarray(qids, dtype=object), depth),
                        "docno": np.asarray(docnos, dtype=object)[top.ravel()],
                        "score": np.take_along_axis(scores, top, axis=1).ravel()})
    return write_ranking(run, path, depth, tag)


def write_ranking(ranking: pd.DataFrame, path: Path, depth: int, tag: str) -> Path:
    """Write the top ``depth`` of each query of a ranking (qid, docno, score) as a TREC run file."""
    import pyterrier as pt
    top = ranking.sort_values(["qid", "score"], ascending=[True, False], kind="stable").groupby("qid").head(depth)
    top = top.assign(rank=top.groupby("qid").cumcount())
    path.parent.mkdir(parents=True, exist_ok=True)
    pt.io.write_results(top, str(path), format="trec", run_name=tag.replace(" ", "_"))
    return path
