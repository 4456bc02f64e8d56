"""Command-line entry point: ``socdata <command> ...``.

A thin wrapper over the public functions.  User errors print a one-line reason and a
suggestion (never a traceback) and exit with code 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from socdata.commands import COMMANDS
from socdata.errors import SocdataError


def _load(name: str):
    return importlib.import_module(f"socdata.commands.{COMMANDS[name]}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser (all sub-commands, or only one when ``only`` is given)."""
    from socdata import __version__

    parser = argparse.ArgumentParser(
        prog="socdata",
        description="Validate SOCEIS extracts, reproduce the evaluation, audit published figures.",
    )
    parser.add_argument("--version", action="version", version=f"socdata {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if only is not None and name != only:
            sub.add_parser(name, help="(see socdata NAME --help)", add_help=False)
            continue
        try:
            mod = _load(name)
        except ModuleNotFoundError:
            continue
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(_load(args.command).run(args) or 0)
    except SocdataError as exc:
        if args.debug:
            raise
        print(f"socdata {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
