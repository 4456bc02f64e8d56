"""``socdata validate``: check an extract row by row against the schema of its kind.

Exit codes: 0 every row valid; 1 some rows rejected (or, with ``--strict``, any warning);
2 the file cannot be read at all (missing, empty, header only, not a table, no such sheet)
or the command was misused.  User errors print one line and a suggestion, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from socdata.errors import ExtractReadError

NAME = "validate"
HELP = "Validate an extract (or every bundled synthetic extract) against its schema."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    from socdata.schemas import KINDS

    parser.epilog = (
        "exit codes: 0 every row valid; 1 some rows rejected (or warnings, with --strict); "
        "2 the file cannot be read (missing, empty, header only, not a table, no such sheet)"
    )
    parser.add_argument("kind", nargs="?", metavar="KIND", help=f"extract kind: {', '.join(KINDS)}")
    parser.add_argument("path", nargs="?", metavar="PATH", help="CSV, XLSX or Parquet file")
    parser.add_argument(
        "--report",
        metavar="CSV",
        help="write every problem (row, column, rule, value, message, severity)",
    )
    parser.add_argument("--sheet", metavar="NAME", help="XLSX sheet (default: the first)")
    parser.add_argument(
        "--show-identifiers",
        action="store_true",
        help="show identifier and date-of-birth values (masked by default)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="also fail (exit 1) on data-quality warnings"
    )
    parser.add_argument(
        "--bundled",
        action="store_true",
        help="validate every bundled synthetic extract instead of one file",
    )


def _validate_one(kind: str, path: Path, args: argparse.Namespace) -> int:
    from socdata.validate import validate_extract

    result = validate_extract(path, kind, sheet=args.sheet, show_identifiers=args.show_identifiers)
    if result.n_input == 0:
        raise ExtractReadError(
            f"{path.name}: the file has a header but no data rows; check the export"
        )
    print(result.describe())
    if args.report:
        report = pd.concat([result.rejected, result.warnings], ignore_index=True)
        report = report.sort_values(["row", "severity"], kind="stable")
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        report.to_csv(args.report, index=False)
        print(f"problems written to {args.report} ({len(report)} rows)")
    if result.n_rejected:
        print(
            f"FAILED: {result.n_rejected} of {result.n_input} rows rejected"
            + ("" if args.report else "; use --report FILE.csv to list every problem")
        )
        return 1
    if args.strict and len(result.warnings):
        print(f"FAILED (--strict): {len(result.warnings)} warnings")
        return 1
    print(f"OK: all {result.n_input} rows valid")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the command; return the exit code."""
    from socdata.schemas import KINDS, load_spec

    if args.bundled:
        if args.kind or args.path:
            print(
                "socdata validate: error: give either --bundled or KIND PATH, not both",
                file=sys.stderr,
            )
            return 2
        from socdata.datasets import BUNDLED_KINDS
        from socdata.paths import synthetic_dir
        from socdata.validate import validate_extract, validate_links

        worst = 0
        results = {}
        for kind in BUNDLED_KINDS:
            path = synthetic_dir() / f"{kind}.csv"
            try:
                res = validate_extract(path, kind)
            except ExtractReadError as exc:
                print(f"{kind:16s} ERROR {exc}")
                worst = 2
                continue
            status = "OK" if res.ok else "FAILED"
            print(
                f"{kind:16s} {status:6s} {res.n_valid}/{res.n_input} rows valid, "
                f"{len(res.warnings)} warnings ({path})"
            )
            if not res.ok or (args.strict and len(res.warnings)):
                worst = max(worst, 1)
            results[kind] = res
        links = validate_links(results)
        errors = links[links["severity"] == "error"]
        print(
            f"{'links':16s} {'OK' if errors.empty else 'FAILED':6s} {len(errors)} problems, "
            f"{len(links) - len(errors)} warnings across extracts"
        )
        for rec in links.head(5).itertuples(index=False):
            print(f"  {rec.kind} row {rec.row}, {rec.column}: {rec.message}")
        if not errors.empty or (args.strict and len(links)):
            worst = max(worst, 1)
        return worst
    if not args.kind or not args.path:
        print(
            "socdata validate: error: give KIND and PATH (e.g. socdata validate service "
            "extract.csv), or --bundled",
            file=sys.stderr,
        )
        return 2
    if args.kind not in KINDS:
        load_spec(args.kind)  # raises SchemaError naming the kinds (exit 2 via cli)
    return _validate_one(args.kind, Path(args.path), args)
