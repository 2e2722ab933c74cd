"""The ``train`` sub-command of ``pyterrier-hybrid``."""
from __future__ import annotations

import argparse
from pathlib import Path

from pyterrier_hybrid import cli_options
from pyterrier_hybrid.core.paths import check_writable
from pyterrier_hybrid.training.config import TrainConfig
from pyterrier_hybrid.training.parallel_qa import ParallelQA
from pyterrier_hybrid.training.train import train


def load_data(source: str, languages: list[str] | None, with_context: bool, items: int | None = None,
              seed: int = 0) -> ParallelQA:
    """A family name (``xquad-r``, ``mlqa-r``), or a ``.jsonl`` / ``.csv`` file, restricted to ``languages``
    and, with ``items``, to that many random items."""
    if source.endswith((".jsonl", ".json")):
        data = ParallelQA.from_jsonl(source)
    elif source.endswith(".csv"):
        data = ParallelQA.from_csv(source)
    else:
        data = ParallelQA.from_irds(source, languages, with_context)
        languages = None
    data = data.select_languages(languages) if languages else data
    return data.sample_items(items, seed) if items else data


def add_train_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train``: fine-tune a sentence-transformers model with a batch strategy."""
    p = subparsers.add_parser("train", help="fine-tune a dense retriever with X-X / X-Y / hybrid batches")
    p.add_argument("base_model", help="sentence-transformers model name or path")
    p.add_argument("data", help="dataset family (xquad-r, mlqa-r) or a .jsonl/.csv file with columns "
                                "item_id, lang, question, answer")
    p.add_argument("--with-context", action="store_true", help="answers as sentence + paragraph")
    cli_options.add_training(p, preset=False)
    cli_options.add_strategy(p)
    cli_options.add_prompts(p)
    cli_options.add_output(p, required=False, help="output folder of the model, required (checkpoints under "
                                                   "checkpoints/)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in the output folder")
    cli_options.deprecated(p, "--languages", "--train-languages", "train_languages", nargs="+")
    cli_options.deprecated(p, "--output-dir", "--out", "out", type=str)
    p.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace) -> int:
    """Handle ``pyterrier-hybrid train``: the config is built (and validated) before any data is read."""
    if args.out is None:
        raise ValueError("--out (the model's output folder) is required")
    config = TrainConfig(**cli_options.train_config_fields(args))
    check_writable(Path(args.out).parent, "the folder of --out")
    data = load_data(args.data, args.train_languages, args.with_context, args.train_items, config.seed)
    train(args.base_model, data, config, output_dir=args.out, resume=args.resume)
    return 0
