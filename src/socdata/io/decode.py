"""Bytes to text, one encoding per file, with every undecodable byte kept visible.

Suppliers send UTF-8 (with or without a byte-order mark), Windows-1252 as Excel writes it
(the curly apostrophe byte ``0x92`` in "Children’s Services"), or UTF-16 with a byte-order
mark (Excel's "Unicode text").  The encoding is decided for the whole file from evidence,
never flipped because of one byte:

* UTF-16 when the file starts with its byte-order mark, or when every other byte of the
  start is NUL (UTF-16 without a mark);
* UTF-8 when the file decodes as UTF-8, *or* when it holds valid UTF-8 multi-byte
  characters and also some bytes that are not UTF-8 (a file edited in two programs): the
  bad bytes do not switch the file to Windows-1252 (which would turn every "Ynys Môn" into
  "Ynys MÃ´n"); they stay marked and the records holding them are reported as
  undecodable;
* Windows-1252 otherwise (no valid UTF-8 multi-byte character at all); its five undefined
  bytes are marked the same way.

Undecodable bytes become lone surrogates (Python's ``surrogateescape``), so the record
splitter can find the records that hold one (:func:`has_undecodable`) and report their line.
"""

from __future__ import annotations

import dataclasses
import re

from socdata.errors import ExtractReadError

__all__ = ["Decoded", "decode_bytes", "has_undecodable", "undecodable_bytes"]

_SURROGATE = re.compile("[\udc80-\udcff]")
_UTF8_MULTIBYTE = re.compile("[\u0080-\ud7ff\ue000-\U0010ffff]")

#: Magic numbers of binary files a supplier may send by mistake, with the fix to suggest.
_BINARY = (
    (b"PK\x03\x04", "an Excel workbook (XLSX) or another zip file; rename it to .xlsx"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook; save it as .xlsx or CSV"),
    (b"%PDF", "a PDF document; export the table itself as CSV or XLSX"),
    (b"PAR1", "a Parquet file; rename it to .parquet"),
    (b"\x89PNG", "a PNG image; export the table itself as CSV or XLSX"),
    (b"\xff\xd8\xff", "a JPEG image; export the table itself as CSV or XLSX"),
)


@dataclasses.dataclass(frozen=True)
class Decoded:
    """A decoded file: its text (bad bytes as lone surrogates) and what was decided."""

    text: str
    encoding: str
    n_bad_bytes: int = 0
    note: str | None = None


def undecodable_bytes(text: str) -> list[str]:
    """The bytes a record could not decode, as ``0x92`` strings (in order, distinct)."""
    found = dict.fromkeys(f"0x{ord(c) - 0xDC00:02x}" for c in _SURROGATE.findall(text))
    return list(found)


def has_undecodable(text: str) -> bool:
    """Whether ``text`` holds a byte the file's encoding could not decode."""
    return _SURROGATE.search(text) is not None


def _utf16(data: bytes, name: str, encoding: str) -> Decoded:
    body = data
    if len(body) % 2:  # a truncated file: the last half character is lost, and said so
        body = body[:-1]
    try:
        return Decoded(body.decode(encoding), "utf-16")
    except UnicodeDecodeError:
        text = body.decode(encoding, errors="replace")
        n = text.count("\ufffd")
        # a replacement character stands for bytes that are not UTF-16: mark it like a
        # surrogate-escaped byte so that the record holding it is reported
        return Decoded(
            text.replace("\ufffd", "\udcff"),
            "utf-16",
            n,
            f"{n} character(s) are not valid UTF-16; their records are reported",
        )


def decode_bytes(data: bytes, name: str) -> Decoded:
    """Decode a text table's bytes (see the module docstring for the rules).

    Raises
    ------
    ExtractReadError
        The bytes are a binary file (a workbook, PDF...), not a text table.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
        return _utf16(data, name, "utf-16")
    head = data[:4096]
    if len(head) >= 8 and head[1::2].count(0) >= 0.9 * (len(head) // 2):
        return _utf16(data, name, "utf-16-le")
    if len(head) >= 8 and head[0::2].count(0) >= 0.9 * (len(head) // 2):
        return _utf16(data, name, "utf-16-be")
    for magic, what in _BINARY:
        if data.startswith(magic):
            raise ExtractReadError(f"{name}: is not a text table: it looks like {what}")
    n_nul = head.count(0)
    if n_nul > max(2, len(head) // 100):
        raise ExtractReadError(
            f"{name}: is not a text table (it contains binary data); "
            "export the extract as CSV, XLSX or Parquet"
        )
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        return Decoded(body.decode("utf-8"), "utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", errors="surrogateescape")
    n_bad = len(_SURROGATE.findall(text))
    if bom or _UTF8_MULTIBYTE.search(text):
        return Decoded(
            text,
            "utf-8",
            n_bad,
            f"the file is UTF-8 but {n_bad} byte(s) are not "
            f"({', '.join(undecodable_bytes(text)[:5])}); the records holding them are "
            "reported as undecodable, not re-read in another encoding",
        )
    text = data.decode("cp1252", errors="surrogateescape")
    n_bad = len(_SURROGATE.findall(text))
    note = (
        f"{n_bad} byte(s) are not Windows-1252 ({', '.join(undecodable_bytes(text)[:5])})"
        if n_bad
        else None
    )
    return Decoded(text, "cp1252", n_bad, note)
