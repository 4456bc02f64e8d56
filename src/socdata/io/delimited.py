"""Delimited text (CSV, TSV, semicolon or pipe separated) split into records, losing none.

Python's :mod:`csv` reader, left to itself, swallows the rest of a file into one cell after
an unclosed quote, so 123 rows can vanish without a word.  Here every physical line of the
file ends up in exactly one of: a record (one line, or several when a quoted cell spans
lines), a blank line, or an *unparseable* line reported with its number and the reason:

* an unclosed quote (a quoted cell still open at the end of the file, or spanning more than
  :data:`MAX_QUOTED_LINES` lines, or closing into a record of the wrong width);
* a stray quote (text right after a closing quote, as in ``"Smith"J``);
* a ragged row (more non-empty fields than the header, or fewer: a cut line or a delimiter
  inside an unquoted value);
* a truncated last line (the file ends in the middle of a record);
* bytes the file's encoding cannot decode (:mod:`socdata.io.decode`), or a NUL character.

After an unparseable line, reading resumes at the next physical line, so one damaged line
costs one line.
"""

from __future__ import annotations

import csv
import dataclasses
import re

from socdata.io.decode import has_undecodable, undecodable_bytes

__all__ = [
    "MAX_QUOTED_LINES",
    "Record",
    "Unparseable",
    "physical_lines",
    "sniff_delimiter",
    "split_body",
    "split_records",
]

#: A quoted cell may span at most this many lines; longer means an unclosed quote.
MAX_QUOTED_LINES = 50

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r|$)")


@dataclasses.dataclass(frozen=True)
class Record:
    """One record: its fields and the physical lines (1-based, inclusive) it spans."""

    fields: list[str]
    first_line: int
    last_line: int


@dataclasses.dataclass(frozen=True)
class Unparseable:
    """A physical line that is not a record: its number, its row number and why.

    ``row`` is the line's row number as a spreadsheet shows it (a quoted cell spanning
    lines above it counts once); it equals ``line`` in a file without such cells.  No cell
    values are kept (they may identify someone).
    """

    line: int
    reason: str
    row: int | None = None


def physical_lines(text: str) -> list[str]:
    """Lines with their endings (``\\r\\n``, ``\\n`` or ``\\r``); nothing else splits a line."""
    lines = _LINE.findall(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def sniff_delimiter(lines: list[str], scan: int) -> str:
    """The candidate (``, ; TAB |``) occurring most in the first non-blank lines."""
    head = [ln for ln in lines[:scan] if ln.strip()]
    delimiter = max(",;\t|", key=lambda d: sum(ln.count(d) for ln in head))
    return delimiter if any(delimiter in ln for ln in head) else ","


class _Feed:
    """Lines fed to :func:`csv.reader`, from ``start``; stops a runaway quoted cell."""

    def __init__(self, lines: list[str], start: int) -> None:
        self.lines = lines
        self.pos = start
        self.record_start = start

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines) or self.pos - self.record_start >= MAX_QUOTED_LINES:
            raise StopIteration
        line = self.lines[self.pos]
        self.pos += 1
        return line


def _problem(fields: list[str], raw: str) -> str | None:
    if has_undecodable(raw):
        return (
            f"bytes {', '.join(undecodable_bytes(raw)[:5])} cannot be decoded in the file's "
            "encoding; re-export the file as UTF-8 (or correct the character)"
        )
    if "\x00" in raw:
        return "holds a NUL character (a damaged file); re-export the extract"
    return None


