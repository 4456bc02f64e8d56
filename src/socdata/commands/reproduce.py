"""``socdata reproduce [--data DIR] --out DIR``: the main job (validate, notebooks, report)."""

from __future__ import annotations

import argparse
import sys

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
    parser.add_argument("--out", metavar="DIR", required=True, help="output folder")
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


def run(args: argparse.Namespace) -> int:
    """Run ``socdata reproduce``; exit 0 on success, 1 when a notebook failed."""
    from socdata.reproduce import reproduce

    result = reproduce(
        args.data,
        args.out,
        disclosure=args.disclosure,
        notebooks=args.notebooks,
        swimmer_plots=args.swimmer_plots,
        progress=None if args.quiet else print,
        jobs=args.jobs,
        fresh_kernels=args.fresh_kernels,
    )
    if args.quiet:
        print(result.summary())
    if not result.ok:
        for nb in result.failed:
            print(
                f"socdata reproduce: error: notebook {nb.name} failed at {nb.error}; "
                f"see {nb.output} and {result.report}",
                file=sys.stderr,
            )
        return 1
    return 0
