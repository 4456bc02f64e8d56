"""``socdata reproduce [--data DIR] --out DIR``: the main job (validate, notebooks, report)."""

from __future__ import annotations

import argparse
import sys

from socdata.safe_output import escape_terminal

NAME = "reproduce"
HELP = (
    "Validate the extracts, rerun every notebook and write tables/, figures/, report.html and "
    "manifest.json (bundled synthetic data unless --data is given)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``socdata reproduce``."""
    from socdata.report.disclosure import RULE_SETS

    parser.add_argument(
        "--data",
        metavar="DIR",
        default=None,
        help="folder of extracts named <kind>.csv/.xlsx/.parquet "
        "(default: the bundled synthetic extracts)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="output folder: new, empty, or written by socdata before (see --overwrite)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a folder that holds files socdata did not write (they are kept, "
        "never deleted; a file named like an output is replaced)",
    )
    parser.add_argument(
        "--column-map",
        metavar="FILE",
        help="YAML/JSON/CSV file naming the supplier's columns, one block per kind "
        "(service: {Ref Date: referral_date})",
    )
    parser.add_argument(
        "--sheet",
        dest="sheets",
        action="append",
        metavar="[KIND=]NAME",
        help="XLSX sheet to read (for every workbook, or KIND=NAME for one kind); repeatable",
    )
    parser.add_argument(
        "--disclosure",
        metavar="RULESET",
        default="auto",
        help="disclosure rule set: auto (none on the bundled synthetic data, "
        f"soceis-default-v1 otherwise), {', '.join(sorted(RULE_SETS))}",
    )
    swim = parser.add_mutually_exclusive_group()
    swim.add_argument(
        "--swimmer-plots",
        dest="swimmer_plots",
        action="store_const",
        const=True,
        default="auto",
        help="draw swimmer plots (one bar per young person) even from real data",
    )
    swim.add_argument(
        "--no-swimmer-plots",
        dest="swimmer_plots",
        action="store_const",
        const=False,
        help="never draw swimmer plots",
    )
    parser.add_argument(
        "--notebook",
        dest="notebooks",
        action="append",
        metavar="NAME",
        default=None,
        help="run only this notebook (file name, stem or NN prefix); repeatable",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="kernels running notebooks at once; each is started once and runs notebook "
        "after notebook, reset in between (default 1: in NN order)",
    )
    parser.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="start a new kernel for every notebook (slower; full isolation)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the final summary")


def _read_options(args: argparse.Namespace):
    from socdata.errors import UsageError
    from socdata.io import ReadOptions, load_column_map
    from socdata.io.options import ALL_KINDS, parse_sheets
    from socdata.schemas import KINDS

    maps = load_column_map(args.column_map) if args.column_map else {}
    sheets = parse_sheets(args.sheets)
    for what, keys in (("--column-map", maps), ("--sheet", sheets)):
        bad = [k for k in keys if k != ALL_KINDS and k not in KINDS]
        if bad:
            raise UsageError(
                f"{what}: {', '.join(repr(k) for k in bad)} is not an extract kind; "
                f"kinds: {', '.join(KINDS)}"
            )
    return ReadOptions(maps, sheets)


def run(args: argparse.Namespace) -> int:
    """Run ``socdata reproduce``; exit 0 on success, 1 when a notebook failed, 2 unusable."""
    from socdata.reproduce import reproduce

    result = reproduce(
        args.data,
        args.out,
        disclosure=args.disclosure,
        notebooks=args.notebooks,
        swimmer_plots=args.swimmer_plots,
        progress=None if args.quiet else (lambda line: print(escape_terminal(line))),
        jobs=args.jobs,
        fresh_kernels=args.fresh_kernels,
        overwrite=args.overwrite,
        read_options=_read_options(args),
    )
    if args.quiet:
        print(escape_terminal(result.summary()))
    if not result.validation.ok and result.ok:
        print(
            "socdata reproduce: rows were rejected or unparseable in the extracts; see the "
            f"validation section of {result.report}",
            file=sys.stderr,
        )
        return 1
    if not result.ok:
        for nb in result.failed:
            print(
                escape_terminal(
                    f"socdata reproduce: error: notebook {nb.name} failed at {nb.error}; "
                    f"see {nb.output} and {result.report}"
                ),
                file=sys.stderr,
            )
        return 1
    return 0
