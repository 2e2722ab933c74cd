"""Language-pair experiments, rank-based metrics, language-bias measures and reports."""
from pyterrier_hybrid.evaluation.bias import (RankDistance, SameLangPref, rank_distance_values,
                                              same_language_mask, same_language_preference_values)
from pyterrier_hybrid.evaluation.metrics import (SUPPORTED_MEASURES, evaluate_scores, parse_measures,
                                                 tie_break_of, values_from_ranks)
from pyterrier_hybrid.evaluation.ranks import TIE_BREAKS, docno_keys, relevant_ranks
from pyterrier_hybrid.evaluation.report import (RESULT_COLUMNS, macro_averages, markdown_table,
                                                write_csv, write_heatmap, write_markdown)

__all__ = ["RESULT_COLUMNS", "RankDistance", "SUPPORTED_MEASURES", "SameLangPref", "TIE_BREAKS",
           "docno_keys", "evaluate_scores", "macro_averages", "markdown_table", "parse_measures",
           "rank_distance_values", "relevant_ranks", "same_language_mask", "same_language_preference_values",
           "tie_break_of", "values_from_ranks", "write_csv", "write_heatmap", "write_markdown"]
