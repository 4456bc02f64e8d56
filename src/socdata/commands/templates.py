"""``socdata templates``: supplier workbooks and the Frictionless Data Package export."""

from __future__ import annotations

import argparse

NAME = "templates"
HELP = (
    "Write supplier templates from the schema files: one XLSX workbook per extract kind "
    "(data sheet with drop-down validation, data dictionary, rules) and datapackage.json "
    "(Frictionless Table Schemas); --check validates a folder of extracts against the export."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    parser.add_argument("--out", metavar="DIR", required=True, help="output folder")
    parser.add_argument(
        "--kind", action="append", metavar="KIND", help="only this kind (repeatable; default all)"
    )
    parser.add_argument(
        "--check",
        metavar="DATA_DIR",
        help="validate DATA_DIR/<kind>.csv files with frictionless against the export",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing templates")


def run(args: argparse.Namespace) -> int:
    """Run the command; return the exit code."""
    import shutil
    from pathlib import Path

    from socdata.errors import SocdataError
    from socdata.schemas import KINDS, load_spec
    from socdata.templates import validate_package, write_data_package, write_xlsx_template

    kinds = list(args.kind or [k for k in KINDS if k != "person_month_panel"])
    for k in kinds:
        load_spec(k)  # unknown kind: SchemaError naming the kinds
    out = Path(args.out)
    pkg = out / "datapackage.json"
    if pkg.exists() and not args.overwrite:
        raise SocdataError(f"{pkg} exists; pass --overwrite to replace the templates")
    for kind in kinds:
        path = write_xlsx_template(kind, out / f"{kind}.xlsx", overwrite=args.overwrite)
        print(f"{kind:20s} {path}")
    if pkg.exists():
        pkg.unlink()
    print(f"{'datapackage':20s} {write_data_package(kinds, out)}")
    if args.check is None:
        return 0
    data = Path(args.check)
    present = [k for k in kinds if (data / f"{k}.csv").is_file()]
    if not present:
        raise SocdataError(f"no <kind>.csv files in {data} for kinds {', '.join(kinds)}")
    check = out / "_check"
    check.mkdir(exist_ok=True)
    try:
        for k in present:
            shutil.copy(data / f"{k}.csv", check / f"{k}.csv")
        problems = validate_package(write_data_package(present, check))
    finally:
        shutil.rmtree(check)
    bad = 0
    for kind, probs in problems.items():
        print(f"{kind:20s} {'valid' if not probs else f'{len(probs)} problems'}")
        for p in probs[:10]:
            print(f"    {p}")
        bad += bool(probs)
    return 1 if bad else 0
