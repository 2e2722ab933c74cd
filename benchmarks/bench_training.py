"""Training throughput of the hybrid sampler vs sentence-transformers' NoDuplicatesBatchSampler, and the
time to plan one epoch of batches over 1M rows.

    .venv/bin/python benchmarks/bench_training.py [--model DIR] [--rounds 9] [--steps 150] [--warmup-steps 3]
        [--batch-size 16] [--max-seq-length N] [--freeze-word-embeddings] [--threads 1] [--rows 1000000] [--profile]

Without ``--model`` a tiny 2-layer model is built (tests/tiny_model.py). Throughput: the two samplers
train the same model (reloaded for every run) on the same texts, interleaved over ``--rounds`` rounds
(A B, then B A, ...); each run times ``--steps`` steps after ``--warmup-steps`` untimed ones (so model
loading, trainer set-up and epoch planning are excluded). Reported: each sampler's median steps/s, the
ratio of the medians, and the median of the per-round ratios (robust to load that drifts between rounds
on a shared machine); also the time per batch of the trainer's data loader alone (the part of a step
the sampler can change). Torch runs on ``--threads`` threads (default 1: on a shared machine, intra-op
threads that wait for each other at every operator make step times swing by an order of magnitude).
Planning: the median over several epochs, the first one untimed. Targets: hybrid / no-duplicates
steps/s >= 0.98; one epoch of batch indices for 1M rows in < 2 s.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import datasets
import torch
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
from sentence_transformers.base.sampler import BatchSamplers
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments
from transformers import TrainerCallback

from pyterrier_hybrid.training import BatchStats, HybridBatchSampler, PairKeys, ParallelQA

LANGS = ("ar", "de", "en", "es", "hi", "vi", "zh", "el", "ru", "th")


def synthetic(n_items: int, langs: tuple[str, ...] = LANGS) -> ParallelQA:
    """Fully parallel items with short distinct texts."""
    return ParallelQA.from_lists([i for i in range(n_items) for _ in langs], [lang for _ in range(n_items) for lang in langs],
                                 [f"where is the house number {i} {lang}?" for i in range(n_items) for lang in langs],
                                 [f"the house {i} stands near the river {lang}." for i in range(n_items) for lang in langs])


def spread(values: list[float]) -> str:
    """``median (min-max)`` of the values."""
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


class StepClock(TrainerCallback):
    """Wall-clock time and the process's page faults so far (major, minor) at the end of every optimiser step."""

    def __init__(self):
        self.ends: list[float] = []
        self.faults: list[tuple[int, int]] = []

    def on_step_end(self, args, state, control, **kwargs):
        self.ends.append(time.perf_counter())
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.faults.append((usage.ru_majflt, usage.ru_minflt))


def loader_ms_per_batch(trainer: SentenceTransformerTrainer, batches: int) -> float:
    """Milliseconds per batch of the trainer's data loader alone (sampler, text lookup, tokenisation, collation)."""
    loader = iter(trainer.get_train_dataloader())
    next(loader)  # the sampler plans its epoch here
    start = time.perf_counter()
    for _ in range(batches):
        next(loader)
    return (time.perf_counter() - start) / batches * 1000


def timed_run(model_dir: str, dataset, batch_sampler, steps: int, warmup: int, batch_size: int,
              max_seq_length: int | None, freeze: bool, out: str, measure_loader: bool = True
              ) -> tuple[float, float, tuple[float, float]]:
    """One run: (steps/s of ``steps`` MNRL steps after ``warmup`` untimed ones, data loader ms per batch, or NaN
    without ``measure_loader``: the measured loader, its sampler and epoch plan stay referenced by the trainer's
    accelerator while it trains, so a memory benchmark must not build it; page faults per timed step, major and
    minor)."""
    gc.collect()  # an earlier run's trainer (reference cycles) and its sampler go before this one is built
    model = SentenceTransformer(model_dir, device="cpu")
    if max_seq_length:
        model.max_seq_length = max_seq_length
    if freeze:
        model[0].auto_model.get_input_embeddings().weight.requires_grad_(False)
    args = SentenceTransformerTrainingArguments(
        output_dir=out, per_device_train_batch_size=batch_size, max_steps=warmup + steps, batch_sampler=batch_sampler,
        save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True, logging_steps=warmup + steps, seed=0)
    clock = StepClock()
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset, callbacks=[clock],
                                         loss=MultipleNegativesRankingLoss(model))
    loader_ms = loader_ms_per_batch(trainer, warmup + steps) if measure_loader else float("nan")
    trainer.train()
    faults = tuple((end - start) / steps for start, end in zip(clock.faults[warmup - 1], clock.faults[-1]))
    return steps / (clock.ends[-1] - clock.ends[warmup - 1]), loader_ms, faults


