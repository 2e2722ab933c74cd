"""Parallel QA data, batch samplers (X-X, X-X-mono, X-Y, hybrid) and train()."""
__all__: list[str] = []
