"""Supplier workbooks generated from the schema files (one XLSX per extract kind).

Each workbook has:

* ``data`` - the header row (canonical column names) and, below it, empty rows with Excel
  data validation: drop-down lists for category columns (the allowed labels), whole numbers
  within their range for integer columns, dates for date columns; required columns are
  marked in bold and in the header's comment;
* ``dictionary`` - one row per column: name, type, must be present, may be empty, allowed
  values, range, pattern, other accepted names (aliases), accepted synonyms, description;
* ``rules`` - every rule and cross-extract link with its id, check, severity and words;
* ``lists`` - the drop-down lists (hidden), so lists of any length work.

A filled workbook is read by ``socdata validate KIND workbook.xlsx --sheet data``.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from socdata.errors import SocdataError
from socdata.schemas import SchemaSpec, load_spec

__all__ = ["DICTIONARY_COLUMNS", "TEMPLATE_ROWS", "write_xlsx_template"]

#: Rows below the header that carry data validation.
TEMPLATE_ROWS = 2000
#: Columns of the ``dictionary`` sheet.
DICTIONARY_COLUMNS = (
    "column",
    "type",
    "must be present",
    "may be empty",
    "allowed values",
    "minimum",
    "maximum",
    "pattern",
    "other accepted names",
    "accepted synonyms",
    "sensitive",
    "description",
)
_DTYPE_WORDS = {
    "identifier": "text (identifier)",
    "string": "text",
    "category": "one of the allowed values",
    "date": "date (dd/mm/yyyy or yyyy-mm-dd)",
    "datetime": "date and time (dd/mm/yyyy hh:mm)",
    "integer": "whole number",
    "number": "number",
}


def _dictionary(wb: Workbook, spec: SchemaSpec) -> None:
    ws = wb.create_sheet("dictionary")
    ws.append(list(DICTIONARY_COLUMNS))
    for c in spec.columns:
        ws.append(
            [
                c.name,
                _DTYPE_WORDS[c.dtype],
                "yes" if c.required else "no",
                "yes" if c.nullable else "no",
                "; ".join(c.allowed or ()),
                c.min,
                c.max,
                c.pattern or "",
                "; ".join(c.aliases),
                "; ".join(f"{k} = {v}" for k, v in c.synonyms.items()),
                "yes" if c.sensitive or c.dtype == "identifier" else "no",
                c.description,
            ]
        )
    for cell in ws[1]:
        cell.font = Font(bold=True)


def _rules(wb: Workbook, spec: SchemaSpec) -> None:
    ws = wb.create_sheet("rules")
    ws.append(["rule", "check", "severity", "columns", "what it checks"])
    for r in (*spec.rules, *spec.links):
        ws.append([r.id, r.check, r.severity, ", ".join(r.columns), r.words])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.append([])
    ws.append([f"Schema {spec.kind} version {spec.version}: {spec.title}. Unit: {spec.unit}."])


def _validations(wb: Workbook, ws, spec: SchemaSpec) -> None:
    lists = wb.create_sheet("lists")
    lists.sheet_state = "hidden"
    last = TEMPLATE_ROWS + 1
    lcol = 0
    for j, c in enumerate(spec.columns, start=1):
        col = get_column_letter(j)
        rng = f"{col}2:{col}{last}"
        dv = None
        if c.allowed:
            lcol += 1
            lc = get_column_letter(lcol)
            lists.cell(row=1, column=lcol, value=c.name)
            for i, v in enumerate(c.allowed, start=2):
                lists.cell(row=i, column=lcol, value=v)
            ref = f"lists!${lc}$2:${lc}${len(c.allowed) + 1}"
            dv = DataValidation(type="list", formula1=ref, allow_blank=c.nullable)
            dv.error = f"{c.name}: choose one of {', '.join(c.allowed)}"[:255]
        elif c.dtype == "integer":
            lo = int(c.min) if c.min is not None else -(10**9)
            hi = int(c.max) if c.max is not None else 10**9
            dv = DataValidation(
                type="whole",
                operator="between",
                formula1=str(lo),
                formula2=str(hi),
                allow_blank=c.nullable,
            )
            dv.error = f"{c.name}: a whole number from {lo} to {hi}"
        elif c.dtype in ("date", "datetime"):
            dv = DataValidation(
                type="date", operator="greaterThan", formula1="1", allow_blank=c.nullable
            )
            dv.error = f"{c.name}: a date"
        if dv is not None:
            dv.showErrorMessage = True
            dv.errorTitle = "Not allowed by the schema"
            dv.prompt = c.description[:255]
            dv.showInputMessage = True
            ws.add_data_validation(dv)
            dv.add(rng)


def write_xlsx_template(kind: str, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the supplier workbook of an extract kind.

    Parameters
    ----------
    kind
        Extract kind (a schema file under ``data/schemas``).
    path
        The ``.xlsx`` file to write.
    overwrite
        Replace an existing file (refused by default: socdata does not touch files it did not
        write).
    """
    spec = load_spec(kind)
    path = Path(path)
    if path.exists() and not overwrite:
        raise SocdataError(f"{path} exists; pass overwrite=True (--overwrite) to replace it")
    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(list(spec.names))
    for j, c in enumerate(spec.columns, start=1):
        cell = ws.cell(row=1, column=j)
        cell.font = Font(bold=c.required)
        words = "must be present" if c.required else "optional column"
        words += "; may be empty" if c.nullable else "; may not be empty"
        cell.comment = Comment(f"{words}. {c.description}"[:1000], "socdata")
        ws.column_dimensions[get_column_letter(j)].width = max(14, len(c.name) + 2)
        if c.dtype in ("date", "datetime"):
            fmt = "dd/mm/yyyy" if c.dtype == "date" else "dd/mm/yyyy hh:mm"
            for i in range(2, TEMPLATE_ROWS + 2):
                ws.cell(row=i, column=j).number_format = fmt
    ws.freeze_panes = "A2"
    _validations(wb, ws, spec)
    _dictionary(wb, spec)
    _rules(wb, spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
