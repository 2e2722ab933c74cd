"""The command line's one vocabulary: every flag that several commands share is defined here once, with one
spelling, meaning and default, and the names it replaced keep working for one release with a warning.

Renamed: ``--languages`` -> ``--train-languages`` (train) / ``--eval-languages`` (evaluate, reproduce, sweep);
``--items`` -> ``--train-items``; ``--output-dir`` -> ``--out``; ``--max-steps`` -> ``--steps``;
``--doc-prompt`` -> ``--document-prompt``; ``--batch-size`` of ``evaluate`` -> ``--encode-batch-size``;
``--max-seq-length`` of ``evaluate`` -> ``--eval-max-seq-length``; ``--freeze-word-embeddings`` /
``--train-word-embeddings`` -> ``--word-embeddings frozen|trained``; ``--bf16`` / ``--fp32-training`` ->
``--train-precision bf16|fp32``; ``--fast [MODE]`` -> ``--encode-precision MODE``.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import warnings
from pathlib import Path

from pyterrier_hybrid.retrieval.fast import FAST_MODES
from pyterrier_hybrid.training.config import (HARD_NEGATIVES, LOSSES, PROPORTIONAL, RENAMED, STRATEGY_NAMES, TRAIN_PRECISIONS,
                                              WORD_EMBEDDINGS, XX_KINDS, XX_LANGUAGES, TrainConfig, check_strategy)

#: Encoding precisions: ``pyterrier_hybrid.retrieval.fast``'s modes; ``auto`` is bf16 where native, else fp32.
ENCODE_PRECISIONS: tuple[str, ...] = (*FAST_MODES, "auto")
ENCODE_BATCH_SIZE = 64


class _Deprecated(argparse.Action):
    """An old flag: warns, then stores ``value`` (or the given argument) under the new flag's destination."""

    def __init__(self, option_strings, dest, new: str, value=None, **kwargs):
        self.new, self.value = new, value
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        warnings.warn(f"{option_string} is deprecated and will be removed in the next release: use {self.new}",
                      DeprecationWarning, stacklevel=2)
        logging.getLogger("pyterrier_hybrid").warning("%s is deprecated: use %s", option_string, self.new)
        setattr(namespace, self.dest, self.value if self.value is not None else values)


def deprecated(parser: argparse.ArgumentParser, old: str, new: str, dest: str, value=None, **kwargs) -> None:
    """Add ``old`` as a deprecated spelling of ``new`` (``value``: what a flag without argument stands for)."""
    extra = {"nargs": 0} if value is not None else {}
    parser.add_argument(old, action=_Deprecated, dest=dest, new=new, value=value, help=argparse.SUPPRESS,
                        **{**extra, **kwargs})


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def add_output(parser: argparse.ArgumentParser, required: bool, help: str) -> None:
    parser.add_argument("--out", type=Path, required=required, help=help)


def add_training(parser: argparse.ArgumentParser, *, preset: bool) -> None:
    """Training flags (fields of TrainConfig). ``preset``: unset flags are None, so a study keeps its preset."""
    d = None if preset else TrainConfig()

    def default(name: str):
        return None if d is None else getattr(d, name)

    parser.add_argument("--train-languages", nargs="+", help="training languages (default: all of the data)")
    parser.add_argument("--train-items", type=int, help="train on this many random items (default: all)")
    parser.add_argument("--steps", type=int, default=default("steps"),
                        help="optimiser steps (default: " + ("the preset's" if preset else "one epoch") + ")")
    parser.add_argument("--epochs", type=float, default=default("epochs"),
                        help="epochs, when --steps is not given" + (" (a study then trains by epochs)" if preset else ""))
    parser.add_argument("--min-steps", type=int, help="with --epochs: at least this many steps")
    parser.add_argument("--batch-size", type=int, default=default("batch_size"), help="training batch size")
    parser.add_argument("--lr", dest="learning_rate", type=float, default=default("learning_rate"),
                        help="learning rate")
    parser.add_argument("--warmup-ratio", type=float, default=default("warmup_ratio"))
    parser.add_argument("--max-seq-length", type=int, default=default("max_seq_length"),
                        help="training sequence length")
    parser.add_argument("--word-embeddings", choices=WORD_EMBEDDINGS, default=default("word_embeddings"),
                        help="frozen (default: keeps the tokens of untrained languages where pre-training left "
                             "them, and is faster) or trained")
    parser.add_argument("--train-precision", choices=TRAIN_PRECISIONS, default=default("precision"),
                        help="fp32 (default), bf16 autocast, or auto (bf16 where the CPU computes it natively)")
    deprecated(parser, "--items", "--train-items", "train_items", type=int)
    deprecated(parser, "--max-steps", "--steps", "steps", type=int)
    deprecated(parser, "--freeze-word-embeddings", "--word-embeddings frozen", "word_embeddings", value="frozen")
    deprecated(parser, "--train-word-embeddings", "--word-embeddings trained", "word_embeddings", value="trained")
    deprecated(parser, "--bf16", "--train-precision bf16", "train_precision", value="bf16")
    deprecated(parser, "--fp32-training", "--train-precision fp32", "train_precision", value="fp32")


