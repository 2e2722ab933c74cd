"""A sentence-transformers bi-encoder for PyTerrier with prompts and a persistent embedding cache.

``DenseEncoder`` is a ``pyterrier_dr.BiEncoder``: ``query_encoder()`` adds ``query_vec``,
``doc_encoder()`` adds ``doc_vec``, ``text_scorer()`` re-ranks a result frame that has ``text``.
Every text goes through the cache; only texts it has never seen (for this model fingerprint,
prompt and maximum sequence length) are encoded, each once, and ``stats`` counts them.
"""
from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyterrier as pt
from pyterrier_dr import BiEncoder

from pyterrier_hybrid.models import resolve_model
from pyterrier_hybrid.retrieval.cache import EmbeddingCache, default_cache_dir, text_key
from pyterrier_hybrid.retrieval.fast import encoding_context, fast_mode, make_fast
from pyterrier_hybrid.retrieval.fingerprint import directory_fingerprint, module_fingerprint
from pyterrier_hybrid.retrieval.openvino_fast import CALIBRATION_FAMILY, calibration_key, default_calibration

_FLUSH_EVERY = 1024  # texts per cache shard: an interrupted run loses at most this much work
_SAME_LENGTH = 0.8  # a batch's shortest text has at least this share of its longest one's tokens


@dataclass
class EncodingStats:
    """Counters of one encoder: texts asked for, answered from the cache, and run through the model."""
    requested: int = 0
    cache_hits: int = 0
    encoded: int = 0


def _load_model(model, device: str | None):
    """Load a SentenceTransformer from a local directory or hub name; return it and its local directory."""
    from sentence_transformers import SentenceTransformer
    path = Path(resolve_model(str(model))).expanduser()  # FileNotFoundError for a missing path or name
    if path.exists():
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise FileNotFoundError(f"model path {str(path)!r} is not a sentence-transformers or Hugging Face "
                                    "model directory (no modules.json or config.json)")
        return SentenceTransformer(str(path), device=device, local_files_only=True), path
    try:
        return SentenceTransformer(str(model), device=device), None
    except Exception as e:
        raise FileNotFoundError(f"model {str(model)!r} is neither a local directory nor available from the "
                                f"Hugging Face hub or its local cache: {e}") from e


