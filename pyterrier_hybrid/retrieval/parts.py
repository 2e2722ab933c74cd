"""Resumable, shardable corpus encoding: the corpus cut into fixed chunks, each encoded once into a part file.

A corpus (records with ``docno`` and a text, or a ``doc_vec``) is cut into chunks of ``chunk_size`` records in
stream order; chunk j belongs to shard ``j mod n``, so ``n`` processes (``torchrun`` ranks, or GPUs) reading the
same stream encode disjoint chunks. Each chunk is written as one part file, atomically: a killed run loses at most
the chunks it was encoding, and the next run skips every chunk whose part holds the same docnos. Memory holds one
chunk at a time, whatever the corpus size. Parts live in a folder beside the index, named after everything their
vectors depend on (encoder fingerprint, prompt, length, chunk size), so a part of another model is never reused;
the folder is removed once the index is built from it.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import more_itertools
import numpy as np
import pyterrier as pt

from pyterrier_hybrid.core.atomic import atomic_write_bytes, atomic_write_json

DEFAULT_CHUNK_SIZE = 4096  # records per part: the work a kill can lose per process


class DenseIndexError(ValueError):
    """A dense index that is not built, corrupt, or built with another model or dimension."""


@dataclass(frozen=True)
class Shard:
    """This process's share of a corpus: chunks ``j`` with ``j % count == rank``."""
    rank: int = 0
    count: int = 1

    def __post_init__(self):
        if not 0 <= self.rank < self.count:
            raise ValueError(f"shard rank {self.rank} out of range: ranks of {self.count} shard(s) are "
                             f"0..{self.count - 1}")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"RANK/COUNT"`` (e.g. ``"0/2"``), as the CLI's ``--shard`` takes it."""
        try:
            rank, count = (int(x) for x in text.split("/"))
        except ValueError:
            raise ValueError(f"a shard is RANK/COUNT, e.g. 0/2, not {text!r}") from None
        return cls(rank, count)

    @classmethod
    def from_env(cls) -> Shard:
        """The shard of a ``torchrun`` (or MPI-style) process: ``RANK`` of ``WORLD_SIZE``; one shard without them."""
        return cls(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)))

    def owns(self, chunk: int) -> bool:
        """Whether this shard encodes chunk number ``chunk``."""
        return chunk % self.count == self.rank


def parts_folder(index_path: Path, encoder, chunk_size: int) -> Path:
    """The parts folder of an index at ``index_path`` for ``encoder`` (None: vectors given) and chunk size."""
    namespace = {"chunk_size": chunk_size, "fingerprint": getattr(encoder, "fingerprint", None),
                 "doc_prompt": getattr(encoder, "doc_prompt", None),
                 "max_seq_length": getattr(encoder, "max_seq_length", None)}
    digest = hashlib.sha256(json.dumps(namespace, sort_keys=True).encode()).hexdigest()[:16]
    return index_path.parent / f".{index_path.name}.parts" / digest


