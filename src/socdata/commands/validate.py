"""``socdata validate``: check an extract row by row against the schema of its kind.

Exit codes (the table of :data:`socdata.cli.EXIT_CODES`): 0 every row valid; 1 some rows
rejected or unparseable (or, with ``--strict``, any warning); 2 the file cannot be read at
all (missing, empty, header only, not a table, no such sheet), the command was misused, or
``--report`` cannot be written (an input, a folder, a missing folder, a file socdata did
not write).  User errors print one line and a suggestion, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as _dt
from pathlib import Path

import pandas as pd

from socdata.errors import ExtractReadError, UsageError
from socdata.safe_output import check_output_file, escape_terminal, write_csv

NAME = "validate"
HELP = "Validate an extract (or every bundled synthetic extract) against its schema."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    from socdata.schemas import KINDS

    parser.epilog = (
        "exit codes: 0 every row valid; 1 some rows rejected or unparseable (or warnings, "
        "with --strict); 2 the file cannot be read (missing, empty, header only, not a table, "
        "no such sheet), a wrong argument, or --report cannot be written"
    )
    parser.add_argument("kind", nargs="?", metavar="KIND", help=f"extract kind: {', '.join(KINDS)}")
    parser.add_argument("path", nargs="?", metavar="PATH", help="CSV, XLSX or Parquet file")
    parser.add_argument(
        "--report",
        metavar="CSV",
        help="write every problem (row, column, rule, value, message, severity); never "
        "over the extract or another file socdata did not write",
    )
    parser.add_argument("--sheet", metavar="NAME", help="XLSX sheet (default: the first)")
    parser.add_argument(
        "--column-map",
        metavar="FILE",
        help="YAML/JSON/CSV file naming the supplier's columns, e.g. 'Ref Date: referral_date'",
    )
    parser.add_argument(
        "--run-date",
        metavar="YYYY-MM-DD",
        help="the day the 'no date in the future' rules compare against (default today)",
    )
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


_REPORT_HEADER = "row,column,rule,value,message,severity"


def _is_previous_report(path: Path) -> bool:
    """Whether ``path`` is a problem report socdata wrote (its header line says so)."""
    try:
        with path.open(encoding="utf-8") as fh:
            return fh.readline().strip() == _REPORT_HEADER
    except (OSError, UnicodeDecodeError):
        return False


def _run_date(text: str | None) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return pd.Timestamp(_dt.date.fromisoformat(text))
    except ValueError:
        raise UsageError(f"--run-date must be a date as YYYY-MM-DD, got {text!r}") from None


def _column_map(args: argparse.Namespace, kind: str) -> dict[str, str] | None:
    if not args.column_map:
        return None
    from socdata.io import load_column_map

    maps = load_column_map(args.column_map, kind=kind)
    unknown = [k for k in maps if k not in ("*", kind)]
    if unknown and kind not in maps and "*" not in maps:
        raise UsageError(
            f"--column-map {args.column_map} has entries for {', '.join(unknown)} but none "
            f"for {kind}; add a '{kind}:' block"
        )
    return {**maps.get("*", {}), **maps.get(kind, {})} or None


def _say(text: str) -> None:
    print(escape_terminal(text))


def _validate_one(kind: str, path: Path, args: argparse.Namespace) -> int:
    from socdata.validate import validate_extract

    inputs = [path] + ([Path(args.column_map)] if args.column_map else [])
    if args.report:
        check_output_file(args.report, inputs=inputs, what="--report", replace=_is_previous_report)
    result = validate_extract(
        path,
        kind,
        sheet=args.sheet,
        show_identifiers=args.show_identifiers,
        column_map=_column_map(args, kind),
        run_date=_run_date(args.run_date),
    )
    if result.n_input == 0:
        raise ExtractReadError(
            f"{path.name}: the file has a header but no data rows; check the export"
        )
    _say(result.describe())
    if args.report:
        report = pd.concat([result.rejected, result.warnings], ignore_index=True)
        report = report.sort_values(["row", "severity"], kind="stable")
        write_csv(report, args.report, inputs=inputs, what="--report", replace=_is_previous_report)
        _say(f"problems written to {args.report} ({len(report)} rows)")
    n_out = result.n_rejected + result.n_unparseable
    if n_out:
        unreadable = (
            f" ({result.n_unparseable} of them unparseable: see rule {kind}.R00)"
            if result.n_unparseable
            else ""
        )
        _say(
            f"FAILED: {n_out} of {result.n_input} rows rejected{unreadable}"
            + ("" if args.report else "; use --report FILE.csv to list every problem")
        )
        return 1
    if args.strict and len(result.warnings):
        _say(f"FAILED (--strict): {len(result.warnings)} warnings")
        return 1
    _say(f"OK: all {result.n_input} rows valid")
    return 0


def _run_bundled(args: argparse.Namespace) -> int:
    from socdata.datasets import BUNDLED_KINDS
    from socdata.paths import synthetic_dir
    from socdata.validate import validate_extract, validate_links

    worst = 0
    results = {}
    for kind in BUNDLED_KINDS:
        path = synthetic_dir() / f"{kind}.csv"
        try:
            res = validate_extract(path, kind, run_date=_run_date(args.run_date))
        except ExtractReadError as exc:
            _say(f"{kind:16s} ERROR {exc}")
            worst = 2
            continue
        status = "OK" if res.ok else "FAILED"
        _say(
            f"{kind:16s} {status:6s} {res.n_valid}/{res.n_input} rows valid, "
            f"{res.n_unparseable} unparseable, {len(res.warnings)} warnings ({path})"
        )
        if not res.ok or (args.strict and len(res.warnings)):
            worst = max(worst, 1)
        results[kind] = res
    links = validate_links(results)
    errors = links[links["severity"] == "error"]
    _say(
        f"{'links':16s} {'OK' if errors.empty else 'FAILED':6s} {len(errors)} problems, "
        f"{len(links) - len(errors)} warnings across extracts"
    )
    for rec in links.head(5).itertuples(index=False):
        _say(f"  {rec.kind} row {rec.row}, {rec.column}: {rec.message}")
    if not errors.empty or (args.strict and len(links)):
        worst = max(worst, 1)
    return worst


def run(args: argparse.Namespace) -> int:
    """Run the command; return the exit code."""
    from socdata.schemas import KINDS, load_spec

    if args.bundled:
        if args.kind or args.path or args.report or args.column_map or args.sheet:
            raise UsageError("give either --bundled or KIND PATH [options], not both")
        return _run_bundled(args)
    if not args.kind or not args.path:
        raise UsageError(
            "give KIND and PATH (e.g. socdata validate service extract.csv), or --bundled"
        )
    if args.kind not in KINDS:
        load_spec(args.kind)  # raises SchemaError naming the kinds (exit 2 via cli)
    return _validate_one(args.kind, Path(args.path), args)