class DenseEncoder(BiEncoder):
    """Sentence-transformers encoder with query/document prompts, batching and a persistent cache."""

    def __init__(self, model, *, query_prompt: str | None = None, doc_prompt: str | None = None,
                 query_prompt_name: str | None = None, doc_prompt_name: str | None = None,
                 max_seq_length: int | None = None, batch_size: int = 32, fast: bool | str = False,
                 cache: bool | str | Path = True, device: str | None = None, text_field: str = "text",
                 progress: bool = True, calibration: str | Sequence[str] = CALIBRATION_FAMILY):
        """Load ``model`` (directory, hub name or SentenceTransformer) and set up its caches.

        Prompts: an explicit string wins, else a name from the model's ``prompts``, else the model's own
        ``"query"`` / ``"document"`` prompt (as ``encode_query``/``encode_document`` do), else none.
        ``fast``: False (exact fp32), True (the fastest mode within its accuracy bound), or a mode of
        ``fast.FAST_MODES``. ``calibration``: what ``"openvino-int8"`` is calibrated on: a LAReQA family (300 of
        its questions and sentences with this encoder's prompts; default MLQA-R, the paper's training family) or
        texts as the model sees them (prompts included).
        ``cache``: True (default dir, see ``default_cache_dir``), a directory, or False (memory only). The cache
        folder also keeps exported fast models (``exported/``).
        """
        if batch_size < 1 or (max_seq_length is not None and max_seq_length < 1):
            raise ValueError(f"batch_size and max_seq_length must be positive, got {batch_size} and {max_seq_length}")
        super().__init__(batch_size=batch_size, text_field=text_field, verbose=False)
        from sentence_transformers import SentenceTransformer
        self.fast = fast_mode(fast)
        self.cache_root = default_cache_dir() if cache is True else (Path(cache) if cache else None)
        if isinstance(model, SentenceTransformer):  # fingerprinted now: make a new encoder after changing weights
            self.model = copy.deepcopy(model) if self.fast != "fp32" else model  # fast modes change it in place
            self.model_name = f"<{type(model).__name__} {id(model):#x}>"
            base_fingerprint = module_fingerprint(model)
        else:
            self.model, local_dir = _load_model(model, device)
            self.model_name = str(model)
            memo = None if self.cache_root is None else self.cache_root / "fingerprints.json"
            base_fingerprint = (directory_fingerprint(local_dir, memo) if local_dir is not None
                                else module_fingerprint(self.model))
        self.device = self.model.device
        if max_seq_length is not None:
            self.model.max_seq_length = max_seq_length
        self.max_seq_length: int | None = self.model.max_seq_length
        self.query_prompt = self._resolve_prompt(query_prompt, query_prompt_name, "query")
        self.doc_prompt = self._resolve_prompt(doc_prompt, doc_prompt_name, "document")
        calibration_texts = self._calibration_texts(calibration)
        self.fingerprint = f"{base_fingerprint}-{self.fast}" + (f"-{calibration_key(calibration_texts)}"
                                                                 if calibration_texts else "")
        self.embedding_dim: int = self.model.get_embedding_dimension()
        with tempfile.TemporaryDirectory() as tmp:  # without a cache, an export lives only until loaded
            export_dir = self.cache_root / "exported" if self.cache_root is not None else Path(tmp)
            self.model = make_fast(self.model, self.fast, export_dir, base_fingerprint, calibration_texts)
        self.progress = progress
        self.stats = EncodingStats()
        self._caches: dict[str, EmbeddingCache] = {}

    def _calibration_texts(self, calibration: str | Sequence[str]) -> list[str] | None:
        """The texts ``"openvino-int8"`` is calibrated on (None for every other mode: they take a family name, unused,
        so that callers need not know the mode, but no texts)."""
        if self.fast != "openvino-int8":
            if not isinstance(calibration, str):
                raise ValueError(f"calibration texts are for fast='openvino-int8' only, not {self.fast!r}")
            return None
        if isinstance(calibration, str):
            return default_calibration(self.query_prompt, self.doc_prompt, family=calibration)
        if not calibration:
            raise ValueError("calibration must be a LAReQA family or a non-empty sequence of texts")
        return [str(t) for t in calibration]

    def _resolve_prompt(self, prompt: str | None, name: str | None, default_name: str) -> str:
        if prompt is not None:
            return prompt
        prompts = self.model.prompts or {}
        if name is not None:
            if name not in prompts:
                raise ValueError(f"prompt name {name!r} not in the model's prompts; "
                                 f"valid names: {', '.join(prompts) or '(none)'}")
            return prompts[name]
        return prompts.get(default_name, "")

    def __repr__(self) -> str:
        return f"DenseEncoder({self.model_name!r}, fast={self.fast!r})"

    def cache_for(self, prompt: str) -> EmbeddingCache:
        """The embedding cache of this model for one prompt."""
        if prompt not in self._caches:
            self._caches[prompt] = EmbeddingCache(self.cache_root, self.fingerprint, prompt, self.max_seq_length,
                                                  self.embedding_dim)
        return self._caches[prompt]

    def encode_queries(self, texts: Iterable[str], batch_size: int | None = None) -> np.ndarray:
        """Embeddings (float32, one row per text) of queries, with the query prompt."""
        return self.encode(texts, self.query_prompt, self.model.encode_query, batch_size)

    def encode_docs(self, texts: Iterable[str], batch_size: int | None = None, *, cache: bool = True) -> np.ndarray:
        """Embeddings (float32, one row per text) of documents, with the document prompt."""
        return self.encode(texts, self.doc_prompt, self.model.encode_document, batch_size, cache=cache)

    def encode(self, texts: Iterable[str], prompt: str, encode_fn: Callable | None = None,
               batch_size: int | None = None, *, cache: bool = True) -> np.ndarray:
        """Embeddings of ``texts`` with ``prompt``: cached rows, the rest encoded once each and cached.

        ``cache=False`` encodes every text and keeps nothing (a corpus too large for the cache's memory: see
        ``retrieval.parts``); the vectors are those the cached path gives.
        """
        texts = [str(t) for t in texts]
        encode_fn, batch_size = encode_fn or self.model.encode, batch_size or self.batch_size
        self.stats.requested += len(texts)
        if not cache:
            out = np.empty((len(texts), self.embedding_dim), dtype=np.float32)
            for positions, vecs in self._model_batches(texts, prompt, encode_fn, batch_size):  # as the cached path
                out[positions] = vecs
            return out
        store = self.cache_for(prompt)
        keys = [text_key(t) for t in texts]
        found = store.get(keys)
        missing = {k: t for k, t, v in zip(keys, texts, found) if v is None}
        self.stats.cache_hits += sum(v is not None for v in found)
        if missing:
            self._encode_missing(store, missing, prompt, encode_fn, batch_size)
        if not texts:
            return np.empty((0, self.embedding_dim), dtype=np.float32)
        return np.stack(store.get(keys)).astype(np.float32, copy=False)

    def _length_batches(self, texts: list[str], batch_size: int) -> list[list[int]]:
        """Positions of ``texts`` in batches, longest first by token count (clipped at the maximum length); a batch
        ends when full or at a text with under ``_SAME_LENGTH`` of its first text's tokens, so little is padding.

        ``SentenceTransformer.encode`` orders by characters and cuts every ``batch_size``: that puts a Chinese
        sentence beside an English one of as many characters and a third of the tokens, and on XQuAD-R en/de/zh
        43% of the encoded tokens were padding (``benchmarks/bench_encoding.py``; the vectors are the same).
        """
        tokenizer = getattr(self.model, "tokenizer", None)
        if tokenizer is None or not texts:
            lengths = [len(t) for t in texts]
        else:
            lengths = tokenizer(texts, truncation=True, max_length=self.max_seq_length, return_length=True,
                                return_attention_mask=False, return_token_type_ids=False)["length"]
        batches: list[list[int]] = []
        for i in sorted(range(len(texts)), key=lambda i: (-lengths[i], -len(texts[i]))):
            if not batches or len(batches[-1]) == batch_size or lengths[i] < _SAME_LENGTH * lengths[batches[-1][0]]:
                batches.append([])
            batches[-1].append(i)
        return batches

    def _model_batches(self, texts: list[str], prompt: str, encode_fn: Callable, batch_size: int
                       ) -> Iterator[tuple[list[int], np.ndarray]]:
        """The model's vectors of ``texts``, batch by batch (see ``_length_batches``), with their positions."""
        for positions in self._length_batches(texts, batch_size):
            with encoding_context(self.fast, self.device.type):
                vecs = encode_fn([texts[i] for i in positions], prompt=prompt, batch_size=len(positions),
                                 show_progress_bar=False, convert_to_numpy=True)
            self.stats.encoded += len(positions)
            yield positions, vecs

    def _encode_missing(self, cache: EmbeddingCache, missing: dict[bytes, str], prompt: str,
                        encode_fn: Callable, batch_size: int) -> None:
        keys = list(missing)
        bar = pt.tqdm(total=len(keys), desc="encoding", unit="text", disable=not self.progress)
        done, vecs, encoded = [], [], 0
        for positions, batch_vecs in self._model_batches(list(missing.values()), prompt, encode_fn, batch_size):
            done += [keys[i] for i in positions]
            encoded += len(positions)
            vecs.append(batch_vecs)
            bar.update(len(positions))
            if len(done) >= _FLUSH_EVERY or encoded == len(keys):
                cache.put(done, np.concatenate(vecs))
                done, vecs = [], []
        bar.close()
