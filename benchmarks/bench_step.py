"""Where a training step's time goes (data, forward, backward, optimiser), and what torch.compile or threads buy.

    .venv/bin/python benchmarks/bench_step.py [--model DIR] [--steps 50] [--warmup-steps 5] [--batch-size 16]
        [--max-seq-length 64] [--hard-negatives none] [--strategy hybrid] [--languages ...]
        [--variants eager compile threads1 bf16]

Trains the model (default: the project's multilingual-e5-small, ``pyterrier-hybrid model``) with ``train()`` on
MLQA-R (``--languages``, default all; the offline copy from ``PYTERRIER_HYBRID_LAREQA`` or
``../shared/data/lareqa``), fp32 unless the variant says otherwise, once per variant, each in a fresh process with
the same seed, so every variant sees the same batches:

* ``eager``: what the project does (torch's default threads: one per core);
* ``compile``: the trainer's ``torch_compile`` (inductor), the model compiled once shapes settle;
* ``threads1``: one intra-op thread;
* ``bf16``: bfloat16 autocast (``--train-precision bf16``, what the studies' ``auto`` picks on a CPU with native
  bfloat16).

Per variant: mean milliseconds per step, after ``--warmup-steps``, of data loading (the trainer's loader: sampler,
text lookup, tokenisation, collation), forward (the loss), backward, and the optimiser step; steps/s against
``eager``; and the largest difference of the per-step loss from ``eager``'s over all steps (a variant is only worth
keeping when that stays within 1e-3). Names the CPU: speed claims hold for it only.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = ("eager", "compile", "threads1", "bf16")


def child(args: argparse.Namespace) -> None:
    """One variant's run: prints one JSON line of per-step phase times and losses."""
    import importlib

    import torch
    from transformers import TrainerCallback

    from pyterrier_hybrid.training import ParallelQA
    train_module = importlib.import_module("pyterrier_hybrid.training.train")  # the module, not the function

    if args.child == "threads1":
        torch.set_num_threads(1)
    phases: dict[str, list[float]] = {name: [] for name in ("data", "forward", "backward", "optimizer", "step")}
    losses: list[float] = []
    marks: dict[str, float] = {}

    class Clock(TrainerCallback):
        def on_step_begin(self, *a, **k):
            now = time.perf_counter()
            if "end" in marks:
                phases["data"].append(now - marks["end"])
            marks["begin"] = now

        def on_pre_optimizer_step(self, *a, **k):
            marks["optimizer"] = time.perf_counter()

        def on_optimizer_step(self, *a, **k):
            phases["optimizer"].append(time.perf_counter() - marks["optimizer"])

        def on_step_end(self, *a, **k):
            marks["end"] = time.perf_counter()
            phases["step"].append(marks["end"] - marks["begin"])

    base = train_module.guarded_trainer_class()
    compile_ = args.child == "compile"

    class TimedTrainer(base):
        def __init__(self, *a, **k):
            k["args"].torch_compile, k["args"].torch_compile_backend = compile_, "inductor" if compile_ else None
            super().__init__(*a, callbacks=[*k.pop("callbacks", []), Clock()], **k)

        def compute_loss(self, *a, **k):
            start = time.perf_counter()
            result = super().compute_loss(*a, **k)
            phases["forward"].append(time.perf_counter() - start)
            losses.append(float((result[0] if isinstance(result, tuple) else result).detach()))
            return result

        def training_step(self, *a, **k):
            start = time.perf_counter()
            out = super().training_step(*a, **k)
            phases["backward"].append(time.perf_counter() - start - phases["forward"][-1])
            return out

    train_module.guarded_trainer_class = lambda: TimedTrainer
    data = ParallelQA.from_irds("mlqa-r", args.languages)
    with tempfile.TemporaryDirectory() as out:
        train_module.train(args.model, data, strategy=args.strategy, steps=args.steps + args.warmup_steps,
              batch_size=args.batch_size, max_seq_length=args.max_seq_length, hard_negatives=args.hard_negatives,
              precision="bf16" if args.child == "bf16" else "fp32", seed=0, output_dir=Path(out) / "model", save=False)
    print(json.dumps({"phases": phases, "losses": losses, "threads": torch.get_num_threads()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="base model (default: the project's multilingual-e5-small)")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup-steps", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--max-seq-length", type=int, default=64)
    ap.add_argument("--hard-negatives", default="none")
    ap.add_argument("--strategy", default="hybrid")
    ap.add_argument("--languages", nargs="+",
                    help="MLQA-R languages to train on (default: all; the quick job's: en de zh)")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    ap.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.model is None:
        from pyterrier_hybrid.models import DEFAULT_MODEL, resolve_model
        args.model = str(resolve_model(DEFAULT_MODEL))
    if args.child:
        return child(args)
    root = Path(__file__).resolve().parents[1]
    os.environ.setdefault("PYTERRIER_HYBRID_LAREQA", str(root.parent / "shared" / "data" / "lareqa"))
    results = {}
    for variant in dict.fromkeys(["eager", *args.variants]):
        command = [sys.executable, __file__, "--child", variant, *sys.argv[1:]]
        stdout = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        results[variant] = json.loads(stdout.strip().splitlines()[-1])
        print(f"{variant}: done", file=sys.stderr, flush=True)
    from pyterrier_hybrid.core.cpu import cpu_label
    print(f"CPU: {cpu_label()}; model {args.model}; batch {args.batch_size}, length "
          f"{args.max_seq_length}, {args.strategy}, hard negatives {args.hard_negatives}, languages "
          f"{' '.join(args.languages or ['(all)'])}; mean ms per step over "
          f"steps {args.warmup_steps + 1}-{args.warmup_steps + args.steps}")
    print("| variant | threads | data | forward | backward | optimizer | step | steps/s vs eager | max abs dloss |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    skip = args.warmup_steps

    def mean_ms(values: list[float]) -> float:
        tail = values[skip:] or values
        return 1000 * sum(tail) / len(tail)

    eager = results["eager"]
    for variant, r in results.items():
        p = r["phases"]
        dloss = max(abs(a - b) for a, b in zip(r["losses"], eager["losses"]))
        ratio = mean_ms(eager["phases"]["step"]) / mean_ms(p["step"])
        print(f"| {variant} | {r['threads']} | {mean_ms(p['data']):.0f} | {mean_ms(p['forward']):.0f} | "
              f"{mean_ms(p['backward']):.0f} | {mean_ms(p['optimizer']):.0f} | {mean_ms(p['step']):.0f} | "
              f"{ratio:.3f} | {dloss:.2e} |")


if __name__ == "__main__":
    main()
