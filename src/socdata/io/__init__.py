"""Readers for extracts: file formats, encodings, header rows, dates, names and labels.

This package turns a file (CSV, XLSX or Parquet) into a raw table of source values with the
row number of each record in the source file (:mod:`socdata.io.table`), accounting for every
line (:mod:`socdata.io.delimited`, :mod:`socdata.io.decode`), and offers the vectorised
parsers that :mod:`socdata.validate` applies column by column (:mod:`socdata.io.cells`,
:mod:`socdata.io.dates`):

* CSV in UTF-8, UTF-8 with a byte-order mark, Windows-1252 as Excel writes it (e.g. the
  curly apostrophe byte ``0x92`` in "Children’s Services"), or UTF-16 (Excel's "Unicode
  text"); comma, semicolon, tab or pipe delimited.  One encoding per file, decided from
  the evidence; lines holding bytes that are not in it are reported, never silently
  re-read in another encoding;
* every physical line of a CSV is a record, a blank line, or an *unparseable* line reported
  with its number and reason (unclosed quote, ragged row, truncated line, undecodable bytes);
* XLSX, the named sheet or the first one, with the header row found even below a title block
  (the first :data:`HEADER_SCAN_ROWS` rows are scanned for the row naming most known columns);
* Parquet;
* dates written day-first (``01/06/2021``, ``1.6.2021``, ``1 Jun 2021``), as ISO
  (``2021-06-01``), as Excel serial numbers (``44348``) or as spreadsheet date cells, each
  component checked (no roll-over of ``25:61`` into the next day);
* supplier column names matched to canonical names through the schema's alias table after
  :func:`normalise_name` (plus a column map file, :func:`load_column_map`);
* category labels matched through :func:`label_key` and the schema's declared synonyms.

The one-call entry point that reads, validates against the schema of the extract kind and
returns the canonical typed frame is :func:`socdata.read_extract`
(:func:`socdata.validate.read_extract`): validation sits downstream of reading, so it is not
here (``socdata.io.read_extract`` still works, with a deprecation warning, for one release).

Examples
--------
>>> from socdata import io
>>> from socdata.paths import synthetic_dir
>>> raw = io.read_table(synthetic_dir() / "plans.csv")
>>> raw.n_blank, len(raw.unparseable)
(0, 0)
>>> io.normalise_name(" Referral Date")
'referral_date'
"""

from __future__ import annotations

from socdata.io.cells import (
    MISSING_TOKENS,
    cell_text,
    is_missing,
    label_key,
    normalise_labels,
    normalise_name,
    parse_integers,
    parse_strings,
)
from socdata.io.dates import date_problem, month_first_hint, parse_dates
from socdata.io.options import ReadOptions, load_column_map, read_options, set_read_options
from socdata.io.table import (
    EXTRACT_SUFFIXES,
    HEADER_SCAN_ROWS,
    RawTable,
    Unparseable,
    extract_files,
    find_extract,
    frame_table,
    read_table,
)

#: Former private name of :func:`socdata.io.cells.cell_text` (kept for callers).
_cell_text = cell_text

__all__ = [
    "EXTRACT_SUFFIXES",
    "HEADER_SCAN_ROWS",
    "MISSING_TOKENS",
    "RawTable",
    "ReadOptions",
    "Unparseable",
    "date_problem",
    "extract_files",
    "find_extract",
    "frame_table",
    "is_missing",
    "label_key",
    "load_column_map",
    "month_first_hint",
    "normalise_labels",
    "normalise_name",
    "parse_dates",
    "parse_integers",
    "parse_strings",
    "read_options",
    "read_table",
    "set_read_options",
]


def __getattr__(name: str):
    if name == "read_extract":  # moved downstream to socdata.validate (it validates)
        from socdata.moved import warn_moved

        warn_moved("socdata.io.read_extract")
        from socdata.validate.read import read_extract

        return read_extract
    raise AttributeError(f"module 'socdata.io' has no attribute {name!r}")
