"""``pyterrier-hybrid``: one sub-command per module; each module contributes an ``add_*_parser(subparsers)``."""
from __future__ import annotations

import argparse
from collections.abc import Sequence

from pyterrier_hybrid.cli_options import setup_logging
from pyterrier_hybrid.datasets_cli import add_datasets_parser
from pyterrier_hybrid.evaluation.cli import add_evaluate_parser
from pyterrier_hybrid.experiments.cli import add_reproduce_parser, add_sweep_parser
from pyterrier_hybrid.models.cli import add_model_parser
from pyterrier_hybrid.retrieval.cli import add_index_parser
from pyterrier_hybrid.training.cli import add_train_parser

PARSERS = [add_datasets_parser, add_train_parser, add_evaluate_parser, add_model_parser, add_reproduce_parser,
           add_sweep_parser, add_index_parser]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen sub-command (its parser sets ``handler``).

    Bad input and environment errors (ValueError, OSError: a missing file, a checksum mismatch, no network) end
    with a one-line message instead of a traceback; ``--debug`` shows the traceback.
    """
    parser = argparse.ArgumentParser(prog="pyterrier-hybrid", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="debug logging, and full tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add_parser in PARSERS:
        add_parser(subparsers)
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    try:
        return args.handler(args) or 0
    except (ValueError, OSError) as e:
        if args.debug:
            raise
        message = " ".join(str(e).split()) or type(e).__name__
        raise SystemExit(f"pyterrier-hybrid {args.command}: error: {type(e).__name__}: {message[:500]}"
                         f"{' ...' if len(message) > 500 else ''} (--debug shows the traceback)") from None


if __name__ == "__main__":
    raise SystemExit(main())
