"""Readers for extracts: file formats, encodings, header rows, dates, names and labels.

This module turns a file (CSV, XLSX or Parquet) into a raw table of source values with the
row number of each record in the source file, and offers the vectorised parsers that
:mod:`socdata.validate` applies column by column:

* CSV in UTF-8, UTF-8 with a byte-order mark, Windows-1252 as Excel writes it (e.g. the
  curly apostrophe byte ``0x92`` in "Children’s Services"), or UTF-16 with a byte-order mark
  (Excel's "Unicode text"); comma, semicolon, tab or pipe delimited;
* XLSX, the named sheet or the first one, with the header row found even below a title block
  (the first :data:`HEADER_SCAN_ROWS` rows are scanned for the row naming most known columns);
* Parquet;
* dates written day-first (``01/06/2021``, ``1.6.2021``, ``1 Jun 2021``), as ISO
  (``2021-06-01``), as Excel serial numbers (``44348``) or as spreadsheet date cells;
* supplier column names matched to canonical names through the schema's alias table after
  :func:`normalise_name`;
* category labels matched through :func:`label_key` (case, spacing, apostrophe style) and the
  schema's declared synonyms.  Nothing is guessed: a label that matches neither an allowed
  value nor a synonym is reported.

:func:`read_extract` is the one-call entry point: read, validate against the schema of the
extract kind, and return the canonical typed frame.

Examples
--------
>>> from socdata import io
>>> from socdata.paths import synthetic_dir
>>> plans = io.read_extract(synthetic_dir() / "plans.csv", "plans")
>>> plans["plan_id"].is_unique
True
>>> io.normalise_name(" Referral Date")
'referral_date'
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import io as _io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socdata.errors import ExcludedRowsWarning, ExtractReadError

__all__ = [
    "EXTRACT_SUFFIXES",
    "HEADER_SCAN_ROWS",
    "MISSING_TOKENS",
    "RawTable",
    "extract_files",
    "find_extract",
    "is_missing",
    "label_key",
    "normalise_labels",
    "normalise_name",
    "parse_dates",
    "parse_integers",
    "parse_strings",
    "read_extract",
    "read_table",
]

#: How many rows at the top of a sheet or CSV are scanned for the header row.
HEADER_SCAN_ROWS = 20

#: Cell texts read as "no value" in date, date-time and integer columns (after lower-casing).
#: In text and category columns only an empty cell is missing, so that a declared synonym
#: can give meaning to e.g. "N/A" (plans: "Not on form").
MISSING_TOKENS: frozenset[str] = frozenset({"", "na", "n/a", "null", "none", "nan", "nat", "-"})

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Excel serial numbers accepted as dates: 1900-03-01 (61) to 2100-12-31 (73415).
_SERIAL_MIN, _SERIAL_MAX = 61, 73415

_QUOTES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)


# --------------------------------------------------------------------------- names, labels


def normalise_name(name: object) -> str:
    """Normalise a column header for matching: case, spacing, punctuation and accents ignored.

    ``"Date of Referral"``, ``"date_of_referral"`` and ``" DATE OF REFERRAL "`` all become
    ``"date_of_referral"``.
    """
    text = unicodedata.normalize("NFKD", str(name)).translate(_QUOTES)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("'", "")
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def label_key(label: object) -> str:
    """Normalise a category label for matching against allowed values and synonyms.

    Case, surrounding and repeated spaces or underscores, and curly versus straight
    apostrophes are ignored; nothing else is (a missing apostrophe, as in "Childrens
    Services", needs a declared synonym).
    """
    text = unicodedata.normalize("NFKC", str(label)).translate(_QUOTES).casefold()
    return re.sub(r"[\s_]+", " ", text).strip()


def is_missing(values: pd.Series, *, tokens: Collection[str] = ("",)) -> np.ndarray:
    """Boolean mask of missing cells: None/NaN/NaT, or text whose stripped lower case is in ``tokens``."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    tokens = set(tokens)
    miss_u = np.fromiter(
        (isinstance(v, str) and v.strip().casefold() in tokens for v in uniques),
        dtype=bool,
        count=len(uniques),
    )
    missing = codes < 0
    if len(uniques):
        missing |= miss_u[np.where(missing, 0, codes)]
    return missing


def _on_uniques(
    values: pd.Series, core: Callable[[pd.Series], tuple[pd.Series, np.ndarray]]
) -> tuple[pd.Series, np.ndarray]:
    """Apply a per-cell parser to the distinct values only, then spread the result back.

    Extract columns repeat values (labels, dates), so parsing the distinct values keeps
    Python-level work small; cells that are None/NaN stay missing and are never bad.
    """
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    if len(uniques) == 0 or len(uniques) == len(values):
        return core(values)
    parsed_u, bad_u = core(pd.Series(uniques, dtype=object))
    na = codes < 0
    idx = np.where(na, 0, codes)
    parsed = pd.Series(parsed_u.to_numpy()[idx], index=values.index).astype(parsed_u.dtype)
    if na.any():
        parsed = parsed.mask(na)
    return parsed, np.where(na, False, np.asarray(bad_u, dtype=bool)[idx])


def normalise_labels(
    values: pd.Series,
    *,
    allowed: Collection[str] | None,
    synonyms: Mapping[str, str] | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """Map raw labels to canonical labels.

    Parameters
    ----------
    values
        Raw cells (strings, or anything convertible with ``str``).
    allowed
        Canonical labels; ``None`` means an open set (any label is kept, after synonyms).
    synonyms
        Declared synonyms ``{"YOS": "Youth Justice Service", ...}``, matched by :func:`label_key`.

    Returns
    -------
    labels, unmapped
        Canonical labels (``NaN`` where missing or unmapped) as an object Series with the
        input's index, and a boolean mask of non-missing cells that matched nothing.
    """
    return _on_uniques(
        values, lambda u: _normalise_labels_core(u, allowed=allowed, synonyms=synonyms)
    )


def _normalise_labels_core(
    values: pd.Series,
    *,
    allowed: Collection[str] | None,
    synonyms: Mapping[str, str] | None,
) -> tuple[pd.Series, np.ndarray]:
    table: dict[str, str] = {}
    for target in allowed or ():
        table[label_key(target)] = target
    for syn, target in (synonyms or {}).items():
        table.setdefault(label_key(syn), target)
    missing = is_missing(values)
    out = pd.Series(np.nan, index=values.index, dtype=object)
    present = values[~missing].astype(object)
    if len(present):
        uniques = pd.unique(present.map(_cell_text))
        mapping: dict[str, Any] = {}
        for u in uniques:
            key = label_key(u)
            if key in table:
                mapping[u] = table[key]
            elif allowed is None:
                mapping[u] = re.sub(r"\s+", " ", u.strip())
            else:
                mapping[u] = np.nan
        out[~missing] = present.map(_cell_text).map(mapping).to_numpy(dtype=object)
    unmapped = ~missing & pd.isna(out).to_numpy()
    return out, unmapped


# --------------------------------------------------------------------------- value parsers


def _cell_text(v: object) -> str:
    """Text of a cell: integral floats lose their ``.0`` (Excel stores ids as numbers)."""
    if isinstance(v, str):
        return v
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, (pd.Timestamp, _dt.datetime)):
        return v.isoformat(sep=" ")
    return str(v)


def parse_strings(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Strip text cells; empty cells become ``NaN``.  Never fails (the mask is all False)."""
    return _on_uniques(values, _parse_strings_core)


def _parse_strings_core(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    missing = is_missing(values)
    out = pd.Series(np.nan, index=values.index, dtype=object)
    if (~missing).any():
        out[~missing] = values[~missing].map(lambda v: _cell_text(v).strip()).to_numpy(object)
    return out, np.zeros(len(values), dtype=bool)


_INT_RE = re.compile(r"^[+-]?\d+(?:\.0*)?$")


def parse_integers(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse whole numbers (``"15"``, ``15``, ``15.0``); returns (``Int64`` Series, bad mask)."""
    return _on_uniques(values, _parse_integers_core)


def _parse_integers_core(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    missing = is_missing(values, tokens=MISSING_TOKENS)
    out = np.zeros(len(values), dtype="int64")
    ok = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values.to_numpy(dtype=object)):
        if missing[i]:
            continue
        if isinstance(v, (bool, np.bool_)):
            continue
        if isinstance(v, (int, np.integer)):
            out[i], ok[i] = int(v), True
        elif isinstance(v, (float, np.floating)):
            if np.isfinite(v) and float(v).is_integer():
                out[i], ok[i] = int(v), True
        elif isinstance(v, str) and _INT_RE.match(v.strip()):
            out[i], ok[i] = int(float(v.strip())), True
    result = pd.array(out, dtype="Int64")
    result[~ok] = pd.NA
    return pd.Series(result, index=values.index), ~missing & ~ok


_ISO_RE = (
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?$"
)
_UK_RE = (
    r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
    r"(?:[T ,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)
_NAMED_RE = (
    r"^(?P<d>\d{1,2})[ -](?P<mon>[A-Za-z]{3,9})[ -](?P<y>\d{4})"
    r"(?:[T ,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)
_SERIAL_RE = r"^\d+(?:\.\d+)?$"
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}


def _assemble(parts: pd.DataFrame) -> pd.Series:
    cols = {"year": parts["y"], "month": parts["m"], "day": parts["d"]}
    for key, name in (("H", "hour"), ("M", "minute"), ("S", "second")):
        if key in parts:
            cols[name] = pd.to_numeric(parts[key], errors="coerce").fillna(0)
    frame = pd.DataFrame({k: pd.to_numeric(v, errors="coerce") for k, v in cols.items()})
    # to_datetime on components: impossible dates (31/02/2021) become NaT
    return pd.to_datetime(frame, errors="coerce")


def parse_dates(values: pd.Series, *, with_time: bool = False) -> tuple[pd.Series, np.ndarray]:
    """Parse dates (or date-times) written in any of the accepted forms.

    Accepted: date cells from spreadsheets (``datetime``/``Timestamp``), ISO
    ``yyyy-mm-dd[ hh:mm[:ss]]``, day-first ``dd/mm/yyyy[ hh:mm[:ss]]`` (also with ``-`` or
    ``.``), ``1 Jun 2021``, and Excel serial numbers 61-73415 (1900-03-01 to 2100-12-31),
    numeric or as text.  Month-first (US) dates are never assumed: ``06/13/2021`` is invalid.

    Parameters
    ----------
    values
        Raw cells.
    with_time
        Keep the time of day; otherwise values are floored to the date.

    Returns
    -------
    parsed, bad
        ``datetime64[ns]`` Series (NaT where missing or bad) and the mask of non-missing
        cells that could not be parsed.
    """
    n = len(values)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if n == 0:
        return out, np.zeros(0, dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = pd.to_datetime(values, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        out = parsed.astype("datetime64[ns]")
        return (out if with_time else out.dt.floor("D")), np.zeros(n, dtype=bool)
    return _on_uniques(values, lambda u: _parse_dates_core(u, with_time=with_time))


def _parse_dates_core(values: pd.Series, *, with_time: bool) -> tuple[pd.Series, np.ndarray]:
    n = len(values)
    missing = is_missing(values, tokens=MISSING_TOKENS)
    obj = values.astype(object).to_numpy()
    kind = np.full(n, "", dtype=object)
    for i, v in enumerate(obj):
        if missing[i]:
            continue
        if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
            kind[i] = "dt"
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            kind[i] = "num"
        else:
            kind[i] = "str"
    result = np.full(n, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    sel = kind == "dt"
    if sel.any():
        result[sel] = pd.to_datetime(pd.Series(obj[sel]), errors="coerce").to_numpy(
            dtype="datetime64[ns]"
        )
    serial = np.full(n, np.nan)
    sel = kind == "num"
    if sel.any():
        serial[sel] = np.asarray(obj[sel], dtype=float)
    sel = kind == "str"
    if sel.any():
        text = pd.Series(obj[sel]).map(lambda s: str(s).strip())
        idx = np.flatnonzero(sel)
        done = np.zeros(len(text), dtype=bool)
        for pattern in (_ISO_RE, _UK_RE, _NAMED_RE):
            parts = text.str.extract(pattern)
            hit = parts["y"].notna().to_numpy() & ~done
            if not hit.any():
                continue
            parts = parts[hit]
            if "mon" in parts:
                parts = parts.assign(m=parts.pop("mon").str.casefold().map(_MONTHS))
            result[idx[hit]] = _assemble(parts).to_numpy(dtype="datetime64[ns]")
            done |= hit
        is_serial = text.str.fullmatch(_SERIAL_RE).to_numpy(dtype=bool) & ~done
        if is_serial.any():
            serial[idx[is_serial]] = text[is_serial].astype(float).to_numpy()
    has_serial = ~np.isnan(serial)
    if has_serial.any():
        s = serial[has_serial]
        good = (s >= _SERIAL_MIN) & (s < _SERIAL_MAX + 1)
        days = np.where(good, s, 0.0)
        stamps = _EXCEL_EPOCH + pd.to_timedelta(np.round(days * 86400), unit="s")
        vals = stamps.to_numpy(dtype="datetime64[ns]")
        vals[~good] = np.datetime64("NaT", "ns")
        result[has_serial] = vals
    out = pd.Series(result, index=values.index, dtype="datetime64[ns]")
    if not with_time:
        out = out.dt.floor("D")
    bad = ~missing & out.isna().to_numpy()
    return out, bad


# --------------------------------------------------------------------------- file readers


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
        for XLSX, the record number for CSV (blank lines count; a quoted cell spanning lines
        does not), and ``k + 2`` for row ``k`` of a DataFrame or Parquet file (header = 1).
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
    """

    frame: pd.DataFrame
    row_numbers: np.ndarray
    headers: tuple[str, ...]
    source: str
    n_blank: int = 0
    header_row: int = 1
    encoding: str | None = None
    sheet: str | None = None


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:
        raise ExtractReadError(
            f"{name}: is not a text table (it contains binary data); "
            "export the extract as CSV, XLSX or Parquet"
        )
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        return text, (
            "utf-8" if enc == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf") else enc
        )
    raise ExtractReadError(f"{name}: cannot decode the file")  # pragma: no cover


def _read_csv_rows(path: Path) -> tuple[list[list[Any]], list[int], str]:
    data = path.read_bytes()
    if not data.strip():
        raise ExtractReadError(
            f"{path.name}: the file is empty; check that the export finished and try again"
        )
    text, encoding = _decode(data, path.name)
    # the delimiter is the candidate that occurs most in the first lines (a title line
    # such as "Report; 2023" above a comma-separated table must not decide it alone)
    head = [ln for ln in text.splitlines()[: HEADER_SCAN_ROWS + 5] if ln.strip()]
    delimiter = max(",;\t|", key=lambda d: sum(ln.count(d) for ln in head))
    if not any(delimiter in ln for ln in head):
        delimiter = ","
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[Any]] = []
    lines: list[int] = []
    try:
        for rec in reader:
            rows.append(rec)
            # record number = the row a spreadsheet shows (blank lines count, a quoted cell
            # spanning lines does not)
            lines.append(len(rows))
    except csv.Error as exc:
        raise ExtractReadError(
            f"{path.name}: line {reader.line_num}: not a readable CSV table ({exc}); "
            "re-export the extract as CSV (comma separated) or XLSX"
        ) from None
    return rows, lines, encoding


def _read_xlsx_rows(path: Path, sheet: str | None) -> tuple[list[list[Any]], list[int], str]:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - dependency of socdata
        raise ExtractReadError("reading XLSX needs openpyxl: pip install openpyxl") from exc
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ExtractReadError(
            f"{path.name}: not a readable Excel workbook ({type(exc).__name__}); "
            "save it as .xlsx from Excel, or export it as CSV"
        ) from None
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
        rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
        return rows, list(range(1, len(rows) + 1)), ws.title
    finally:
        wb.close()


def _blank_row(row: list[Any]) -> bool:
    return all(
        v is None
        or (isinstance(v, str) and not v.strip())
        or (isinstance(v, float) and np.isnan(v))
        for v in row
    )


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
        File to read; the format is chosen by suffix (``.csv``/``.txt``, ``.xlsx``/``.xlsm``,
        ``.parquet``/``.pq``).
    sheet
        XLSX sheet name (default: the first sheet).  Ignored for other formats.
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
    encoding = None
    used_sheet = None
    if sheet is not None and suffix not in {".xlsx", ".xlsm"}:
        raise ExtractReadError(
            f"{name}: a sheet ({sheet!r}) applies only to Excel workbooks; leave --sheet out "
            "for CSV files"
        )
    if suffix in {".xlsx", ".xlsm"}:
        rows, numbers, used_sheet = _read_xlsx_rows(path, sheet)
    elif suffix in {".csv", ".txt", ".tsv", ""}:
        rows, numbers, encoding = _read_csv_rows(path)
    else:
        raise ExtractReadError(
            f"{name}: unsupported file type {suffix!r}; use CSV, XLSX or Parquet"
        )
    if not rows or all(_blank_row(r) for r in rows):
        raise ExtractReadError(
            f"{name}: the file holds no table (it is empty); check the export and try again"
        )
    header_idx = _find_header(rows, known_names, name=name, kind=kind)
    header = rows[header_idx]
    body = rows[header_idx + 1 :]
    body_numbers = numbers[header_idx + 1 :]
    width = max([len(header), *map(len, body)]) if body else len(header)
    headers = [("" if h is None else _cell_text(h).strip()) for h in header]
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
        header_row=numbers[header_idx],
        encoding=encoding,
        sheet=used_sheet,
    )


def _unique_labels(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} [{seen[n]}]")
    return out


def _find_header(
    rows: list[list[Any]], known: Collection[str], *, name: str, kind: str | None
) -> int:
    first = next(i for i, r in enumerate(rows) if not _blank_row(r))
    if not known:
        return first
    known = set(known)
    best, best_score = first, 0
    for i, r in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = sum(1 for v in r if v is not None and normalise_name(_cell_text(v)) in known)
        if score > best_score:
            best, best_score = i, score
    if best_score == 0:
        what = f"a {kind} extract" if kind else "the extract kind"
        raise ExtractReadError(
            f"{name}: no header row found: none of the first {HEADER_SCAN_ROWS} rows names a "
            f"column of {what}; check the extract kind, or map the supplier's column names "
            "(see the how-to 'Map a supplier's column names')"
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


# --------------------------------------------------------------------------- entry point


def read_extract(
    path: str | Path,
    kind: str,
    *,
    sheet: str | None = None,
    strict: bool = True,
    show_identifiers: bool = False,
    column_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read and validate an extract; return its canonical, typed columns.

    Parameters
    ----------
    path
        CSV, XLSX or Parquet file, or a folder holding ``<kind>.csv`` (or ``.xlsx``,
        ``.parquet``; see :func:`find_extract`).
    kind
        Extract kind, one of :data:`socdata.schemas.KINDS` (e.g. ``"service"``).
    sheet
        XLSX sheet (default: the first).
    strict
        If true (default), raise :class:`~socdata.errors.ExtractValidationError` when any row
        breaks a rule.  If false, return the valid rows and warn with
        :class:`~socdata.errors.ExcludedRowsWarning` giving the number excluded.
    show_identifiers
        Show identifier and date-of-birth values in messages (masked by default).
    column_map
        Extra supplier column names for this file, ``{"Ref Date": "referral_date"}``, used
        on top of the aliases declared in the schema.

    Returns
    -------
    pandas.DataFrame
        Canonical columns in schema order (optional columns absent from the file are added
        empty), identifiers and labels as strings, dates as ``datetime64[ns]``, whole
        numbers as ``Int64``.

    Raises
    ------
    ExtractReadError
        The file cannot be read as a table.
    ExtractValidationError
        ``strict=True`` and some rows break the schema; ``.result`` holds the
        :class:`~socdata.validate.ValidationResult`.

    Examples
    --------
    >>> import socdata
    >>> from socdata.paths import synthetic_dir
    >>> service = socdata.read_extract(synthetic_dir() / "service.csv", "service")
    >>> service["referral_date"].dtype
    dtype('<M8[ns]')
    """
    # validate sits downstream of io; this façade imports it lazily (no import cycle)
    from socdata.validate import validate_extract

    result = validate_extract(
        path,
        kind,
        sheet=sheet,
        show_identifiers=show_identifiers,
        strict=strict,
        column_map=column_map,
    )
    if result.n_rejected:
        warnings.warn(
            f"{result.source}: {result.n_rejected} of {result.n_input} rows excluded because "
            f"they break the {kind} schema; run socdata.validate_extract(...) or "
            "`socdata validate` for the row-level reasons",
            ExcludedRowsWarning,
            stacklevel=2,
        )
    return result.valid
