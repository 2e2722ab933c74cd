"""Training data at the paper's scale: memory, epoch planning and training speed on memory-mapped Arrow data.

    .venv/bin/python benchmarks/bench_scale.py [--items 10000000] [--languages 7] [--data DIR] [--model DIR]
        [--rounds 3] [--steps 30] [--warmup-steps 3] [--batch-size 16] [--baseline-items 2000] [--threads 1]

Writes synthetic parallel QA data (``--items`` items, each in ``--languages`` languages, short distinct texts) once
to an Arrow IPC file under ``--data`` (default ``~/.cache/pyterrier-hybrid/bench-scale``; never committed), then,
in a fresh process so that its memory is its own:

* loads it with ``ParallelQA.from_arrow`` (memory-mapped) and builds the pair keys, timing each part;
* plans epochs of hybrid batches (batch 16), timing each (target <= 30 s);
* trains the same model (default: the tiny test model) on the memory-mapped data and on a small in-memory
  ``ParallelQA`` (the last ``--baseline-items`` items: texts of the same token lengths), interleaved over
  ``--rounds`` rounds, and gives the ratio of their median steps/s (target >= 0.98);
* samples the process's anonymous resident memory (``RssAnon``: not the memory-mapped texts, which the kernel
  can drop) every 20 ms and prints its peak overall and while training (target <= 4 GB);
* counts the page faults (major: read from disk; minor: mapped without reading) per timed step of each run.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))
LANGS = ("ar", "de", "en", "es", "hi", "vi", "zh", "el", "ru", "th")
CHUNK_ITEMS = 1_000_000


def synthetic_table(first: int, n_items: int, langs: tuple[str, ...]) -> pa.Table:
    """Items ``first .. first + n_items - 1`` in every language, sorted by (item id, language)."""
    items = pc.cast(pa.array(np.repeat(np.arange(first, first + n_items), len(langs))), pa.string())
    item_ids = pc.utf8_lpad(items, width=10, padding="0")
    lang = pa.array(np.tile(np.array(langs, dtype=object), n_items), pa.string())
    question = pc.binary_join_element_wise("where is the house number", items, "in", lang, "?", " ")
    answer = pc.binary_join_element_wise("the house", items, "stands near the river of", lang, ".", " ")
    return pa.table({"item_id": item_ids, "lang": lang, "question": question, "answer": answer})


def write_synthetic(folder: Path, n_items: int, n_langs: int) -> Path:
    """The Arrow IPC file of the synthetic data (written once, atomically, then reused)."""
    import pyarrow.ipc as ipc
    from tqdm import tqdm
    from pyterrier_hybrid.core.atomic import atomic_open
    langs = tuple(sorted(LANGS[:n_langs]))
    path = folder / f"parallel-qa-{n_items}x{n_langs}.arrow"
    if path.exists():
        return path
    schema = synthetic_table(0, 1, langs).schema
    with atomic_open(path) as f, ipc.new_file(f, schema) as writer:
        for first in tqdm(range(0, n_items, CHUNK_ITEMS), desc="writing synthetic data", unit="M items"):
            writer.write_table(synthetic_table(first, min(CHUNK_ITEMS, n_items - first), langs))
    return path


class AnonPeak(threading.Thread):
    """Peak ``RssAnon`` of this process (bytes), sampled every 20 ms; :meth:`reset` starts a new window."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = self.window = 0

    @staticmethod
    def now() -> int:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("RssAnon"))

    def run(self) -> None:
        while True:
            value = self.now()
            self.peak, self.window = max(self.peak, value), max(self.window, value)
            time.sleep(0.02)

    def reset(self) -> None:
        self.window = self.now()


def gb(n: int) -> str:
    return f"{n / 2**30:.2f} GB"


