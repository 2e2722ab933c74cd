"""Encoding speed and fast-mode accuracy, side by side in one run.

Usage: python benchmarks/bench_encoding.py MODEL_DIR [--texts 320] [--batch-size 32] [--rounds 5]
           [--fast-modes bf16 ...] [--languages en de zh | --no-map] [--cache DIR]

Prints, measured in this run:

1. throughput of raw ``SentenceTransformer.encode``, of our exact fp32 path (``DenseEncoder``: prompts, batches
   by token count, cache writes) and of each fast mode, on XQuAD-R sentences of ``--languages`` encoded as documents
   ("passage: "). The methods run interleaved, round by round, each round on an empty cache (the models are
   prepared once, untimed), so contention from other jobs on a shared machine hits all of them alike; the
   ratios are ratios of the medians over the rounds. Also the cosine of each fast mode's vectors to fp32's,
   and each method's achieved GFLOPS (the transformer's matrix products counted at each text's exact token
   length) against the CPU's fp32 GEMM peak, and for int8 modes also its int8 GEMM peak, measured in the same
   run (the distance to the machine's limit), and the share of padding among the tokens each batching encodes.
2. unless ``--no-map``: the XQuAD-R matrix restricted to ``--languages`` (every mono, cross and multi setting
   among them) for fp32 and each fast mode: macro mAP per setting kind and its difference to fp32. These
   embeddings go through the persistent cache (``--cache``, default the user's), so a re-run encodes nothing.

Data: ``$PYTERRIER_HYBRID_LAREQA`` or ../shared/data/lareqa.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "lareqa"
PROMPT = "passage: "


def data_root() -> Path:
    return Path(os.environ.get("PYTERRIER_HYBRID_LAREQA", DEFAULT_DATA))


def load_texts(n: int, languages: list[str], family: str = "xquad-r") -> list[str]:
    """``n`` sentences of ``family`` (default XQuAD-R), evenly spaced within each of ``languages`` (equal shares)."""
    texts = []
    for i, lang in enumerate(languages):
        data = json.loads((data_root() / family / f"{lang}.json").read_text())
        sentences = [s for art in data["data"] for par in art["paragraphs"] for s in par["sentences"]]
        k = n // len(languages) + (i < n % len(languages))
        texts += [sentences[j] for j in np.linspace(0, len(sentences) - 1, k).astype(int)]
    return texts


def gemm_gflops(n: int = 1024, seconds: float = 1.0, int8: bool = False) -> float:
    """GEMM throughput of this CPU with torch's threads: the best of repeated n x n products, fp32 (``torch.mm``)
    or int8 with int32 sums (``torch._int_mm``, oneDNN: VNNI / AMX-INT8 where the CPU has them)."""
    import torch
    if int8:
        a, b = (torch.randint(-128, 128, (n, n), dtype=torch.int8) for _ in range(2))
        product = torch._int_mm
    else:
        a, b, product = torch.randn(n, n), torch.randn(n, n), torch.mm
    product(a, b)  # warm-up
    best, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        product(a, b)
        best = max(best, 2 * n ** 3 / (time.perf_counter() - t) / 1e9)
    return best


def token_lengths(model, texts: list[str]) -> np.ndarray:
    """Token count of each of ``texts`` as a document (prompt included), truncated as the model encodes it."""
    tokens = model.tokenizer([PROMPT + t for t in texts], truncation=True, max_length=model.max_seq_length)
    return np.array([len(ids) for ids in tokens["input_ids"]])


def encoding_flops(model, texts: list[str]) -> float:
    """Floating-point operations of the transformer's matrix products for ``texts`` as documents, at each
    text's exact token length L (no padding): per layer the Q, K, V and output projections (4 x 2 L h^2), the
    feed-forward pair (2 x 2 L h i) and attention's scores and weighted sum (2 x 2 L^2 h)."""
    config = model[0].auto_model.config
    h, i, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    lengths = token_lengths(model, texts).astype(np.float64)
    return float(layers * (8 * lengths * h * h + 4 * lengths * h * i + 4 * lengths ** 2 * h).sum())


