"""Language-pair experiments, rank-based metrics, language-bias measures and reports (names loaded on first
access, see ``pyterrier_hybrid._lazy``)."""
from __future__ import annotations

from pyterrier_hybrid._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "bias": ("RankDistance", "SameLangPref", "rank_distance_values", "same_language_mask",
             "same_language_preference_values"),
    "metrics": ("SUPPORTED_MEASURES", "evaluate_scores", "parse_measures", "tie_break_of", "values_from_ranks"),
    "ranks": ("TIE_BREAKS", "docno_keys", "relevant_ranks"),
    "report": ("RESULT_COLUMNS", "macro_averages", "markdown_table", "write_csv", "write_heatmap", "write_markdown"),
    "collection": ("Collection",),
    "systems": ("BM25System", "DenseSystem", "PipelineSystem", "System"),
    "matrix": ("MatrixResult", "run_matrix"),
    "significance": ("adjust", "baseline_tests", "compare", "paired_tests"),
})
