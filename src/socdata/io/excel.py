"""Excel workbooks (XLSX/XLSM): the rows of one sheet, and the other sheets' first rows."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from socdata.errors import ExtractReadError

__all__ = ["sheet_heads", "xlsx_rows"]


def _open(path: Path) -> Any:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - dependency of socdata
        raise ExtractReadError("reading XLSX needs openpyxl: pip install openpyxl") from exc
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise ExtractReadError(
            f"{path.name}: not a readable Excel workbook ({type(exc).__name__}; a cut or "
            "damaged file?); save it as .xlsx from Excel again, or export it as CSV"
        ) from None


def xlsx_rows(path: Path, sheet: str | None) -> tuple[list[list[Any]], list[int], str]:
    """Rows of the named sheet (default: the first), their sheet row numbers, the sheet read."""
    wb = _open(path)
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise ExtractReadError(
                f"{path.name}: no sheet named {sheet!r}; the workbook has "
                f"{', '.join(repr(s) for s in wb.sheetnames)}; pass one of these with --sheet"
            )
        try:
            rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
            raise ExtractReadError(
                f"{path.name}: sheet {ws.title!r} cannot be read ({type(exc).__name__}; a cut "
                "or damaged file?); save it as .xlsx from Excel again, or export it as CSV"
            ) from None
        return rows, list(range(1, len(rows) + 1)), ws.title
    finally:
        wb.close()


def sheet_heads(path: Path, n_rows: int) -> dict[str, list[list[Any]]]:
    """The first ``n_rows`` rows of every sheet, by sheet name (for "wrong sheet" hints)."""
    wb = _open(path)
    try:
        return {
            ws.title: [list(r) for r in ws.iter_rows(min_row=1, max_row=n_rows, values_only=True)]
            for ws in wb.worksheets
        }
    finally:
        wb.close()
