"""``socdata audit``: check published figures for internal consistency.

Two forms::

    socdata audit data/published/soceis_june2023.csv --out findings.csv
    socdata audit --percentages 63,87,75,40,56 --n 15

Exit code 0 when nothing is inconsistent, 1 when something is, 2 for a user error.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from socdata.review import (
    ROUNDING_RULES,
    VERDICTS,
    AuditResult,
    PublishedFiguresError,
    audit,
    common_denominators,
    percentage_granularity,
)
from socdata.safe_output import check_output_file, escape_terminal, write_csv

NAME = "audit"
HELP = (
    "Check published figures: percentages against their n, sums, totals, Overall columns, "
    "fraction words and repeated figures."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``socdata audit``."""
    parser.add_argument(
        "path",
        nargs="?",
        help="published-figures CSV (format of data/published/) or a folder of them",
    )
    parser.add_argument("--out", help="write the findings to this CSV file")
    parser.add_argument(
        "--percentages",
        help="comma-separated percentages said to share one n, e.g. 63,87,75,40,56",
    )
    parser.add_argument("--n", type=int, help="the claimed n of --percentages")
    parser.add_argument(
        "--n-range",
        default="1:200",
        help="denominators to search with --percentages, LOW:HIGH (default 1:200)",
    )
    parser.add_argument(
        "--rounding",
        default="half_up",
        choices=list(ROUNDING_RULES),
        help="rounding rule of the printed figures (default half_up)",
    )
    parser.add_argument(
        "--decimals",
        type=int,
        default=None,
        help="decimal places of printed percentages (default: as printed)",
    )
    parser.add_argument("--all", action="store_true", help="also list the findings with verdict ok")


def _say(text: object = "") -> None:
    """Print text from a published-figures file with its control characters escaped."""
    print(escape_terminal(text))


def _parse_range(text: str) -> tuple[int, int]:
    try:
        lo, hi = (int(x) for x in text.split(":"))
    except ValueError as exc:
        raise PublishedFiguresError(
            f"--n-range must look like 1:200 (two whole numbers), got {text!r}"
        ) from exc
    if lo < 1 or hi < lo:
        raise PublishedFiguresError(f"--n-range needs 1 <= LOW <= HIGH, got {text!r}")
    return lo, hi


def _percentages(args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
    raw = [p.strip().rstrip("%") for p in args.percentages.split(",") if p.strip()]
    if not raw:
        raise PublishedFiguresError("--percentages is empty; give e.g. 63,87,75")
    for p in raw:
        try:
            v = float(p)
        except ValueError as exc:
            raise PublishedFiguresError(
                f"--percentages: {p!r} is not a number; give e.g. 63,87,75"
            ) from exc
        if not 0 <= v <= 100:
            raise PublishedFiguresError(f"--percentages: {p} is outside 0-100")
    lo, hi = _parse_range(args.n_range)
    rows = []
    lines = []
    if args.n is not None:
        if args.n < 1:
            raise PublishedFiguresError(f"--n must be a positive whole number, got {args.n}")
        for i, p in enumerate(raw, start=1):
            chk = percentage_granularity(p, args.n, rounding=args.rounding, decimals=args.decimals)
            rows.append(
                {
                    "id": f"pct-{i:03d}",
                    "check": chk.check,
                    "verdict": chk.verdict,
                    "printed": chk.printed,
                    "recomputed": chk.recomputed,
                    "denominator": args.n,
                    "explanation": chk.explanation,
                    "rule": chk.rule,
                }
            )
    table = common_denominators(raw, (lo, hi), rounding=args.rounding, decimals=args.decimals)
    fits = table.loc[table["reproduces_all"], "n"].tolist()
    shown = ", ".join(map(str, fits[:30])) + (" ..." if len(fits) > 30 else "")
    lines.append(
        f"Denominators in {lo}..{hi} that reproduce all of {', '.join(raw)}: "
        + (shown if fits else "none")
    )
    if args.n is not None:
        row = table[table["n"] == args.n]
        if not row.empty and not bool(row["reproduces_all"].item()):
            lines.append(f"n = {args.n} cannot give: {row['not_reproduced'].item()}")
    return pd.DataFrame(rows), "\n".join(lines)


def _print_summary(findings: pd.DataFrame, show_ok: bool) -> None:
    counts = findings["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)
    _say(f"{len(findings)} findings: " + ", ".join(f"{counts[v]} {v}" for v in VERDICTS))
    for v in VERDICTS:
        if v == "ok" and not show_ok:
            continue
        sub = findings[findings["verdict"] == v]
        if sub.empty:
            continue
        _say(f"\n{v.upper()} ({len(sub)})")
        for r in sub.to_dict("records"):
            where = " / ".join(
                str(r[c]) for c in ("table_id", "row_label", "column_label") if r.get(c)
            )
            loc = f" ({r['locator']})" if r.get("locator") else ""
            where = where or "percentage"
            if v == "cannot check":
                _say(f"- [{r['id']}] {where}{loc}: {r['printed']} ({r['explanation']})")
                continue
            _say(f"- [{r['id']}] {where}{loc}: printed {r['printed']}")
            _say(f"    {r['explanation']}")


def _first_line(path: Path) -> str:
    try:
        with path.open(encoding="utf-8") as fh:
            return fh.readline().strip()
    except (OSError, UnicodeDecodeError):
        return ""


def run(args: argparse.Namespace) -> int:
    """Run the audit; return 0 (nothing inconsistent), 1 (something is) or raise (user error)."""
    try:
        return _run(args)
    except BrokenPipeError:  # output piped into e.g. `head`: not an error
        import os
        import sys

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _run(args: argparse.Namespace) -> int:
    if args.out:  # refuse a bad --out before the work, not after it
        check_output_file(
            args.out,
            inputs=[args.path] if args.path else [],
            what="--out",
            replace=lambda p: _first_line(p).startswith("id,"),
        )
    if args.percentages is None and args.path is None:
        raise PublishedFiguresError(
            "give a published-figures CSV (socdata audit PATH) or --percentages with --n"
        )
    if args.percentages is not None and args.path is not None:
        raise PublishedFiguresError("give either PATH or --percentages, not both")
    if args.n is not None and args.percentages is None:
        raise PublishedFiguresError("--n goes with --percentages")
    if args.percentages is not None:
        findings, extra = _percentages(args)
        if not findings.empty:
            _print_summary(findings, show_ok=True)
            _say()
        _say(extra)
    else:
        path = Path(args.path)
        result: AuditResult = audit(path, rounding=args.rounding, decimals=args.decimals)
        findings = result.findings
        _print_summary(findings, show_ok=args.all)
    if args.out:
        header = ",".join(map(str, findings.columns))
        write_csv(
            findings,
            args.out,
            inputs=[args.path] if args.path else [],
            what="--out",
            replace=lambda p: _first_line(p) == header,
        )
        _say(f"\nwrote {len(findings)} findings to {args.out}")
    n_bad = int((findings["verdict"] == "inconsistent").sum()) if not findings.empty else 0
    return 1 if n_bad else 0
