"""The ``train`` sub-command of ``pyterrier-hybrid``."""
from __future__ import annotations

import argparse
import logging

from pyterrier_hybrid.training.parallel_qa import ParallelQA
from pyterrier_hybrid.training.train import LOSSES, STRATEGY_NAMES, train


def load_data(source: str, languages: list[str] | None, with_context: bool) -> ParallelQA:
    """A family name (``xquad-r``, ``mlqa-r``), or a ``.jsonl`` / ``.csv`` file, restricted to ``languages``."""
    if source.endswith((".jsonl", ".json")):
        data = ParallelQA.from_jsonl(source)
    elif source.endswith(".csv"):
        data = ParallelQA.from_csv(source)
    else:
        return ParallelQA.from_irds(source, languages, with_context)
    return data.select_languages(languages) if languages else data


def add_train_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train``: fine-tune a sentence-transformers model with a batch strategy."""
    p = subparsers.add_parser("train", help="fine-tune a dense retriever with X-X / X-Y / hybrid batches")
    p.add_argument("base_model", help="sentence-transformers model name or path")
    p.add_argument("data", help="dataset family (xquad-r, mlqa-r) or a .jsonl/.csv file with columns "
                                "item_id, lang, question, answer")
    p.add_argument("--languages", nargs="+", help="languages to train on (default: all of the data)")
    p.add_argument("--with-context", action="store_true", help="answers as sentence + paragraph")
    p.add_argument("--strategy", choices=STRATEGY_NAMES, default="hybrid")
    p.add_argument("--alpha", type=float, help="hybrid: share of X-X batches (default: proportional)")
    p.add_argument("--mono-xx", action="store_true", help="hybrid: X-X batches in one language each")
    p.add_argument("--batch-size", type=int, default=32)
    steps = p.add_mutually_exclusive_group()
    steps.add_argument("--epochs", type=float, default=1.0)
    steps.add_argument("--max-steps", type=int, default=-1)
    p.add_argument("--lr", type=float, default=2e-5, help="learning rate")
    p.add_argument("--warmup-ratio", type=float, default=0.1)
    p.add_argument("--max-seq-length", type=int)
    p.add_argument("--query-prompt", help='e.g. "query: " for E5 models')
    p.add_argument("--document-prompt", help='e.g. "passage: " for E5 models')
    p.add_argument("--freeze-word-embeddings", action="store_true")
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (faster on CPUs with AMX / AVX512-BF16)")
    p.add_argument("--loss", choices=LOSSES, default="mnrl")
    p.add_argument("--mini-batch-size", type=int, default=32, help="cached-mnrl: sub-batch size")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto (GPU when present), cpu, cuda, ...")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--save-steps", type=int, default=500, help="checkpoint (and validation) interval")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in the output dir")
    p.add_argument("--validation-items", type=int, default=0,
                   help="hold out this many items for validation and keep the best checkpoint")
    p.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace) -> int:
    """Handle ``pyterrier-hybrid train``."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    data = load_data(args.data, args.languages, args.with_context)
    train(args.base_model, data, args.strategy, args.alpha, output_dir=args.output_dir,
          batch_size=args.batch_size, epochs=args.epochs, max_steps=args.max_steps, learning_rate=args.lr,
          warmup_ratio=args.warmup_ratio, max_seq_length=args.max_seq_length, query_prompt=args.query_prompt,
          document_prompt=args.document_prompt, freeze_word_embeddings=args.freeze_word_embeddings,
          loss=args.loss, mini_batch_size=args.mini_batch_size, mono_xx=args.mono_xx, seed=args.seed,
          device=args.device, save_steps=args.save_steps, resume=args.resume,
          validation_items=args.validation_items, bf16=args.bf16)
    return 0
