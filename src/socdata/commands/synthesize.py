"""``socdata synthesize``: (re)write the bundled synthetic extracts and their manifest."""

from __future__ import annotations

import argparse

NAME = "synthesize"
HELP = "Write the seeded synthetic extracts of every kind (default: data/synthetic)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    parser.add_argument("--out", metavar="DIR", help="output folder (default: data/synthetic)")
    parser.add_argument("--seed", type=int, default=20230601, help="random seed (default 20230601)")


def run(args: argparse.Namespace) -> int:
    """Run the command; return the exit code."""
    from socdata.datasets import write_bundled

    paths = write_bundled(args.out, seed=args.seed)
    for kind, path in paths.items():
        print(f"{kind:16s} {path}")
    return 0
