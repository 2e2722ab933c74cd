"""A pyterrier-dr ``FlexIndex`` that is built atomically, checked on opening, and knows doc languages.

The index is written into a hidden sibling folder and renamed into place only when complete, so a
half-written index is never taken for a built one. Besides FlexIndex's files (``vecs.f4``,
``docnos.npids``, ``pt_meta.json``) it stores each document's language (``doc_langs.npy``) and,
in ``pt_meta.json`` under ``pyterrier_hybrid``, the encoder's fingerprint, prompt and languages.
FlexIndex's files are written here rather than by its own indexer, whose docno store (npids) could not
hold a block of identical ids, e.g. an index of a single document (see ``_DocnoBuilder``).
"""
from __future__ import annotations

import json
from array import array
from collections.abc import Iterable
from pathlib import Path

import more_itertools
import numpy as np
import pandas as pd
import pyterrier as pt
from npids import Lookup
from npids.builder import FwdLookupBuilder, InvLookupBuilder
from npids.codecs import FwdFixedBytes
from pyterrier_dr import FlexIndex

from datasets_ext import language_of
from pyterrier_hybrid.core.atomic import atomic_directory, atomic_write_json
from pyterrier_hybrid.core.keys import file_sha256
from pyterrier_hybrid.retrieval.encoder import DenseEncoder
from pyterrier_hybrid.retrieval.parts import DEFAULT_CHUNK_SIZE, CorpusParts, DenseIndexError, Shard, parts_folder
from pyterrier_hybrid.retrieval.pool import PoolRetriever

META_KEY = "pyterrier_hybrid"


class _DocnoBuilder(FwdLookupBuilder):
    """npids' forward docno builder, never writing a fixed-bytes block of zero-byte rows.

    npids stores a block of ids as their common prefix plus fixed-width suffixes; when every id of a block
    is the same string (a single document, or a lone id starting a new block) the width is 0 and npids
    cannot read the block back (ZeroDivisionError). Such a block keeps one byte of the id in its rows.
    """

    def _commit(self):
        fixed = self.seeded_formats.get(FwdFixedBytes.NAME) if self.seeds else None
        if fixed is not None and fixed.size() == 0:
            if fixed.prefix:
                fixed.prefix = fixed.prefix[:-1]
            else:  # the empty id: one padding byte, stripped again on lookup
                fixed.length += 1
        super()._commit()