def split_records(
    lines: list[str], delimiter: str, start: int = 0, *, check_bytes: bool = True
) -> tuple[list[Record], list[Unparseable]]:
    """Split physical lines (from 0-based ``start``) into records; report every other line.

    Blank lines are returned as records with no fields (so that they can be counted).
    ``check_bytes=False`` skips the per-record search for undecodable bytes and NULs (for a
    text the caller knows holds none).
    """
    records: list[Record] = []
    bad: list[Unparseable] = []
    while start < len(lines):
        feed = _Feed(lines, start)
        reader = csv.reader(feed, delimiter=delimiter, strict=True)
        try:
            for fields in reader:
                first, last = feed.record_start, feed.pos  # 0-based first, exclusive last
                reason = _problem(fields, "".join(lines[first:last])) if check_bytes else None
                if reason:
                    bad.extend(Unparseable(i + 1, reason) for i in range(first, last))
                else:
                    records.append(Record(fields, first + 1, last))
                feed.record_start = feed.pos
            start = len(lines)
        except csv.Error as exc:
            first = feed.record_start
            msg = str(exc)
            if (
                "unexpected end of data" in msg
                or feed.pos - first > 1  # the error is on a later line: the quote opened here
                or feed.pos - first >= MAX_QUOTED_LINES
            ):
                reason = (
                    "a quote opened on this line is never closed (the rest of the file would "
                    "be read into one cell); remove the stray quote or close it"
                )
            elif "expected after" in msg:
                reason = (
                    "text follows a closing quote (a stray quote inside a quoted value); "
                    'double the quote ("") or remove it'
                )
            elif "NUL" in msg or "null" in msg.lower():
                reason = "holds a NUL character (a damaged file); re-export the extract"
            else:
                reason = f"not readable as CSV ({msg})"
            bad.append(Unparseable(first + 1, reason))
            start = first + 1
    return records, bad


def _ragged_reason(rec: Record, width: int, truncated: bool) -> str:
    n = len(rec.fields)
    if truncated and n < width:
        return (
            f"the last line is cut short ({n} of {width} fields): the file looks truncated; "
            "re-export the extract"
        )
    if n > width:
        n_filled = sum(1 for f in rec.fields if f.strip())
        return (
            f"has {n} fields ({n_filled} filled) where the header has {width} columns (a "
            "delimiter inside an unquoted value?); quote the value or remove the delimiter"
        )
    return (
        f"has {n} fields where the header has {width} (a cut line, or a line break inside "
        "an unquoted value?); correct the line"
    )


def _fits(rec: Record, width: int) -> bool:
    n = len(rec.fields)
    if not any(f.strip() for f in rec.fields):
        return True  # a blank line (or delimiters only): no data, counted as blank
    return n == width or (n > width and not any(f.strip() for f in rec.fields[width:]))


def _swallows_records(rec: Record, delimiter: str, width: int) -> bool:
    """Whether a multi-line quoted cell is really an unclosed quote that closed by chance.

    A quote opened in field ``k`` of one line and closed (by a stray quote) in field ``m``
    of a later line gives a record of the header's width exactly when ``k == m``; the cell
    then holds every delimiter between, at least ``width - 1`` of them.  A legitimate
    multi-line cell is free text (an address, a note) and holds fewer; one that holds as
    many is reported rather than risk swallowing whole rows silently.
    """
    return width > 1 and any(
        ("\n" in f or "\r" in f) and f.count(delimiter) >= width - 1 for f in rec.fields
    )


def split_body(
    lines: list[str], delimiter: str, width: int, start: int, *, check_bytes: bool = True
) -> tuple[list[Record], list[Unparseable]]:
    """Records below the header (0-based line ``start`` on), each of the header's width.

    A record may carry extra *empty* fields (trailing delimiters); more filled fields, or
    fewer fields than the header, make a single-line record ragged (unparseable).  A
    multi-line record of the wrong width is an unclosed quote: its first line is reported
    and the lines after it are read again as records of their own.
    """
    kept: list[Record] = []
    bad: list[Unparseable] = []
    ends_with_newline = bool(lines) and lines[-1].endswith(("\n", "\r"))
    while True:
        records, found = split_records(lines, delimiter, start, check_bytes=check_bytes)
        restart = None
        for rec in records:
            multi = rec.last_line > rec.first_line
            if _fits(rec, width) and not (multi and _swallows_records(rec, delimiter, width)):
                kept.append(rec)
            elif multi:
                bad.append(
                    Unparseable(
                        rec.first_line,
                        f"a quote opened on this line closes only on line {rec.last_line}, "
                        "so the lines between would be read into one cell; remove the stray "
                        "quote (or close it on this line)",
                    )
                )
                restart = rec.first_line  # 0-based index of the line after it
                break
            else:
                truncated = rec.last_line == len(lines) and not ends_with_newline
                bad.append(Unparseable(rec.first_line, _ragged_reason(rec, width, truncated)))
        if restart is None:
            bad.extend(found)
            break
        bad.extend(u for u in found if u.line < restart)
        start = restart
    bad.sort(key=lambda u: u.line)
    return kept, bad
