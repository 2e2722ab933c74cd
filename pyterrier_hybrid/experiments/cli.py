"""`pyterrier-hybrid reproduce` and `pyterrier-hybrid sweep`: the comparison study and its α / size / language sweeps."""
from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from pyterrier_hybrid.experiments.config import TRAINED_SYSTEMS, EVALUATED_ON, StudyConfig, full_config, quick_config
from pyterrier_hybrid.experiments.sweep import SWEEP_PARAMETERS, parse_value

TRAINING_OPTIONS = {"steps": "steps", "batch_size": "batch_size", "max_seq_length": "max_seq_length",
                    "lr": "learning_rate", "train_languages": "languages", "items": "items"}


def add_study_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared by ``reproduce`` and ``sweep``; unset ones keep the preset's value."""
    from pyterrier_hybrid.models import DEFAULT_MODEL
    p.add_argument("--quick", action="store_true",
                   help="about 10 minutes: MLQA-R -> XQuAD-R in en de zh, 40 steps at batch 16, length 64, 300 items")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"base model name or path (default {DEFAULT_MODEL})")
    p.add_argument("--out", type=Path, help="output folder (default runs/<command>[-quick]); stored parts are reused")
    p.add_argument("--seeds", nargs="+", type=int, help="training seeds (default 0)")
    p.add_argument("--train-on", nargs="+", choices=list(EVALUATED_ON),
                   help="training families; each is evaluated on the other (default: preset)")
    p.add_argument("--languages", nargs="+", help="evaluation languages (default: preset)")
    p.add_argument("--train-languages", nargs="+", help="training languages (default: preset)")
    p.add_argument("--items", type=int, help="train on this many random items (default: all)")
    p.add_argument("--steps", type=int, help="training steps of every fine-tuned model")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--max-seq-length", type=int)
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--train-word-embeddings", action="store_true",
                   help="also train the word-embedding matrix (frozen by default: 3/4 of the model, slower)")
    p.add_argument("--fp32-training", action="store_true",
                   help="train in fp32 even where the CPU has native bfloat16 (autocast is the default there)")
    p.add_argument("--with-context", action="store_true", help="candidates as sentence + paragraph")
    p.add_argument("--eval-max-seq-length", type=int, help="every dense system encodes at this length (default 128)")
    p.add_argument("--eval-items", type=int, help="evaluate the questions of this many random items (quick: 300)")
    p.add_argument("--fast", help="encoding precision at evaluation: auto (default: bf16 where the CPU has it, else "
                                 "fp32), fp32, bf16, bf16-autocast, int8, onnx-int8")


def config_from_args(args: argparse.Namespace, **changes) -> StudyConfig:
    """The preset (quick or full) with every option the user gave applied."""
    training = {field: getattr(args, option) for option, field in TRAINING_OPTIONS.items()
                if getattr(args, option) is not None}
    if args.train_word_embeddings:
        training["freeze_word_embeddings"] = False
    if args.fp32_training:
        training["bf16"] = False
    preset = (quick_config if args.quick else full_config)(args.model)
    study = {"seeds": args.seeds, "train_families": args.train_on, "eval_languages": args.languages}
    study = {k: tuple(v) for k, v in study.items() if v is not None}
    study |= {k: getattr(args, k) for k in ("fast", "eval_max_seq_length", "eval_items") if getattr(args, k) is not None}
    if "languages" in training:
        training["languages"] = tuple(training["languages"])
    return dataclasses.replace(preset, training=dataclasses.replace(preset.training, **training),
                               with_context=args.with_context, **study, **changes)


def default_out(args: argparse.Namespace) -> Path:
    return args.out or Path("runs") / f"{args.command}{'-quick' if args.quick else ''}"


def add_reproduce_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("reproduce", help="the paper's comparison: BM25, zero-shot, X-X, X-X-mono, X-Y, hybrid")
    add_study_arguments(p)
    p.add_argument("--strategies", nargs="+", choices=TRAINED_SYSTEMS, help="fine-tuned systems (default: all)")
    p.add_argument("--no-bm25", dest="bm25", action="store_false")
    p.add_argument("--no-zero-shot", dest="zero_shot", action="store_false")
    p.add_argument("--report-only", action="store_true",
                   help="train and evaluate nothing: report the parts stored so far and list the missing ones")
    p.set_defaults(handler=run_reproduce)


def add_sweep_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sweep", help="hybrid training over a grid of alpha, training-set size or languages")
    add_study_arguments(p)
    p.add_argument("--param", required=True, choices=list(SWEEP_PARAMETERS), help="what to vary")
    p.add_argument("--values", nargs="+", required=True,
                   help="grid values: alpha 0 0.25 ...; items 100 300 ...; languages en,de en,de,zh ...")
    p.set_defaults(handler=run_sweep_command)


def run_reproduce(args: argparse.Namespace) -> None:
    from pyterrier_hybrid.experiments.reproduce import run_study
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    changes = {"bm25": args.bm25, "zero_shot": args.zero_shot}
    if args.strategies:
        changes["strategies"] = tuple(args.strategies)
    out = default_out(args)
    result = run_study(config_from_args(args, **changes), out, stored_only=args.report_only)
    print(result.markdown())
    print(f"reports written to {out}")


def run_sweep_command(args: argparse.Namespace) -> None:
    from pyterrier_hybrid.experiments.sweep import run_sweep
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    values = [parse_value(args.param, v) for v in args.values]
    out = default_out(args)
    frame = run_sweep(config_from_args(args), args.param, values, out)
    table = frame[frame["measure"].isin(["AP", "RankDistance"])].pivot_table(
        index=["family", "value"], columns=["measure", "kind"], values="score", aggfunc="mean", sort=False)
    print(table.round(4).to_string())
    print(f"sweep written to {out}/sweep_{args.param}.csv and .png")
