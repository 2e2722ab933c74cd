"""Encoding throughput, side by side in one run: raw SentenceTransformer.encode, our exact fp32 path, fast modes.

Usage: python benchmarks/bench_encoding.py MODEL_DIR [--texts 300] [--batch-size 32] [--repeats 2]

Texts: evenly spaced sentences of XQuAD-R English (``$PYTERRIER_HYBRID_LAREQA`` or ../shared/data/lareqa),
encoded as documents with the prompt "passage: ". Methods run round-robin ``--repeats`` times, each on an empty
cache, and the best time counts (the machine is shared). Also prints the cosine agreement of each fast mode with
fp32 and a cached second pass (which must encode nothing).
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lareqa"
PROMPT = "passage: "


def load_texts(n: int) -> list[str]:
    """``n`` evenly spaced sentences of XQuAD-R English."""
    root = Path(os.environ.get("PYTERRIER_HYBRID_LAREQA", DEFAULT_DATA))
    data = json.loads((root / "xquad-r" / "en.json").read_text())
    sentences = [s for art in data["data"] for par in art["paragraphs"] for s in par["sentences"]]
    return [sentences[i] for i in np.linspace(0, len(sentences) - 1, n).astype(int)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir")
    parser.add_argument("--texts", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--fast-modes", nargs="*", default=["bf16", "onnx-int8", "int8"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_encoding_"))
    os.environ["PYTERRIER_HYBRID_CACHE"] = str(work / "default")  # fast-mode exports land here, not in ~/.cache

    from sentence_transformers import SentenceTransformer
    from pyterrier_hybrid.retrieval import DenseEncoder

    texts = load_texts(args.texts)
    raw = SentenceTransformer(args.model_dir, device="cpu")
    fast_models = {m: DenseEncoder(args.model_dir, fast=m, cache=False, progress=False).model
                   for m in args.fast_modes}

    def prepare_ours(mode: str, rep: int):
        """An encoder with an empty cache (fp32: the real on-disk cache); loading is not timed."""
        cache = work / f"{mode}-{rep}" if mode == "fp32" else False
        enc = DenseEncoder(args.model_dir, cache=cache, progress=False, batch_size=args.batch_size,
                           fast=mode if mode == "fp32" else "fp32")
        if mode != "fp32":  # reuse the prepared fast model under its own fingerprint
            enc.model, enc.fast, enc.fingerprint = fast_models[mode], mode, enc.fingerprint[:-4] + mode
        return lambda: enc.encode(texts, PROMPT)

    setups = {"SentenceTransformer.encode":
              lambda rep: lambda: raw.encode(texts, prompt=PROMPT, batch_size=args.batch_size),
              **{f"ours {m}": (lambda rep, m=m: prepare_ours(m, rep)) for m in ["fp32", *args.fast_modes]}}
    best, vecs = {name: float("inf") for name in setups}, {}
    for rep in range(args.repeats):
        for name, setup in setups.items():
            run = setup(rep)
            t = time.perf_counter()
            vecs[name] = run()
            seconds = time.perf_counter() - t
            best[name] = min(best[name], seconds)
            print(f"  repeat {rep}: {name:28s} {len(texts) / seconds:7.1f} texts/s", flush=True)

    base, exact = best["SentenceTransformer.encode"], best["ours fp32"]
    print(f"\n{len(texts)} texts, batch size {args.batch_size}, best of {args.repeats}, "
          f"torch threads {__import__('torch').get_num_threads()}")
    for name, seconds in best.items():
        line = f"{name:28s} {len(texts) / seconds:7.1f} texts/s   vs raw {base / seconds:5.2f}x   vs ours fp32 {exact / seconds:5.2f}x"
        if name.startswith("ours") and name != "ours fp32":
            cos = (vecs[name] * vecs["ours fp32"]).sum(1)
            line += f"   cosine to fp32 mean {cos.mean():.5f} min {cos.min():.5f}"
        print(line)
    print(f"max |ours fp32 - raw| = {np.abs(vecs['ours fp32'] - vecs['SentenceTransformer.encode']).max():.2e}")

    again = DenseEncoder(args.model_dir, cache=work / "fp32-0", progress=False, batch_size=args.batch_size)
    t = time.perf_counter()
    again.encode(texts, PROMPT)
    print(f"cached second pass: {again.stats.encoded} texts encoded, {again.stats.cache_hits} cache hits, "
          f"{time.perf_counter() - t:.3f} s")


if __name__ == "__main__":
    main()