class DenseIndex(FlexIndex):
    """Dense index of one encoder's document vectors; ``retriever(pool=...)`` searches languages.

    A pyterrier artifact of its own format (``dense_index`` / ``hybrid_flex``, registered as an entry point), so
    ``pt.Artifact.load(path)`` and ``pt.Artifact.from_url(package)`` give back this pool-aware index, not a plain
    FlexIndex. Indexes written before (format ``flex``) still open with ``DenseIndex(path)``.
    """

    ARTIFACT_FORMAT = "hybrid_flex"
    #: Formats this class reads: its own, and FlexIndex's, which earlier versions wrote.
    READ_FORMATS: tuple[str, ...] = (ARTIFACT_FORMAT, FlexIndex.ARTIFACT_FORMAT)

    def __init__(self, path: str | Path, encoder: DenseEncoder | None = None, *, verbose: bool = False):
        """Refer to the index at ``path``; with ``encoder`` it can index texts and is checked against it."""
        super().__init__(str(path), sim_fn="dot", verbose=verbose)
        self.encoder = encoder
        self._checked = False

    def __repr__(self) -> str:
        return f"DenseIndex({str(self.index_path)!r})"

    def payload(self, return_dvecs: bool = True, return_docnos: bool = True):
        """FlexIndex's payload (docnos, vectors, meta), after checking the index once."""
        if not self._checked:
            self._check()
        return super().payload(return_dvecs=return_dvecs, return_docnos=return_docnos)

    def _check(self) -> None:
        path = self.index_path
        if not path.is_dir():
            raise DenseIndexError(f"no dense index at {str(path)!r}: it has not been built (index it first)")
        try:
            meta = json.loads((path / "pt_meta.json").read_text())
            ours, count, dim = meta[META_KEY], int(meta["doc_count"]), int(meta["vec_size"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise DenseIndexError(f"corrupt dense index at {str(path)!r}: unreadable pt_meta.json or not built "
                                  f"by pyterrier_hybrid ({e!r}); delete it and index again") from e
        if meta.get("type") != self.ARTIFACT_TYPE or meta.get("format") not in self.READ_FORMATS:
            raise DenseIndexError(f"{str(path)!r} holds a {meta.get('type')}/{meta.get('format')} artifact, not a "
                                  f"dense index of format {' or '.join(self.READ_FORMATS)}")
        problems = []
        vec_bytes = (path / "vecs.f4").stat().st_size if (path / "vecs.f4").exists() else None
        if vec_bytes != count * dim * 4:
            problems.append(f"vecs.f4 holds {vec_bytes} bytes, expected {count * dim * 4}")
        try:
            if len(Lookup(path / "docnos.npids")) != count:
                problems.append("docnos.npids does not hold doc_count ids")
        except Exception as e:
            problems.append(f"docnos.npids unreadable ({e!r})")
        try:
            codes = np.load(path / "doc_langs.npy", mmap_mode="r")
            if codes.shape != (count,):
                problems.append("doc_langs.npy does not hold one language per document")
            elif ours.get("doc_langs_sha256") not in (None, file_sha256(path / "doc_langs.npy")):
                problems.append("doc_langs.npy differs from what was indexed (checksum)")
            elif list(np.bincount(codes, minlength=len(ours["languages"]))) != list(ours["languages"].values()):
                problems.append("doc_langs.npy does not match the per-language counts of pt_meta.json")
        except Exception as e:
            problems.append(f"doc_langs.npy unreadable ({e!r})")
        if problems:
            raise DenseIndexError(f"corrupt dense index at {str(path)!r}: {'; '.join(problems)}; "
                                  "delete it and index again")
        if self.encoder is not None:
            if dim != self.encoder.embedding_dim:
                raise DenseIndexError(f"dense index at {str(path)!r} holds {dim}-dimensional vectors but the encoder "
                                      f"{self.encoder!r} gives {self.encoder.embedding_dim} dimensions")
            if ours.get("fingerprint") not in (None, self.encoder.fingerprint):
                raise DenseIndexError(f"dense index at {str(path)!r} was built with model {ours.get('model')!r} "
                                      f"(fingerprint {ours['fingerprint']}), not with {self.encoder!r} "
                                      f"(fingerprint {self.encoder.fingerprint})")
        self._meta = meta  # read and checked here: FlexIndex's own reading accepts its format only
        self._checked = True

    def indexer(self, *, mode: str = "create", **options) -> DenseIndexer:
        """An indexer that builds this index atomically (``mode``: ``create`` or ``overwrite``); ``options``:
        ``shard``, ``chunk_size``, ``wait_timeout`` (see ``DenseIndexer``)."""
        return DenseIndexer(self, mode=mode, **options)

    def languages(self) -> dict[str, int]:
        """Number of documents per language in the index."""
        meta, = self.payload(return_dvecs=False, return_docnos=False)
        return dict(meta[META_KEY]["languages"])

    def language_docids(self, lang: str) -> np.ndarray:
        """Docids (row numbers) of the documents of one language, ascending."""
        key = ("language_docids", lang)
        if key not in self._cache:
            meta, = self.payload(return_dvecs=False, return_docnos=False)
            code = list(meta[META_KEY]["languages"]).index(lang)
            self._cache[key] = np.flatnonzero(np.load(self.index_path / "doc_langs.npy") == code)
        return self._cache[key]

    def retriever(self, pool: str | Iterable[str] | None = None, *, family: str | None = None,
                  num_results: int | None = 1000, method: str = "exact", **params) -> pt.Transformer:
        """A retriever over the documents of the ``pool`` languages (None or ``"multi"``: all of them).

        Takes ``query_vec`` (put the encoder before it: ``encoder >> index.retriever(...)``).
        ``method``: ``exact`` (faiss inner product), ``hnsw`` or ``ivf``; ``params`` go to the ANN index.
        """
        return PoolRetriever(self, pool, family=family, num_results=num_results, method=method, **params)


def _with_language(record: dict) -> dict:
    """The record, once its docno is known to name a language (ValueError otherwise, before any encoding)."""
    language_of(record["docno"])
    return record


class DenseIndexer(pt.Indexer):
    """Builds a ``DenseIndex``: resumable, shardable encoding into parts (``retrieval.parts``), then the index
    written in a temporary folder and renamed into place when complete."""

    def __init__(self, index: DenseIndex, mode: str = "create", *, shard: Shard = Shard(),
                 chunk_size: int = DEFAULT_CHUNK_SIZE, wait_timeout: float | None = None):
        """``shard``: this process's share of the encoding (``Shard.from_env()`` under ``torchrun``); shard 0
        waits up to ``wait_timeout`` seconds (None: as long as it takes) for the others' parts, then builds."""
        if mode not in ("create", "overwrite"):
            raise ValueError(f"unknown indexing mode {mode!r}; valid: create, overwrite")
        self._index, self.mode, self.shard, self.wait_timeout = index, mode, shard, wait_timeout
        self.parts = CorpusParts(parts_folder(index.index_path, index.encoder, chunk_size), index.encoder,
                                 chunk_size)

    def __repr__(self) -> str:
        return f"{self._index!r}.indexer(mode={self.mode!r}, shard={self.shard!r})"

    def index(self, inp: Iterable[dict] | pd.DataFrame, *, total: int | None = None) -> DenseIndex:
        """Index documents with ``docno`` and ``doc_vec`` (or text, encoded with the index's encoder).

        ``total``: the number of documents, for the progress bar's time left (taken from ``len(inp)`` if it
        has one). An interrupted run leaves its finished parts: run it again to continue. With several shards,
        each process returns once its parts are written, and shard 0 returns the built index.
        """
        path = self._index.index_path
        if path.exists() and self.mode == "create":
            raise DenseIndexError(f"an index already exists at {str(path)!r}; use indexer(mode='overwrite') "
                                  "to replace it")
        records = more_itertools.peekable(inp.to_dict(orient="records") if isinstance(inp, pd.DataFrame) else inp)
        if not records:
            raise DenseIndexError(f"no documents to index into {str(path)!r}")
        total = total if total is not None else (len(inp) if hasattr(inp, "__len__") else None)
        progress = self._index.verbose or getattr(self._index.encoder, "progress", False)
        chunks = self.parts.encode(map(_with_language, records), self.shard, total=total, progress=progress)
        if self.shard.rank != 0:
            return self._index
        self.parts.wait(chunks, self.wait_timeout, progress=progress)
        with atomic_directory(path) as tmp:
            meta, langs = self._write_flex(tmp, self.parts.records(chunks), total if progress else None, progress)
            self._write_languages(tmp, meta, langs)
        self.parts.remove()
        self._index._meta, self._index._docnos, self._index._dvecs = None, None, None
        self._index._cache.clear()
        self._index._checked = False
        return self._index

    def _write_flex(self, tmp: Path, records: Iterable[dict], total: int | None, progress: bool
                    ) -> tuple[dict, tuple[dict[str, int], np.ndarray]]:
        """Write FlexIndex's files (``vecs.f4``, ``docnos.npids``, ``pt_meta.json``) into ``tmp``; return the meta
        and each document's language (codes numbering the languages in order of appearance)."""
        records = pt.tqdm(records, desc="indexing", unit="doc", total=total, disable=not progress)
        dim, count = None, 0
        names: dict[str, int] = {}
        codes = array("H")  # 2 bytes per document
        docnos = _DocnoBuilder(tmp / "docnos.npids")
        try:
            with open(tmp / "vecs.f4", "wb") as vecs:
                for r in records:
                    vec = r["doc_vec"]
                    if dim is None:
                        dim = vec.shape[0]
                    elif vec.shape[0] != dim:
                        raise ValueError(f"Inconsistent vector shapes detected (expected {dim} but found "
                                         f"{vec.shape[0]}) at document {r['docno']!r}")
                    vecs.write(vec.astype(np.float32, copy=False).tobytes())
                    docnos.add(r["docno"])
                    codes.append(names.setdefault(language_of(r["docno"]), len(names)))
                    count += 1
        except BaseException:
            docnos.fout.close()
            raise
        docnos.close()
        InvLookupBuilder.build(tmp / "docnos.npids")
        meta = {"type": DenseIndex.ARTIFACT_TYPE, "format": DenseIndex.ARTIFACT_FORMAT, "vec_size": dim,
                "doc_count": count}
        atomic_write_json(tmp / "pt_meta.json", meta, indent=None)
        return meta, (names, np.frombuffer(codes, dtype=np.uint16))

    def _write_languages(self, tmp: Path, meta: dict, langs: tuple[dict[str, int], np.ndarray]) -> None:
        """Write ``doc_langs.npy`` (codes numbering the languages in sorted order) and the index's own meta."""
        encoder = self._index.encoder
        names, first_seen = langs
        order = sorted(names)
        sorted_code = np.empty(len(names), dtype=np.uint16)
        sorted_code[[names[name] for name in order]] = np.arange(len(order))
        codes = sorted_code[first_seen]
        np.save(tmp / "doc_langs.npy", codes)
        meta[META_KEY] = {
            "languages": {name: int(n) for name, n in zip(order, np.bincount(codes, minlength=len(order)))},
            "doc_langs_sha256": file_sha256(tmp / "doc_langs.npy"),
            "fingerprint": None if encoder is None else encoder.fingerprint,
            "model": None if encoder is None else encoder.model_name,
            "doc_prompt": None if encoder is None else encoder.doc_prompt,
            "max_seq_length": None if encoder is None else encoder.max_seq_length,
        }
        atomic_write_json(tmp / "pt_meta.json", meta, indent=1)
