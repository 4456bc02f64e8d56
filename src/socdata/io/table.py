"""A file (CSV, XLSX or Parquet) read into a raw table of source values, every record counted.

:func:`read_table` returns a :class:`RawTable`: the source values of each data record with
its row number in the file, and every line that could not be read as a record
(:attr:`RawTable.unparseable`, with line number and reason), so that records read = records
parsed + records unparseable, always.  The header row is found even below a title block
(the first :data:`HEADER_SCAN_ROWS` rows are scanned for the row naming most known columns).
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socdata.errors import ExtractReadError
from socdata.io.cells import cell_text, normalise_name
from socdata.io.decode import decode_bytes, has_undecodable
from socdata.io.delimited import (
    Unparseable,
    physical_lines,
    sniff_delimiter,
    split_body,
    split_records,
)
from socdata.io.excel import sheet_heads, xlsx_rows

__all__ = [
    "EXTRACT_SUFFIXES",
    "HEADER_SCAN_ROWS",
    "RawTable",
    "Unparseable",
    "extract_files",
    "find_extract",
    "frame_table",
    "read_table",
]

#: How many rows at the top of a sheet or CSV are scanned for the header row.
HEADER_SCAN_ROWS = 20

#: File suffixes of extracts, in the order :func:`find_extract` prefers them.  ``.xls`` is
#: listed so that such a file is found and then refused by :func:`read_table` with the fix
#: ("save it as .xlsx"), rather than reported as missing.
EXTRACT_SUFFIXES: tuple[str, ...] = (
    ".csv",
    ".xlsx",
    ".xlsm",
    ".xls",
    ".parquet",
    ".pq",
    ".tsv",
    ".txt",
)


@dataclasses.dataclass(frozen=True)
class RawTable:
    """A table as read from the source, before any typing.

    Attributes
    ----------
    frame
        Source values (text for CSV, cell values for XLSX/Parquet), one column per source
        column, headers as in the file (duplicates kept, made unique with ``" [2]"`` suffixes).
    row_numbers
        Row number of each record in the source file as a spreadsheet shows it: the sheet row
        for XLSX, the first physical line of the record for CSV (a quoted cell spanning lines
        makes later rows' numbers differ from a spreadsheet's), and ``k + 2`` for row ``k`` of
        a DataFrame or Parquet file (header = 1).
    headers
        Source header texts, in order.
    source
        Display name of the source (file name or ``"<DataFrame>"``).
    n_blank
        Entirely empty rows below the header that were skipped (reported, not data).
    header_row
        Row number of the header in the source.
    encoding, sheet
        Encoding used for CSV; sheet read for XLSX.
    unparseable
        Lines below the header that are not records (unclosed quote, ragged row, truncated
        line, undecodable bytes, NUL), each with its line number and the reason.
    notes
        File-level remarks (e.g. bytes that are not in the file's encoding).
    """

    frame: pd.DataFrame
    row_numbers: np.ndarray
    headers: tuple[str, ...]
    source: str
    n_blank: int = 0
    header_row: int = 1
    encoding: str | None = None
    sheet: str | None = None
    unparseable: tuple[Unparseable, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def n_records(self) -> int:
        """Data records read below the header: parsed plus unparseable (blank rows excluded)."""
        return len(self.frame) + len(self.unparseable)


def _blank_row(row: list[Any]) -> bool:
    return all(
        v is None
        or (isinstance(v, str) and not v.strip())
        or (isinstance(v, float) and np.isnan(v))
        for v in row
    )


def extract_files(folder: str | Path) -> list[Path]:
    """Extract files in ``folder`` (by suffix; not recursive, hidden files skipped, sorted).

    An absent folder has none.
    """
    d = Path(folder)
    if not d.is_dir():
        return []
    return sorted(
        p
        for p in d.iterdir()
        if p.is_file() and p.suffix.lower() in EXTRACT_SUFFIXES and not p.name.startswith(".")
    )


def find_extract(folder: str | Path, kind: str) -> Path:
    """The file of extract ``kind`` in ``folder``: ``<kind>.csv``, ``.xlsx``, ``.parquet``...

    The file's name (without suffix, case-insensitive) must be the kind, as in the bundled
    ``data/synthetic`` folder and the folders ``socdata reproduce --data`` reads.

    Raises
    ------
    ExtractReadError
        No such folder, no such file in the folder (the message lists the extract files
        that are there), or several (choosing one would be a guess).

    Examples
    --------
    >>> from socdata.paths import synthetic_dir
    >>> find_extract(synthetic_dir(), "service").name
    'service.csv'
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ExtractReadError(f"{folder}: no such folder; check the path and try again")
    files = extract_files(folder)
    hits = [p for p in files if p.stem.lower() == kind.lower()]
    if not hits:
        raise ExtractReadError(
            f"{folder}: no {kind} extract (looked for {kind}.csv, .xlsx or .parquet; found "
            f"{', '.join(p.name for p in files[:10]) or 'no extract files'}); name the file "
            f"{kind}.csv or give its path"
        )
    if len(hits) > 1:
        raise ExtractReadError(
            f"{folder}: several files for the {kind} extract ({', '.join(p.name for p in hits)}); "
            "keep one, or give the file's path"
        )
    return hits[0]


@dataclasses.dataclass
class _Rows:
    """Rows of a source before the header is chosen."""

    rows: list[list[Any]]
    numbers: list[int]
    encoding: str | None = None
    sheet: str | None = None
    notes: tuple[str, ...] = ()
    unparseable: tuple[Unparseable, ...] = ()


def _csv_rows(path: Path, known: Collection[str], kind: str | None) -> _Rows:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractReadError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise ExtractReadError(
            f"{path.name}: the file is empty; check that the export finished and try again"
        )
    decoded = decode_bytes(data, path.name)
    lines = physical_lines(decoded.text)
    delimiter = sniff_delimiter(lines, HEADER_SCAN_ROWS + 5)
    head_records, _ = split_records(lines[: HEADER_SCAN_ROWS * 3], delimiter)
    head = [r.fields for r in head_records]
    if not head or all(_blank_row(r) for r in head):
        raise ExtractReadError(
            f"{path.name}: the file holds no table (it is empty); check the export and try again"
        )
    h = _find_header(head, known, name=path.name, kind=kind)
    header = head_records[h]
    width = len(header.fields)
    check = has_undecodable(decoded.text) or "\x00" in decoded.text
    body, bad = split_body(lines, delimiter, width, header.last_line, check_bytes=check)
    notes = (decoded.note,) if decoded.note else ()
    row_of = _record_numbers([*head_records[: h + 1], *body])
    return _Rows(
        [header.fields] + [r.fields for r in body],
        [row_of(header.first_line)] + [row_of(r.first_line) for r in body],
        encoding=decoded.encoding,
        notes=notes,
        unparseable=tuple(Unparseable(u.line, u.reason, row_of(u.line)) for u in bad),
    )


def _record_numbers(records: list[Any]) -> Any:
    """Physical line -> row number as a spreadsheet shows it (a multi-line cell is one row)."""
    ends = [r.last_line for r in records if r.last_line > r.first_line]
    extra = np.cumsum(
        [0] + [r.last_line - r.first_line for r in records if r.last_line > r.first_line]
    )

    def row_of(line: int) -> int:
        k = bisect.bisect_left(ends, line)  # multi-line records ending before this line
        return int(line - extra[k])

    return row_of


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    known_names: Collection[str] = (),
    kind: str | None = None,
) -> RawTable:
    """Read a CSV, XLSX or Parquet file into a :class:`RawTable` of source values.

    Parameters
    ----------
    path
        File to read; the format is chosen by suffix (``.csv``/``.txt``/``.tsv``,
        ``.xlsx``/``.xlsm``, ``.parquet``/``.pq``).
    sheet
        XLSX sheet name (default: the first sheet).  Refused for other formats.
    known_names
        Normalised column names and aliases (see :func:`normalise_name`) used to find the
        header row of CSV and XLSX files below a title block.  Empty: the first non-blank row.
    kind
        Extract kind, only for messages.

    Raises
    ------
    ExtractReadError
        Missing file, empty file, not a table, no such sheet, or no header row found.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise ExtractReadError(f"{path}: no such file; check the path and try again")
    if path.is_dir():
        raise ExtractReadError(f"{path}: is a folder, not a file; give the extract file's path")
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:
            raise ExtractReadError(
                f"{name}: not a readable Parquet file ({type(exc).__name__}); "
                "re-export it, or export the extract as CSV"
            ) from None
        return frame_table(frame, source=name)
    if suffix in {".xls"}:
        raise ExtractReadError(
            f"{name}: old-style .xls workbooks are not supported; save it as .xlsx or CSV"
        )
    if sheet is not None and suffix not in {".xlsx", ".xlsm"}:
        raise ExtractReadError(
            f"{name}: a sheet ({sheet!r}) applies only to Excel workbooks; leave --sheet out "
            "for CSV files"
        )
    if suffix in {".xlsx", ".xlsm"}:
        rows, numbers, used = xlsx_rows(path, sheet)
        if not rows or all(_blank_row(r) for r in rows):
            raise ExtractReadError(
                f"{name}: sheet {used!r} holds no table (it is empty)"
                + _other_sheets_hint(path, known_names, used, sheet)
            )
        try:
            h = _find_header(rows, known_names, name=name, kind=kind, sheet=used)
        except ExtractReadError as exc:
            raise ExtractReadError(
                str(exc) + _other_sheets_hint(path, known_names, used, sheet)
            ) from None
        src = _Rows(rows[h:], numbers[h:], sheet=used)
    elif suffix in {".csv", ".txt", ".tsv", ""}:
        src = _csv_rows(path, known_names, kind)
    else:
        raise ExtractReadError(
            f"{name}: unsupported file type {suffix!r}; use CSV, XLSX or Parquet"
        )
    return _build(src, name)


def _other_sheets_hint(path: Path, known: Collection[str], used: str, asked: str | None) -> str:
    """`` ; sheet 'Data' has the columns: pass --sheet 'Data'`` (or the list of sheets)."""
    heads = sheet_heads(path, HEADER_SCAN_ROWS)
    others = [s for s in heads if s != used]
    if not others:
        return ""
    known = set(known)
    scored = []
    for s in others:
        score = max(
            (
                sum(1 for v in r if v is not None and normalise_name(cell_text(v)) in known)
                for r in heads[s]
            ),
            default=0,
        )
        scored.append((score, s))
    best_score, best = max(scored)
    if best_score:
        return f"; sheet {best!r} has the columns: pass --sheet {best!r}"
    listed = ", ".join(repr(s) for s in others)
    return f"; the workbook also has {listed}: pass the sheet holding the data with --sheet"


def _build(src: _Rows, name: str) -> RawTable:
    header, body, body_numbers = src.rows[0], src.rows[1:], src.numbers[1:]
    width = max([len(header), *map(len, body)]) if body else len(header)
    headers = [("" if h is None else cell_text(h).strip()) for h in header]
    headers += [""] * (width - len(headers))
    kept, kept_numbers, n_blank = [], [], 0
    for r, num in zip(body, body_numbers, strict=True):
        if _blank_row(r):
            n_blank += 1
            continue
        kept.append(list(r) + [None] * (width - len(r)))
        kept_numbers.append(num)
    frame = pd.DataFrame(kept, columns=range(width), dtype=object)
    # drop unnamed columns that hold nothing (trailing delimiters); keep unnamed with data
    names: list[str] = []
    keep_cols: list[int] = []
    for j, h in enumerate(headers):
        if not h:
            if frame.empty or _blank_row(frame[j].tolist()):
                continue
            h = f"<unnamed column {j + 1}>"
        keep_cols.append(j)
        names.append(h)
    frame = frame[keep_cols]
    frame.columns = _unique_labels(names)
    return RawTable(
        frame=frame.reset_index(drop=True),
        row_numbers=np.asarray(kept_numbers, dtype=int),
        headers=tuple(names),
        source=name,
        n_blank=n_blank,
        header_row=src.numbers[0],
        encoding=src.encoding,
        sheet=src.sheet,
        unparseable=src.unparseable,
        notes=src.notes,
    )


def _unique_labels(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} [{seen[n]}]")
    return out


def _find_header(
    rows: list[list[Any]],
    known: Collection[str],
    *,
    name: str,
    kind: str | None,
    sheet: str | None = None,
) -> int:
    first = next((i for i, r in enumerate(rows) if not _blank_row(r)), None)
    if first is None:
        raise ExtractReadError(f"{name}: the file holds no table (it is empty)")
    if not known:
        return first
    known = set(known)
    best, best_score = first, 0
    for i, r in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = sum(1 for v in r if v is not None and normalise_name(cell_text(v)) in known)
        if score > best_score:
            best, best_score = i, score
    if best_score == 0:
        what = f"a {kind} extract" if kind else "the extract kind"
        where = f" of sheet {sheet!r}" if sheet else ""
        raise ExtractReadError(
            f"{name}: no header row found: none of the first {HEADER_SCAN_ROWS} rows{where} "
            f"names a column of {what}; check the extract kind, or map the supplier's column "
            "names with --column-map FILE (see the how-to 'Map a supplier's column names')"
        )
    return best


def frame_table(frame: pd.DataFrame, *, source: str = "<DataFrame>") -> RawTable:
    """Wrap an in-memory frame as a :class:`RawTable` (row ``k`` is source row ``k + 2``)."""
    if not isinstance(frame, pd.DataFrame):
        raise ExtractReadError(f"{source}: expected a pandas DataFrame, got {type(frame).__name__}")
    headers = [str(c) for c in frame.columns]
    data = frame.reset_index(drop=True).copy()
    data.columns = _unique_labels(headers)
    return RawTable(
        frame=data,
        row_numbers=np.arange(2, len(frame) + 2, dtype=int),
        headers=tuple(headers),
        source=source,
    )