def padding_shares(model, encoder, texts: list[str], batch_size: int) -> tuple[float, float]:
    """Share of padding among the encoded tokens: with ``SentenceTransformer.encode``'s batches (longest first
    by characters, cut every ``batch_size``) and with ours (``DenseEncoder._length_batches``)."""
    lengths = token_lengths(model, texts)
    by_chars = np.argsort([-len(t) for t in texts], kind="stable")
    theirs = [by_chars[i:i + batch_size] for i in range(0, len(texts), batch_size)]
    ours = encoder._length_batches(texts, batch_size)

    def share(batches) -> float:
        padded = sum(len(b) * lengths[list(b)].max() for b in batches)
        return 1 - lengths.sum() / padded
    return share(theirs), share(ours)


def interleaved_rounds(runs: dict[str, Callable[[int], np.ndarray]], rounds: int, n_texts: int
                       ) -> tuple[dict[str, list[float]], dict[str, np.ndarray]]:
    """Each run once untimed (round -1: first-call allocations, kernel creation), then ``rounds`` rounds of all runs
    in turn, so contention from other jobs on a shared machine hits them alike: seconds per run and round, and each
    run's last vectors. A run is called with the round number."""
    for run in runs.values():
        run(-1)
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    vecs = {}
    for rnd in range(rounds):
        for name, run in runs.items():
            clock = time.perf_counter()
            vecs[name] = run(rnd)
            seconds[name].append(time.perf_counter() - clock)
        print(f"  round {rnd}: texts/s  " + " | ".join(f"{name.removeprefix('ours ')} {n_texts / s[-1]:.1f}"
                                                       for name, s in seconds.items()), flush=True)
    return seconds, vecs


def time_encoding(args, texts: list[str], work: Path) -> None:
    from sentence_transformers import SentenceTransformer

    from pyterrier_hybrid.retrieval import DenseEncoder

    raw = SentenceTransformer(args.model_dir, device="cpu")
    # fast-mode exports (onnx/) live in a scratch cache root, each round's embeddings in a fresh folder
    ours = {mode: DenseEncoder(args.model_dir, fast=mode, cache=work / "setup", progress=False,
                               batch_size=args.batch_size) for mode in ["fp32", *args.fast_modes]}

    def run_ours(mode: str, rnd: int):
        enc = ours[mode]
        enc.cache_root, enc._caches = work / f"{mode}-{rnd}", {}  # an empty cache: everything is encoded
        out = enc.encode(texts, PROMPT)
        return out

    methods = {"SentenceTransformer.encode": lambda rnd: raw.encode(texts, prompt=PROMPT,
                                                                    batch_size=args.batch_size),
               **{f"ours {m}": (lambda rnd, m=m: run_ours(m, rnd)) for m in ours}}
    peaks_before = gemm_gflops(), gemm_gflops(int8=True)  # measured before and after the rounds; the higher counts
    seconds, vecs = interleaved_rounds(methods, args.rounds, len(texts))

    import torch

    from pyterrier_hybrid.core.cpu import cpu_label
    peak, int8_peak = max(gemm_gflops(), peaks_before[0]), max(gemm_gflops(int8=True), peaks_before[1])
    flops = encoding_flops(raw, texts)
    median = {name: statistics.median(s) for name, s in seconds.items()}
    raw_s, exact_s = median["SentenceTransformer.encode"], median["ours fp32"]
    print(f"\nencoding: {len(texts)} sentences ({' '.join(args.languages)}), batch size {args.batch_size}, "
          f"median of {args.rounds} interleaved rounds, torch threads {torch.get_num_threads()}; CPU: {cpu_label()}")
    print(f"  fp32 GEMM peak (1024 x 1024, best of 1 s, before and after the rounds): {peak:.0f} GFLOPS; "
          f"int8 GEMM peak {int8_peak:.0f} GOPS; the texts' matrix products at exact lengths: {flops / 1e9:.1f} GFLOP")
    for name, s in median.items():
        spread = f"[{len(texts) / max(seconds[name]):.1f}-{len(texts) / min(seconds[name]):.1f}]"
        line = (f"  {name:28s} {len(texts) / s:7.1f} texts/s {spread:15s} vs raw {raw_s / s:5.2f}x   "
                f"vs ours fp32 {exact_s / s:5.2f}x   {flops / s / 1e9:6.1f} GFLOPS = {flops / s / 1e9 / peak:.2f} of "
                "the fp32 GEMM peak")
        if "int8" in name:
            line += f" ({flops / s / 1e9 / int8_peak:.2f} of the int8 peak)"
        if name.startswith("ours") and name != "ours fp32":
            cos = (vecs[name] * vecs["ours fp32"]).sum(1)
            line += f"   cosine to fp32 mean {cos.mean():.6f} min {cos.min():.6f}"
        print(line)
    theirs, ours_share = padding_shares(raw, ours["fp32"], texts, args.batch_size)
    print(f"  padding among the encoded tokens: SentenceTransformer.encode {theirs:.1%} (batches by characters), "
          f"ours {ours_share:.1%} (batches by tokens)")
    print(f"  max |ours fp32 - raw| = {np.abs(vecs['ours fp32'] - vecs['SentenceTransformer.encode']).max():.2e}")
    again = DenseEncoder(args.model_dir, cache=work / "fp32-0", progress=False, batch_size=args.batch_size)
    t = time.perf_counter()
    again.encode(texts, PROMPT)
    print(f"  cached second pass (fp32): {again.stats.encoded} texts encoded, {again.stats.cache_hits} cache hits, "
          f"{time.perf_counter() - t:.3f} s")