class _Removed(argparse.Action):
    """A flag that was removed: an error that names its replacement."""

    def __init__(self, option_strings, dest, replacement: str, **kwargs):
        self.replacement = replacement
        super().__init__(option_strings, dest, nargs=0, help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(f"{option_string} was removed: use {self.replacement}")


def _argparse_type(check):
    """An argparse type from a checker that raises ValueError (its message shown as argparse's error)."""
    def convert(text: str):
        try:
            return check(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    convert.__name__ = check.__name__
    return convert


def alpha_value(text: str) -> float | str:
    """``--alpha``: a number in [0, 1] or ``proportional``."""
    if text == PROPORTIONAL:
        return text
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"alpha must be a number in [0, 1] or {PROPORTIONAL!r}, got {text!r}") from None


def add_strategy_options(parser: argparse.ArgumentParser) -> None:
    """The strategy options (fields of TrainConfig; unset: the strategy's default, ``STRATEGY_OPTIONS``)."""
    parser.add_argument("--alpha", type=_argparse_type(alpha_value),
                        help=f"hybrid: share of X-X batches, in [0, 1] (default 0.5), or {PROPORTIONAL} to the two "
                             "training sets' sizes")
    parser.add_argument("--xx-kind", choices=XX_KINDS,
                        help="hybrid: X-X batches in one language each (default) or mixed (LAReQA's X-X)")
    parser.add_argument("--xx-languages", choices=XX_LANGUAGES,
                        help="xx, hybrid: a one-language batch's language drawn uniformly among the languages "
                             "(default, the paper's) or in proportion to their rows")
    parser.add_argument("--hard-negatives", choices=HARD_NEGATIVES,
                        help="none (default: in-batch negatives only), paragraph (other sentences of the answer's "
                             "paragraph, then BM25, then random), bm25 (BM25 ranks 1-30, then random) or model (the base "
                             "model's ranks 1-30, mined once and cached, then random); each in the positive's language; "
                             "a data file's negative column comes first")
    parser.add_argument("--negatives-per-query", type=int, help="hard negatives per pair (default 1)")
    parser.add_argument("--mono-xx", action=_Removed, replacement="--xx-kind (one-language is the default) "
                        f"or --strategy xx; {RENAMED['mono_xx']}")


def add_strategy(parser: argparse.ArgumentParser) -> None:
    """The batch strategy and its options, and what else only ``train`` sets."""
    d = TrainConfig()
    parser.add_argument("--strategy", type=_argparse_type(check_strategy), default=d.strategy,
                        help=f"{', '.join(STRATEGY_NAMES)} (default {d.strategy}; see docs/method.md)")
    add_strategy_options(parser)
    parser.add_argument("--loss", choices=LOSSES, default=d.loss)
    parser.add_argument("--mini-batch-size", type=int, default=d.mini_batch_size,
                        help="cached-mnrl: sub-batch size")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--device", default=d.device, help="auto (GPU when present), cpu, cuda, ...")
    parser.add_argument("--save-steps", type=int, default=d.save_steps,
                        help="checkpoint (and validation) interval in steps (default: a checkpoint every "
                             f"{d.checkpoint_minutes:g} minutes, none for shorter runs; validation: every 500 steps)")
    parser.add_argument("--validation-items", type=int, default=d.validation_items,
                        help="hold out this many items for validation and keep the best checkpoint")


def add_prompts(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--query-prompt", help='e.g. "query: " (default: the model\'s own query prompt)')
    parser.add_argument("--document-prompt", help='e.g. "passage: " (default: the model\'s own document prompt)')
    deprecated(parser, "--doc-prompt", "--document-prompt", "document_prompt")


def add_evaluation(parser: argparse.ArgumentParser, *, preset: bool) -> None:
    """Evaluation flags: languages, sampled items, candidate texts, encoding batch size, length and precision."""
    parser.add_argument("--eval-languages", nargs="+", help="evaluation languages (default: " +
                        ("the preset's" if preset else "all of the family") + ")")
    parser.add_argument("--eval-items", type=int,
                        help="evaluate the questions of this many random items against every candidate (default: "
                             + ("the preset's" if preset else "all") + ")")
    parser.add_argument("--with-context", action="store_true", help="candidates as sentence + paragraph")
    parser.add_argument("--eval-max-seq-length", type=int,
                        help="every dense system encodes at this length (default: " +
                             ("the preset's, 128" if preset else "the model's own") + ")")
    add_encoding(parser, preset=preset)


def add_encoding(parser: argparse.ArgumentParser, *, preset: bool) -> None:
    """Encoding flags: batch size and precision."""
    parser.add_argument("--encode-batch-size", type=positive_int, default=None if preset else ENCODE_BATCH_SIZE,
                        help=f"encoding batch size (default {ENCODE_BATCH_SIZE})")
    parser.add_argument("--encode-precision", choices=ENCODE_PRECISIONS, default=None if preset else "fp32",
                        help=f"{', '.join(FAST_MODES)} (fp32, the default, and openvino are exact; the others "
                             "approximate: see pyterrier_hybrid/retrieval/fast.py), or auto (bf16 where the CPU "
                             "computes it natively, else fp32); speed and mAP: benchmarks/README.md")
    deprecated(parser, "--fast", "--encode-precision", "encode_precision", nargs="?", const="auto")


def setup_logging(debug: bool = False) -> None:
    """One logging set-up for every command: INFO with time and logger name (DEBUG with ``--debug``)."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO,
                        format="%(asctime)s %(name)s: %(message)s", force=True)
    logging.captureWarnings(True)


def train_config_fields(args: argparse.Namespace) -> dict[str, object]:
    """The TrainConfig fields given on the command line (the flags of :func:`add_training`, :func:`add_strategy`
    and :func:`add_prompts` that are set); the one place flags become a training configuration."""
    flag_of = {f.name: f.name for f in dataclasses.fields(TrainConfig)} | {"precision": "train_precision"}
    return {field: getattr(args, flag) for field, flag in flag_of.items() if getattr(args, flag, None) is not None}
