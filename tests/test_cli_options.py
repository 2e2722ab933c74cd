"""One flag vocabulary: shared flags spelt and defaulted alike on every command; old names still work."""
from __future__ import annotations

import argparse

import pytest

from pyterrier_hybrid.cli import PARSERS


def parsers() -> dict[str, argparse.ArgumentParser]:
    root = argparse.ArgumentParser()
    sub = root.add_subparsers(dest="command")
    for add in PARSERS:
        add(sub)
    return dict(sub.choices)


def flags(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {opt: action for action in parser._actions for opt in action.option_strings
            if action.help != argparse.SUPPRESS}


def test_shared_flags_have_one_spelling_and_default():
    p = parsers()
    by_command = {name: flags(p[name]) for name in ("train", "evaluate", "reproduce", "sweep")}
    assert all("--out" in f for f in by_command.values())
    for flag in ("--query-prompt", "--document-prompt"):
        assert {name for name, f in by_command.items() if flag in f} == {"train", "evaluate"}, flag
    for flag in ("--train-languages", "--train-items", "--steps", "--batch-size", "--word-embeddings",
                 "--train-precision"):
        assert {name for name, f in by_command.items() if flag in f} == {"train", "reproduce", "sweep"}, flag
    for flag in ("--eval-languages", "--eval-items", "--encode-batch-size", "--encode-precision"):
        assert {name for name, f in by_command.items() if flag in f} == {"evaluate", "reproduce", "sweep"}, flag
    assert by_command["train"]["--word-embeddings"].default == "frozen"
    assert by_command["train"]["--train-precision"].default == by_command["evaluate"]["--encode-precision"].default
    # retired spellings are not advertised any more
    for name, f in by_command.items():
        assert not {"--languages", "--items", "--fast", "--bf16", "--fp32-training", "--output-dir",
                    "--max-steps", "--doc-prompt", "--freeze-word-embeddings", "--train-word-embeddings"} & set(f), name


@pytest.mark.parametrize("command, old, new", [
    (["train", "m", "d", "--out", "o", "--languages", "en", "de"], "train_languages", ["en", "de"]),
    (["train", "m", "d", "--output-dir", "o"], "out", "o"),
    (["train", "m", "d", "--out", "o", "--max-steps", "3"], "steps", 3),
    (["train", "m", "d", "--out", "o", "--bf16"], "train_precision", "bf16"),
    (["train", "m", "d", "--out", "o", "--freeze-word-embeddings"], "word_embeddings", "frozen"),
    (["evaluate", "--dataset", "mlqa-r", "--out", "o", "--batch-size", "8"], "encode_batch_size", 8),
    (["evaluate", "--dataset", "mlqa-r", "--out", "o", "--doc-prompt", "p: "], "document_prompt", "p: "),
    (["reproduce", "--fast", "fp32", "--fp32-training"], "encode_precision", "fp32"),
    (["reproduce", "--languages", "en"], "eval_languages", ["en"]),
    (["reproduce", "--items", "50"], "train_items", 50),
    (["reproduce", "--train-word-embeddings"], "word_embeddings", "trained"),
])
def test_old_flags_map_to_the_new_ones_with_a_warning(command, old, new):
    root = argparse.ArgumentParser()
    sub = root.add_subparsers(dest="command")
    for add in PARSERS:
        add(sub)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        args = root.parse_args(command)
    assert getattr(args, old) == new
