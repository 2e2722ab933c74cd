"""`pyterrier-hybrid reproduce` and `pyterrier-hybrid sweep`: the comparison study and its α / size / language sweeps."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from pyterrier_hybrid import cli_options
from pyterrier_hybrid.experiments.config import COMPARED, EVALUATED_ON, TRAINED_SYSTEMS, StudyConfig, full_config, quick_config
from pyterrier_hybrid.experiments.sweep import SWEEP_PARAMETERS, parse_value


def add_study_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared by ``reproduce`` and ``sweep``; unset ones keep the preset's value."""
    from pyterrier_hybrid.models import DEFAULT_MODEL
    p.add_argument("--quick", action="store_true",
                   help="about 10 minutes: MLQA-R -> XQuAD-R in en de zh, 40 steps at batch 16, length 64, 300 items")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"base model name or path (default {DEFAULT_MODEL})")
    cli_options.add_output(p, required=False,
                           help="output folder (default runs/<command>[-quick]); stored parts are reused")
    p.add_argument("--store", type=Path,
                   help="folder whose .study/ holds the trained models and evaluations (default: --out); studies "
                        "that share points (the same model, data and evaluation) share a store and compute them once")
    p.add_argument("--report-only", action="store_true",
                   help="train and evaluate nothing: report the parts stored so far and list the missing ones")
    p.add_argument("--keep-models", action="store_true",
                   help="keep each trained model (weights, card, batch_stats.json) under <store>/.study/models; by "
                        "default the store keeps only what its reports need, and a model goes once it is evaluated")
    p.add_argument("--seeds", nargs="+", type=int, help="training seeds (default 0)")
    p.add_argument("--train-on", nargs="+", choices=list(EVALUATED_ON),
                   help="training families; each is evaluated on the other (default: preset)")
    cli_options.add_training(p, preset=True)
    p.add_argument("--held-out-items", type=cli_options.positive_int,
                   help="choose a recipe without the test family: keep this many random training items (the same "
                        "for every model) out of training and score every system on their questions in the training "
                        "family, instead of on the other family")
    cli_options.add_strategy_options(p)
    cli_options.add_evaluation(p, preset=True)
    cli_options.deprecated(p, "--languages", "--eval-languages", "eval_languages", nargs="+")


def config_from_args(args: argparse.Namespace, **changes) -> StudyConfig:
    """The preset (quick or full) with every option the user gave applied (validated before any work)."""
    preset = (quick_config if args.quick else full_config)(args.model)
    training = cli_options.train_config_fields(args)
    training |= {k: v for k, v in (("languages", args.train_languages), ("items", args.train_items),
                                   ("held_out_items", args.held_out_items)) if v is not None}
    if args.epochs is not None and args.steps is None:  # by epochs: the preset's step count goes
        training["steps"] = None
    if training.get("languages"):
        training["languages"] = tuple(training["languages"])
    study = {"seeds": args.seeds, "train_families": args.train_on, "eval_languages": args.eval_languages}
    study = {k: tuple(v) for k, v in study.items() if v is not None}
    if args.held_out_items:  # the held-out items' questions are the ones evaluated: the preset's sample goes
        study["eval_items"] = None
    study |= {field: getattr(args, flag) for flag, field in (("encode_precision", "fast"),
                                                            ("eval_max_seq_length", "eval_max_seq_length"),
                                                            ("eval_items", "eval_items"),
                                                            ("encode_batch_size", "encode_batch_size"))
              if getattr(args, flag) is not None}
    return dataclasses.replace(preset, training=preset.training.replace(**training),
                               with_context=args.with_context, **study, **changes)


def default_out(args: argparse.Namespace) -> Path:
    return args.out or Path("runs") / f"{args.command}{'-quick' if args.quick else ''}"


def add_reproduce_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("reproduce", help="the paper's comparison: BM25, zero-shot, X-X, X-X (mixed), X-Y, hybrid")
    add_study_arguments(p)
    p.add_argument("--strategies", nargs="+", choices=TRAINED_SYSTEMS,
                   help=f"fine-tuned systems (default: the paper's comparison, {' '.join(COMPARED)})")
    p.add_argument("--no-bm25", dest="bm25", action="store_false")
    p.add_argument("--no-zero-shot", dest="zero_shot", action="store_false")
    p.set_defaults(handler=run_reproduce)


def add_sweep_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sweep", help="hybrid training over a grid of alpha, training-set size or languages")
    add_study_arguments(p)
    p.add_argument("--param", required=True, choices=list(SWEEP_PARAMETERS), help="what to vary")
    p.add_argument("--values", nargs="+", required=True,
                   help="grid values: alpha 0 0.25 ...; items 100 300 ...; languages en,de en,de,zh ...; "
                        "hard_negatives none paragraph ...")
    p.add_argument("--strategies", nargs="+", choices=TRAINED_SYSTEMS, default=["hybrid"],
                   help="the strategies trained at every point (default: hybrid)")
    p.set_defaults(handler=run_sweep_command)


def run_reproduce(args: argparse.Namespace) -> None:
    from pyterrier_hybrid.experiments.reproduce import run_study
    changes = {"bm25": args.bm25, "zero_shot": args.zero_shot}
    if args.strategies:
        changes["strategies"] = tuple(args.strategies)
    out = default_out(args)
    result = run_study(config_from_args(args, **changes), out, stored_only=args.report_only, store_dir=args.store,
                       keep_models=args.keep_models)
    print(result.markdown())
    print(f"reports written to {out}")


def run_sweep_command(args: argparse.Namespace) -> None:
    from pyterrier_hybrid.experiments.sweep import run_sweep
    values = [parse_value(args.param, v) for v in args.values]
    out = default_out(args)
    frame = run_sweep(config_from_args(args, strategies=tuple(args.strategies)), args.param, values, out,
                      store_dir=args.store, stored_only=args.report_only, keep_models=args.keep_models)
    table = frame[frame["measure"].isin(["AP", "RankDistance"])].pivot_table(
        index=["family", "strategy", "value"], columns=["measure", "kind"], values="score", aggfunc="mean",
        sort=False)
    print(table.round(4).to_string())
    print(f"sweep written to {out}/sweep_{args.param}.csv and .png")
