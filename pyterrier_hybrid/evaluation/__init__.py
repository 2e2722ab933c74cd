"""Language-pair experiments, rank-based metrics, language-bias measures and reports."""
__all__: list[str] = []