class CorpusParts:
    """The part files of one corpus encoding: written chunk by chunk, read back in order to build the index."""

    def __init__(self, folder: Path, encoder, chunk_size: int = DEFAULT_CHUNK_SIZE):
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be positive, got {chunk_size}")
        self.folder, self.encoder, self.chunk_size = folder, encoder, chunk_size

    def path(self, chunk: int) -> Path:
        return self.folder / f"part-{chunk:09d}.npz"

    def _read(self, chunk: int, *names: str) -> list[np.ndarray] | None:
        """The arrays ``names`` of a part (``docnos``, ``vecs``), or None when it is missing or unreadable."""
        try:
            with np.load(self.path(chunk)) as data:
                return [data[name] for name in names]
        except FileNotFoundError:
            return None
        except Exception as e:  # a damaged part only costs encoding its chunk again
            warnings.warn(f"ignoring unreadable index part {self.path(chunk)}: {e}")
            return None

    def _write(self, chunk: int, docnos: list[str], vecs: np.ndarray) -> None:
        described = self.folder / "namespace.json"  # what the folder's parts are, for a reader: written once
        if not described.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_json(described, {"chunk_size": self.chunk_size, "encoder": repr(self.encoder)})
        buf = io.BytesIO()
        np.savez(buf, docnos=np.array(docnos, dtype=str), vecs=np.asarray(vecs, dtype=np.float32))
        atomic_write_bytes(self.path(chunk), buf.getvalue())

    def encode(self, records: Iterable[dict], shard: Shard = Shard(), *, total: int | None = None,
               progress: bool = True) -> int:
        """Write the parts of ``shard``'s chunks that are missing; return the corpus's number of chunks.

        A chunk is reused when its part holds the chunk's docnos and the records carry no vectors of their own
        (given vectors are written anew: the part could hold other ones).
        """
        chunks = 0
        with pt.tqdm(total=total, desc=f"encoding (shard {shard.rank}/{shard.count})" if shard.count > 1
                     else "encoding", unit="doc", disable=not progress, smoothing=0.05) as bar:
            for chunk, records_ in enumerate(more_itertools.chunked(records, self.chunk_size)):
                chunks += 1
                if shard.owns(chunk):
                    self._encode_chunk(chunk, records_)
                bar.update(len(records_))
        return chunks

    def _encode_chunk(self, chunk: int, records: list[dict]) -> None:
        docnos = [str(r["docno"]) for r in records]
        given = [r.get("doc_vec") is not None for r in records]
        if not any(given):
            stored = self._read(chunk, "docnos")
            if stored is not None and stored[0].tolist() == docnos:
                return
            if stored is not None:
                warnings.warn(f"index part {self.path(chunk)} holds other documents (the corpus changed since it "
                              "was written): encoding its chunk again")
        if not all(given) and self.encoder is None:
            raise DenseIndexError("documents without 'doc_vec' need an encoder: DenseIndex(path, encoder)")
        need = [r[self.encoder.text_field] for r, g in zip(records, given) if not g]
        encoded = iter(self.encoder.encode_docs(need, cache=False) if need else ())
        vecs = [np.asarray(r["doc_vec"], dtype=np.float32) if g else next(encoded) for r, g in zip(records, given)]
        dims = {v.shape for v in vecs}
        if len(dims) > 1:
            raise ValueError(f"Inconsistent vector shapes detected ({', '.join(map(str, sorted(dims)))}) in the "
                             f"chunk of documents {docnos[0]!r} to {docnos[-1]!r}")
        self._write(chunk, docnos, np.stack(vecs))

    def wait(self, chunks: int, timeout: float | None = None, poll: float = 2.0, progress: bool = True) -> None:
        """Wait until the parts of all ``chunks`` exist (other shards write theirs); TimeoutError names the missing."""
        missing = [c for c in range(chunks) if not self.path(c).exists()]
        if not missing:
            return
        start = time.monotonic()
        with pt.tqdm(total=chunks, initial=chunks - len(missing), desc="waiting for the other shards' parts",
                     unit="part", disable=not progress) as bar:
            while missing:
                if timeout is not None and time.monotonic() - start > timeout:
                    raise TimeoutError(f"{len(missing)} of {chunks} index parts still missing after {timeout:g} s "
                                       f"(chunks {', '.join(map(str, missing[:10]))}{' ...' if len(missing) > 10 else ''}"
                                       f") in {self.folder}: run the shards that own them (chunk j belongs to shard "
                                       f"j mod the number of shards)")
                time.sleep(poll)
                now = [c for c in missing if not self.path(c).exists()]
                bar.update(len(missing) - len(now))
                missing = now

    def records(self, chunks: int) -> Iterator[dict]:
        """The corpus's records (``docno``, ``doc_vec``) in order, read back part by part."""
        for chunk in range(chunks):
            stored = self._read(chunk, "docnos", "vecs")
            if stored is None:
                raise FileNotFoundError(f"index part {self.path(chunk)} is missing or unreadable: index the corpus "
                                        "again (the chunks that are present are kept)")
            docnos, vecs = stored
            if chunk < chunks - 1 and len(docnos) != self.chunk_size:
                raise ValueError(f"index part {self.path(chunk)} holds {len(docnos)} documents, not the chunk size "
                                 f"{self.chunk_size}")
            for docno, vec in zip(docnos.tolist(), vecs):
                yield {"docno": docno, "doc_vec": vec}

    def remove(self) -> None:
        """Delete the parts (once the index holds them), and the parts folder when no other encoding uses it."""
        shutil.rmtree(self.folder, ignore_errors=True)
        try:
            self.folder.parent.rmdir()
        except OSError:
            pass
