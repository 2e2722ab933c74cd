"""TREC run files of score matrices: the top of each query's ranking, for inspection or other evaluators."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def write_run(scores: np.ndarray, qids: Sequence[str], docnos: Sequence[str], path: Path, depth: int,
              tag: str) -> Path:
    """Write the top ``depth`` candidates of each query as a TREC run file."""
    import pyterrier as pt
    depth = min(depth, scores.shape[1])
    top = np.argsort(-scores, axis=1, kind="stable")[:, :depth]
    run = pd.DataFrame({"qid": np.repeat(np.asarray(qids, dtype=object), depth),
                        "docno": np.asarray(docnos, dtype=object)[top.ravel()],
                        "score": np.take_along_axis(scores, top, axis=1).ravel(),
                        "rank": np.tile(np.arange(depth), len(qids))})
    path.parent.mkdir(parents=True, exist_ok=True)
    pt.io.write_results(run, str(path), format="trec", run_name=tag.replace(" ", "_"))
    return path
