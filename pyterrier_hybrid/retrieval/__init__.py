"""PyTerrier transformers: dense encode / index / retrieve / re-rank, offline BM25."""
__all__: list[str] = []
