"""Command-line entry point: ``socdata <command> ...``.

A thin wrapper over the public functions.  Every command exits with a code from one table
(:data:`EXIT_CODES`, documented in the how-to "Exit codes and messages"): 0 all well, 1 rows
rejected or a notebook failed, 2 unusable input or arguments (including file-system
problems: an output path naming an existing file, a read-only folder, a missing folder).
User errors print a plain one-line reason and a suggestion on stderr, never a traceback;
``--debug`` shows the traceback.  Text from a supplier's file is printed with its control
characters escaped (:func:`socdata.safe_output.escape_terminal`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from socdata.commands import COMMANDS
from socdata.errors import SocdataError

#: Exit codes of every ``socdata`` command.
EXIT_CODES: dict[int, str] = {
    0: "success: every row valid, every notebook ran, nothing inconsistent",
    1: "the command ran but found problems: rows rejected or unparseable (validate, "
    "reproduce), a notebook failed (reproduce), an inconsistent published figure (audit)",
    2: "unusable input or arguments: a file that cannot be read as a table, a wrong option, "
    "an unknown kind, an empty or wrong data folder, or a file-system problem with an "
    "output (an existing file, a read-only or missing folder, an input named as output)",
    130: "interrupted (Ctrl-C)",
}

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a plain message (its default), escaped for the terminal."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from socdata.safe_output import escape_terminal

        self.print_usage(sys.stderr)
        self.exit(EXIT_UNUSABLE, f"{self.prog}: error: {escape_terminal(message)}\n")


def _load(name: str):
    return importlib.import_module(f"socdata.commands.{COMMANDS[name]}")


def _epilog() -> str:
    return "exit codes: " + "; ".join(f"{k} {v.split(':')[0]}" for k, v in EXIT_CODES.items())


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser (all sub-commands, or only one when ``only`` is given)."""
    from socdata import __version__

    parser = _Parser(
        prog="socdata",
        description="Validate SOCEIS extracts, reproduce the evaluation, audit published figures.",
        epilog=_epilog(),
    )
    parser.add_argument("--version", action="version", version=f"socdata {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        if only is not None and name != only:
            sub.add_parser(name, help="(see socdata NAME --help)", add_help=False)
            continue
        try:
            mod = _load(name)
        except ModuleNotFoundError:
            continue
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        p.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
        )
        mod.add_arguments(p)
        if not p.epilog:
            p.epilog = _epilog()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (see :data:`EXIT_CODES`)."""
    from socdata.safe_output import escape_terminal

    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_UNUSABLE
    try:
        return int(_load(args.command).run(args) or 0)
    except SocdataError as exc:
        if args.debug:
            raise
        print(f"socdata {args.command}: error: {escape_terminal(exc)}", file=sys.stderr)
        return EXIT_UNUSABLE
    except BrokenPipeError:  # output piped into e.g. `head`: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # a file-system problem not caught closer to its cause
        if args.debug:
            raise
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(
            f"socdata {args.command}: error: {escape_terminal(exc.strerror or exc)}{where}; "
            "check the path and its permissions (--debug shows the details)",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    except KeyboardInterrupt:  # pragma: no cover
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