def throughput(model_dir: str, rounds: int, steps: int, warmup: int, batch_size: int, max_seq_length: int | None,
               freeze: bool) -> None:
    """Median steps/s of each sampler over interleaved runs, the ratio of the medians and the median per-round ratio."""
    data = synthetic(1000, LANGS[:4])
    pairs = PairKeys(data)
    plain = datasets.Dataset.from_dict(pairs.texts(list(range(pairs.n_mono + pairs.n_cross))))
    factory = lambda *a, **k: HybridBatchSampler(*a, pairs=pairs, stats=BatchStats(data.languages), **k)  # noqa: E731
    runs = {"hybrid": (pairs.dataset(), factory), "no-duplicates": (plain, BatchSamplers.NO_DUPLICATES)}
    rates: dict[str, list[float]] = {name: [] for name in runs}
    loader_ms: dict[str, list[float]] = {name: [] for name in runs}
    with tempfile.TemporaryDirectory() as out:
        for r in range(rounds):
            for name in list(runs)[::1 if r % 2 == 0 else -1]:
                rate, ms, _ = timed_run(model_dir, *runs[name], steps, warmup, batch_size, max_seq_length, freeze, out)
                rates[name].append(rate)
                loader_ms[name].append(ms)
                print(f"round {r + 1}/{rounds} {name}: {rate:.3f} steps/s, data loader {ms:.2f} ms/batch", flush=True)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    paired = [a / b for a, b in zip(rates["hybrid"], rates["no-duplicates"])]
    print(f"steps/s, median (min-max) of {rounds} runs of {steps} steps: "
          + ", ".join(f"{name} {spread(values)}" for name, values in rates.items()))
    print(f"hybrid / no-duplicates: ratio of medians {medians['hybrid'] / medians['no-duplicates']:.3f}, "
          f"per-round ratios {spread(paired)} (target >= 0.98)")
    print("data loader alone, ms/batch, median (min-max): "
          + ", ".join(f"{name} {spread(values)}" for name, values in loader_ms.items()))


def epoch_planning(rows: int, batch_size: int, epochs: int, profile: bool) -> None:
    """Seconds to generate one epoch of hybrid batch indices over ``rows`` monolingual rows (median of ``epochs``)."""
    data = synthetic(rows // len(LANGS))
    sampler = HybridBatchSampler(None, batch_size, False, seed=0, pairs=PairKeys(data))
    times = []
    for epoch in range(epochs + 1):  # epoch 0 warms up
        sampler.set_epoch(epoch)
        start = time.perf_counter()
        n = sum(1 for _ in sampler)
        times.append(time.perf_counter() - start)
    print(f"one epoch of {n} hybrid batches over {data.mono_size} + {data.cross_size} rows, seconds, median "
          f"(min-max) of {epochs}: {spread(times[1:])} (target < 2 s)")
    if profile:
        with cProfile.Profile() as profiler:
            sum(1 for _ in sampler)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="sentence-transformers model directory (default: a tiny model)")
    parser.add_argument("--rounds", type=int, default=9, help="timed runs per sampler, interleaved")
    parser.add_argument("--steps", type=int, default=150, help="timed steps per run")
    parser.add_argument("--warmup-steps", type=int, default=3, help="untimed steps at the start of each run (>= 1)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-seq-length", type=int)
    parser.add_argument("--freeze-word-embeddings", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--planning-epochs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile one more planning epoch (cProfile)")
    args = parser.parse_args()
    if args.warmup_steps < 1:
        parser.error("--warmup-steps must be >= 1 (the timing starts at the end of a step)")
    torch.set_num_threads(args.threads)
    epoch_planning(args.rows, 32, args.planning_epochs, args.profile)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
            from tiny_model import build_tiny_model
            model = str(build_tiny_model(Path(tmp) / "tiny"))
        throughput(model, args.rounds, args.steps, args.warmup_steps, args.batch_size, args.max_seq_length,
                   args.freeze_word_embeddings)


if __name__ == "__main__":
    main()
