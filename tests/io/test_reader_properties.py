"""Property: whatever damage a file suffers, the reader loses no record.

Files are generated (a header, rows of plain cells, one of four delimiters, UTF-8), then
damaged at random, the way suppliers' files are: a stray quote, deleted or inserted
characters, an extra delimiter, a NUL, a byte that is not UTF-8, a cut end, blank lines,
other line endings.  The expected count is taken from the damaged bytes independently of
the reader: every non-blank physical line below the header is one record.  Then, always:

    records in = parsed rows + unparseable lines            (reader)
    records in = valid + rejected + unparseable             (validator)
"""

from __future__ import annotations

import re
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socdata.io import read_table
from socdata.validate import validate_extract

_CELL = st.text(alphabet=string.ascii_letters + string.digits + " -/:.", max_size=8)
_DELIMS = [",", ";", "\t", "|"]


def _damage(draw, data: bytes, header_end: int) -> bytes:
    """Apply 1-4 random damages to the bytes after the header line."""
    out = bytearray(data)
    quote_used = nul_used = False
    for _ in range(draw(st.integers(1, 4))):
        if len(out) <= header_end:
            break
        pos = draw(st.integers(header_end, len(out)))
        kind = draw(
            st.sampled_from(
                ["quote", "delete", "delim", "nul", "cp1252", "truncate", "blank", "crlf", "cr"]
            )
        )
        if kind == "quote" and not quote_used:  # one stray quote (cells hold none)
            out[pos:pos] = b'"'
            quote_used = True
        elif kind == "delete" and pos < len(out):
            del out[pos]
        elif kind == "delim":
            out[pos:pos] = draw(st.sampled_from([b",", b";", b"\t", b"|"]))
        elif kind == "nul" and not nul_used:  # several NULs in a tiny file: a binary file
            out[pos:pos] = b"\x00"
            nul_used = True
        elif kind == "cp1252":
            out[pos:pos] = b"\x92"
        elif kind == "truncate":
            del out[max(pos, header_end + 1) :]
        elif kind == "blank":
            out[pos:pos] = b"\n\n"
        elif kind == "crlf":
            out = bytearray(bytes(out).replace(b"\n", b"\r\n"))
        elif kind == "cr":
            out[pos:pos] = b"\r"
    return bytes(out)


@st.composite
def damaged_files(draw, header: tuple[str, ...] | None = None):
    width = len(header) if header else draw(st.integers(2, 6))
    names = list(header) if header else [f"col{j}" for j in range(width)]
    delim = draw(st.sampled_from(_DELIMS))
    rows = draw(st.lists(st.lists(_CELL, min_size=width, max_size=width), min_size=1, max_size=25))
    # a row whose cells are all blank is a blank line, not a record: keep one letter in it
    rows = [r if any(c.strip() for c in r) else ["x", *r[1:]] for r in rows]
    head = delim.join(names) + "\n"
    body = "".join(delim.join(r) + "\n" for r in rows)
    data = _damage(draw, (head + body).encode("utf-8"), len(head.encode("utf-8")))
    return names, delim, data


def _expected_records(data: bytes, delim: str) -> int:
    """Non-blank physical lines after the first (an independent count from the bytes)."""
    lines = re.split(rb"\r\n|\n|\r", data)[1:]
    return sum(1 for ln in lines if ln.replace(delim.encode(), b"").strip())


SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(damaged_files())
def test_reader_accounts_for_every_record(tmp_path, generated):
    names, delim, data = generated
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    raw = read_table(path, known_names=set(names))
    assert raw.n_records == len(raw.frame) + len(raw.unparseable)
    assert raw.n_records == _expected_records(data, delim)
    lines = [u.line for u in raw.unparseable]
    assert lines == sorted(set(lines))  # each unparseable line reported once
    assert all(u.reason for u in raw.unparseable)


PARTICIPANTS = ("participant_id", "area", "role", "phase", "interview_date")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(damaged_files(header=PARTICIPANTS))
def test_validation_counts_add_up(tmp_path, generated):
    _names, delim, data = generated
    path = tmp_path / "participants.csv"
    path.write_bytes(data)
    res = validate_extract(path, "participants", run_date="2025-01-01")
    assert res.n_input == res.n_valid + res.n_rejected + res.n_unparseable
    assert res.n_input == _expected_records(data, delim)
    assert len(res.valid) == res.n_valid and len(res.unparseable) == res.n_unparseable