def map_differences(args) -> None:
    from pyterrier_hybrid.evaluation import DenseSystem, run_matrix
    from pyterrier_hybrid.retrieval import DenseEncoder

    os.environ.setdefault("PYTERRIER_HYBRID_LAREQA", str(data_root()))
    cache = args.cache if args.cache is not None else True
    systems = [DenseSystem(DenseEncoder(args.model_dir, fast=mode, cache=cache, batch_size=args.batch_size,
                                        progress=False), mode) for mode in ["fp32", *args.fast_modes]]
    t = time.perf_counter()
    result = run_matrix("xquad-r", systems, args.languages, measures=["AP"], bias=False)
    table = result.macro()["AP"].unstack("kind").reindex([s.name for s in systems])
    print(f"\nXQuAD-R macro mAP, languages {' '.join(args.languages)} (settings: {len(args.languages)} mono, "
          f"{len(args.languages) * (len(args.languages) - 1)} cross, {len(args.languages)} multi; "
          f"texts encoded now {result.encoded}, {time.perf_counter() - t:.0f} s)")
    kinds = [k for k in ("mono", "cross", "multi") if k in table.columns]
    print(f"  {'mode':14s} " + " ".join(f"{k:>8s} {'Δ' + k:>9s}" for k in kinds))
    for mode in table.index:
        cells = [f"{table.loc[mode, k]:8.4f} {table.loc[mode, k] - table.loc['fp32', k]:+9.4f}" for k in kinds]
        print(f"  {mode:14s} " + " ".join(cells))


def timing_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments every encoding benchmark shares: the model, the timed texts, batch size, rounds, languages."""
    parser.add_argument("model_dir")
    parser.add_argument("--texts", type=int, default=320, help="sentences to time (default 320)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (median counts)")
    parser.add_argument("--languages", nargs="+", default=["en", "de", "zh"],
                        help="XQuAD-R languages of the timed texts and of the mAP matrix (default: en de zh)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    timing_arguments(parser)
    from pyterrier_hybrid.retrieval.fast import fast_mode
    picked = fast_mode(True)
    parser.add_argument("--fast-modes", nargs="*", default=[picked],
                        help=f"fast modes to compare with fp32 (default: {picked}, what fast=True picks here)")
    parser.add_argument("--no-map", dest="map", action="store_false", help="timing only, no XQuAD-R mAP")
    parser.add_argument("--no-timing", dest="timing", action="store_false", help="mAP only")
    parser.add_argument("--cache", type=Path, help="embedding cache of the mAP part (default: the user's)")
    args = parser.parse_args()
    if args.timing:
        with tempfile.TemporaryDirectory(prefix="bench_encoding_") as work:
            time_encoding(args, load_texts(args.texts, args.languages), Path(work))
    if args.map:
        map_differences(args)


if __name__ == "__main__":
    main()