def child(path: str, model: str, args: argparse.Namespace) -> None:
    """The measured process: load, plan, train; prints one JSON line."""
    import torch
    from bench_training import timed_run
    from pyterrier_hybrid.training import BatchStats, HybridBatchSampler, PairKeys, ParallelQA
    torch.set_num_threads(args.threads)
    memory = AnonPeak()
    memory.start()
    out: dict = {"rss_anon_start": AnonPeak.now()}
    clock = time.perf_counter()
    data = ParallelQA.from_arrow(path)
    out["load_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    pairs = PairKeys(data)
    out["pair_keys_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    dataset = pairs.dataset()
    out["key_dataset_s"] = time.perf_counter() - clock
    sampler = HybridBatchSampler(dataset, args.batch_size, False, seed=0, pairs=pairs)
    plans = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        clock = time.perf_counter()
        next(iter(sampler))  # the whole epoch is planned before its first batch
        plans.append(time.perf_counter() - clock)
    out.update(rows=len(data), keys=pairs.n_keys, batches_per_epoch=len(sampler), plan_s=plans,
               rss_anon_before_training=memory.peak)
    del sampler  # the trainer builds its own: keeping this one measured two samplers' sources while training
    # the last items: their ids (and so their texts) have as many digits as almost all of the data's, so both runs
    # train on texts of the same token lengths (the first items' shorter numbers made the baseline's steps faster)
    rows = args.baseline_items * len(data.languages)
    small = ParallelQA(data.table.slice(len(data) - rows, rows).combine_chunks(), "in memory")
    small_pairs = PairKeys(small)
    runs = {"memory-mapped": (pairs, dataset), "in-memory": (small_pairs, small_pairs.dataset())}
    rates: dict[str, list[float]] = {name: [] for name in runs}
    faults: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}  # (major, minor) per timed step
    memory.reset()
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for name in list(runs)[::1 if r % 2 == 0 else -1]:
                keys, ds = runs[name]
                factory = lambda *a, keys=keys, **k: HybridBatchSampler(  # noqa: E731
                    *a, pairs=keys, stats=BatchStats(keys.data.languages), **k)
                rate, _, step_faults = timed_run(model, ds, factory, args.steps, args.warmup_steps, args.batch_size,
                                                 None, False, tmp, measure_loader=False)
                rates[name].append(rate)
                faults[name].append(step_faults)
                print(f"round {r + 1}/{args.rounds} {name}: {rate:.3f} steps/s", file=sys.stderr, flush=True)
    out.update(rates=rates, faults=faults, rss_anon_training=memory.window, rss_anon_peak=memory.peak)
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000_000)
    parser.add_argument("--languages", type=int, default=7, choices=range(2, len(LANGS) + 1))
    parser.add_argument("--data", type=Path, default=Path.home() / ".cache" / "pyterrier-hybrid" / "bench-scale")
    parser.add_argument("--model", help="sentence-transformers model directory (default: the tiny test model)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup-steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--baseline-items", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.model, args)
    args.data.mkdir(parents=True, exist_ok=True)
    clock = time.perf_counter()
    path = write_synthetic(args.data, args.items, args.languages)
    print(f"data: {path} ({path.stat().st_size / 2**30:.1f} GB on disk; {time.perf_counter() - clock:.0f} s to "
          "write or find)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
            from tiny_model import build_tiny_model
            model = str(build_tiny_model(Path(tmp) / "tiny"))
        command = [sys.executable, __file__, *sys.argv[1:], "--child", str(path), "--model", model]
        result = json.loads(subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout.splitlines()[-1])
    medians = {name: statistics.median(values) for name, values in result["rates"].items()}
    from pyterrier_hybrid.core.cpu import cpu_label
    print(f"CPU: {cpu_label()}; torch threads {args.threads}")
    print(f"rows {result['rows']:,} ({args.items:,} items x {args.languages} languages), keys {result['keys']:,}, "
          f"hybrid batches per epoch {result['batches_per_epoch']:,}")
    print(f"load (memory-mapped) {result['load_s']:.1f} s, pair keys (text groups) {result['pair_keys_s']:.1f} s, "
          f"key dataset {result['key_dataset_s']:.1f} s")
    print(f"epoch plan, seconds: {' '.join(f'{s:.1f}' for s in result['plan_s'])} (target <= 30 s)")
    print(f"peak RssAnon: {gb(result['rss_anon_peak'])} overall, {gb(result['rss_anon_training'])} while training, "
          f"{gb(result['rss_anon_before_training'])} up to the first plans (target <= 4 GB)")
    print("steps/s, median of " + f"{args.rounds} runs of {args.steps} steps: "
          + ", ".join(f"{name} {value:.3f}" for name, value in medians.items())
          + f"; memory-mapped / in-memory {medians['memory-mapped'] / medians['in-memory']:.3f} (target >= 0.98)")
    print("page faults per timed step, major / minor, per run: " + "; ".join(
        f"{name} " + " ".join(f"{major:.1f}/{minor:.0f}" for major, minor in values)
        for name, values in result["faults"].items()))


if __name__ == "__main__":
    main()
