"""Write the corpus of damaged supplier files and the table of their expected outcomes.

Run from the repository root (the files are committed; rerun only to change the corpus)::

    python tests/io/corpus/make_corpus.py

Every file starts from the first rows of a bundled synthetic extract and gets one kind of
damage that suppliers' files really show.  The expected outcome of each (exit code of
``socdata validate``, counts, a fragment of the message) is written here by hand from the
damage made, not computed by socdata: ``tests/io/test_corpus.py`` checks socdata against it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
SYN = ROOT / "data" / "synthetic"

#: Columns of expected.csv.
COLUMNS = (
    "file",
    "kind",
    "exit_code",
    "n_input",
    "n_valid",
    "n_rejected",
    "n_unparseable",
    "message",
    "damage",
)


def _rows(kind: str, n: int) -> list[str]:
    lines = (SYN / f"{kind}.csv").read_text(encoding="utf-8").splitlines()
    return lines[: n + 1]


P = _rows("participants", 8)  # header + 8 rows, 5 columns, all valid
M = _rows("police_missing", 6)  # header + 6 rows
S = _rows("service", 5)  # header + 5 rows

CASES: list[dict] = []


def case(name, kind, data, exit_code, counts, message, damage):
    """Register one file: ``counts`` = (n_input, n_valid, n_rejected, n_unparseable)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    (HERE / name).write_bytes(data)
    n_in, n_ok, n_rej, n_bad = counts if counts else ("", "", "", "")
    CASES.append(
        dict(
            file=name,
            kind=kind,
            exit_code=exit_code,
            n_input=n_in,
            n_valid=n_ok,
            n_rejected=n_rej,
            n_unparseable=n_bad,
            message=message,
            damage=damage,
        )
    )


def lines(rows: list[str], end: str = "\n") -> str:
    return end.join(rows) + end


def with_row(rows: list[str], i: int, new: str) -> list[str]:
    out = list(rows)
    out[i] = new
    return out


def cell(rows: list[str], i: int, j: int, value: str) -> list[str]:
    cells = rows[i].split(",")
    cells[j] = value
    return with_row(rows, i, ",".join(cells))


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table(rows: list[str]) -> list[list]:
    return [list(next(csv.reader([r]))) for r in rows]


def build() -> None:
    for old in HERE.glob("*"):
        if old.name not in {"make_corpus.py", "README.md"} and old.is_file():
            old.unlink()
    ok8 = (8, 8, 0, 0)
    # ---------------------------------------------------------------- good files, many forms
    case("p_clean.csv", "participants", lines(P), 0, ok8, "OK: all 8 rows valid", "none")
    case("p_crlf.csv", "participants", lines(P, "\r\n"), 0, ok8, "OK: all 8", "CRLF line ends")
    case("p_cr_only.csv", "participants", lines(P, "\r"), 0, ok8, "OK: all 8", "old Mac CR ends")
    mixed = "".join(r + ("\r\n" if i % 2 else "\n") for i, r in enumerate(P))
    case("p_mixed_line_ends.csv", "participants", mixed, 0, ok8, "OK: all 8", "LF and CRLF")
    case(
        "p_utf8_bom.csv",
        "participants",
        b"\xef\xbb\xbf" + lines(P).encode(),
        0,
        ok8,
        "OK: all 8",
        "UTF-8 byte-order mark",
    )
    case(
        "p_utf16_bom.csv",
        "participants",
        lines(P).encode("utf-16"),
        0,
        ok8,
        "OK: all 8",
        "UTF-16 with BOM (Excel Unicode text)",
    )
    case(
        "p_utf16le_no_bom.csv",
        "participants",
        lines(P).encode("utf-16-le"),
        0,
        ok8,
        "OK: all 8",
        "UTF-16 without BOM",
    )
    case(
        "p_semicolon.csv",
        "participants",
        lines([r.replace(",", ";") for r in P]),
        0,
        ok8,
        "OK: all 8",
        "semicolon delimited",
    )
    case(
        "p_tab.tsv",
        "participants",
        lines([r.replace(",", "\t") for r in P]),
        0,
        ok8,
        "OK: all 8",
        "tab delimited",
    )
    case(
        "p_trailing_delimiters.csv",
        "participants",
        lines([r + ",," for r in P]),
        0,
        ok8,
        "OK: all 8",
        "two empty columns at the end of every line",
    )
    case(
        "p_blank_lines.csv",
        "participants",
        lines([*P[:4], "", ",,,,", *P[4:]]),
        0,
        ok8,
        "blank rows skipped: 2",
        "blank lines between rows",
    )
    case(
        "p_title_rows.csv",
        "participants",
        lines(["SOCEIS interviews,,,,", "Exported 2023-06-01,,,,", "", *P]),
        0,
        ok8,
        "OK: all 8",
        "title block above the header",
    )
    case(
        "p_quoted_multiline_cell.csv",
        "participants",
        lines(
            with_row(
                P,
                3,
                P[3].replace(",Managers,", ',"Managers",').replace("Newcastle", '"New\ncastle"'),
            )
        ),
        0,
        ok8,
        "OK: all 8",
        "a quoted cell spanning two lines (legal CSV)",
    )
    cp = lines(P).replace("Managers", "Managers’").encode("cp1252")
    case(
        "p_cp1252_file.csv",
        "participants",
        cp,
        1,
        (8, 5, 3, 0),
        "'Managers’' is not an allowed",
        "a whole Windows-1252 file (decoded, the curly apostrophe kept)",
    )
    # ---------------------------------------------------------------- unparseable lines
    case(
        "p_unclosed_quote.csv",
        "participants",
        lines(with_row(P, 4, P[4].replace(",", ',"', 1))),
        1,
        (8, 7, 0, 1),
        "line 5 is not a readable record: a quote opened on this line is never closed",
        "one unclosed quote in the middle",
    )
    case(
        "p_unclosed_quote_last.csv",
        "participants",
        lines(with_row(P, 8, P[8].replace(",", ',"', 1))),
        1,
        (8, 7, 0, 1),
        "never closed",
        "unclosed quote on the last line",
    )
    case(
        "p_quote_closing_later.csv",
        "participants",
        lines(
            with_row(
                with_row(P, 2, P[2].replace(",Edinburgh,", ',"Edinburgh,')),
                6,
                P[6].replace(",Cardiff,", ',Cardiff",'),
            )
        ),
        1,
        (8, 7, 0, 1),
        "closes only on line 7, so the lines between would be read into one cell",
        "an unclosed quote that a later stray quote closes (wrong width)",
    )
    case(
        "p_quote_swallows_one_line.csv",
        "participants",
        lines(
            with_row(
                with_row(P, 2, P[2].replace(",Edinburgh,", ',"Edinburgh,')),
                3,
                P[3].replace(",Newcastle,", ',Newcastle",'),
            )
        ),
        1,
        (8, 7, 0, 1),
        "closes only on line 4",
        "a stray quote closing the next line into a record of the right width",
    )
    case(
        "p_stray_quote.csv",
        "participants",
        lines(with_row(P, 3, P[3].replace("Newcastle", '"New"castle'))),
        1,
        (8, 7, 0, 1),
        "text follows a closing quote",
        "text after a closing quote",
    )
    case(
        "p_ragged_long.csv",
        "participants",
        lines(with_row(P, 2, P[2].replace("Edinburgh", "Edinburgh,Leith"))),
        1,
        (8, 7, 0, 1),
        "a delimiter inside an unquoted value",
        "an unquoted comma inside a value",
    )
    case(
        "p_ragged_short.csv",
        "participants",
        lines(with_row(P, 5, ",".join(P[5].split(",")[:3]))),
        1,
        (8, 7, 0, 1),
        "has 3 fields where the header has 5",
        "a line with fields missing",
    )
    case(
        "p_truncated.csv",
        "participants",
        lines(P)[:-12],
        1,
        (8, 7, 0, 1),
        "the file looks truncated",
        "the export stopped in the middle of the last line",
    )
    case(
        "p_truncated_in_quote.csv",
        "participants",
        lines(P[:8]) + ",".join(P[8].split(",")[:2]) + ',"Mana',
        1,
        (8, 7, 0, 1),
        "never closed",
        "the export stopped inside a quoted cell",
    )
    case(
        "p_embedded_nul.csv",
        "participants",
        lines(cell(P, 6, 2, "Prac\x00titioners")),
        1,
        (8, 7, 0, 1),
        "NUL",
        "one NUL character in a line",
    )
    stray = lines(P).replace("Cardiff", "Ynys Môn").encode("utf-8")
    cut = stray.index(b"\n", stray.index(b"SYN-INT-004"))
    case(
        "p_utf8_with_cp1252_byte.csv",
        "participants",
        stray[:cut] + b"\x92" + stray[cut:],
        1,
        (8, 7, 0, 1),
        "bytes 0x92 cannot be decoded",
        "one Windows-1252 byte in a UTF-8 file (must not become mojibake)",
    )
    undefined = lines(P).replace("Cardiff", "Caf\xe9").encode("cp1252")
    cut = undefined.index(b"\n", undefined.index(b"SYN-INT-002"))
    case(
        "p_cp1252_undefined_byte.csv",
        "participants",
        undefined[:cut] + b"\x81" + undefined[cut:],
        1,
        (8, 7, 0, 1),
        "0x81",
        "a byte Windows-1252 does not define",
    )
    many = [r if i % 2 else r.replace(",", ',"', 1) for i, r in enumerate(P)]
    many[0] = P[0]
    case(
        "p_many_unclosed_quotes.csv",
        "participants",
        lines(many),
        1,
        (8, 4, 0, 4),
        "never closed",
        "every other line with an unclosed quote",
    )
    # ---------------------------------------------------------------- rows rejected
    case(
        "p_missing_column.csv",
        "participants",
        lines([",".join(r.split(",")[:3] + r.split(",")[4:]) for r in P]),
        1,
        (8, 0, 8, 0),
        "required column phase is missing",
        "a required column left out",
    )
    case(
        "p_formula_cells.csv",
        "participants",
        lines(cell(cell(P, 2, 2, '"=HYPERLINK(""http://x"",""y"")"'), 4, 2, "@SUM(1+9)")),
        1,
        (8, 6, 2, 0),
        "is not an allowed value",
        "formulas in cells",
    )
    case(
        "p_escape_sequence.csv",
        "participants",
        lines(cell(P, 3, 2, "Man\x1b[2Jagers")),
        1,
        (8, 7, 1, 0),
        "\\x1b[2J",
        "a terminal escape sequence in a cell",
    )
    case(
        "p_us_dates.csv",
        "participants",
        lines(cell(cell(P, 1, 4, "07/29/2021"), 2, 4, "09/12/2021")),
        1,
        (8, 7, 1, 0),
        "look month-first (US format)",
        "dates written month first",
    )
    case(
        "p_two_digit_year.csv",
        "participants",
        lines(cell(P, 5, 4, "01/11/21")),
        1,
        (8, 7, 1, 0),
        "two-digit year",
        "a two-digit year",
    )
    case(
        "p_impossible_date.csv",
        "participants",
        lines(cell(P, 6, 4, "31/02/2021")),
        1,
        (8, 7, 1, 0),
        "does not exist in the calendar",
        "31 February",
    )
    case(
        "p_future_interview.csv",
        "participants",
        lines(cell(P, 7, 4, "2037-01-15")),
        1,
        (8, 7, 1, 0),
        "participants.R08",
        "an interview dated 2037",
    )
    case(
        "m_hour_25.csv",
        "police_missing",
        lines(cell(M, 2, 2, "26/02/2020 25:61")),
        1,
        (6, 5, 1, 0),
        "hour 25 is outside 0-23; minute 61 is outside 0-59",
        "25:61 must not roll over into the next day",
    )
    case(
        "m_minute_99.csv",
        "police_missing",
        lines(cell(M, 3, 2, "2020-02-26 23:99")),
        1,
        (6, 5, 1, 0),
        "minute 99 is outside 0-59",
        "minute 99",
    )
    case(
        "m_hour_99.csv",
        "police_missing",
        lines(cell(M, 4, 3, "2020-02-26 99:00")),
        1,
        (6, 5, 1, 0),
        "hour 99 is outside 0-23",
        "hour 99",
    )
    case(
        "m_second_75.csv",
        "police_missing",
        lines(cell(M, 5, 3, "2020-02-26 10:00:75")),
        1,
        (6, 5, 1, 0),
        "second 75 is outside 0-59",
        "second 75",
    )
    case(
        "s_extract_2037.csv",
        "service",
        lines([S[0]] + [cell(S, i, 26, "2037-10-31")[i] for i in range(1, 6)]),
        1,
        (5, 0, 5, 0),
        "service.R21",
        "a whole extract dated 15 years ahead",
    )
    case(
        "s_referral_1920.csv",
        "service",
        lines(cell(S, 2, 10, "1920-06-03")),
        1,
        (5, 4, 1, 0),
        "is more than 15 years before extract_date",
        "a referral in 1920 (typo for 2020)",
    )
    # ---------------------------------------------------------------- unusable files (exit 2)
    case("p_empty.csv", "participants", b"", 2, None, "the file is empty", "an empty file")
    case(
        "p_whitespace_only.csv",
        "participants",
        "\n \n\n",
        2,
        None,
        "the file is empty",
        "blank lines only",
    )
    case(
        "p_header_only.csv",
        "participants",
        lines(P[:1]),
        2,
        None,
        "header but no data rows",
        "a header and no data",
    )
    case(
        "p_wrong_kind.csv",
        "participants",
        lines(M),
        2,
        None,
        "no header row found",
        "another kind's extract",
    )
    case(
        "p_duplicate_columns.csv",
        "participants",
        lines([r + "," + r.split(",")[0] for r in with_row(P, 0, P[0] + ",Participant ID")]),
        2,
        None,
        "both map to 'participant_id'",
        "two columns naming the same canonical column",
    )
    case(
        "p_png.csv",
        "participants",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40,
        2,
        None,
        "not a text table",
        "an image saved as .csv",
    )
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("x.txt", "x")
    case(
        "p_xlsx_named_csv.csv",
        "participants",
        zbuf.getvalue(),
        2,
        None,
        "rename it to .xlsx",
        "a workbook renamed .csv",
    )
    book = xlsx({"Notes": [["Interviews of the evaluation"]], "Interviews": table(P)})
    case(
        "p_second_sheet.xlsx",
        "participants",
        book,
        2,
        None,
        "sheet 'Interviews' has the columns: pass --sheet 'Interviews'",
        "data on the second sheet",
    )
    case(
        "p_truncated.xlsx",
        "participants",
        xlsx({"Data": table(P)})[:600],
        2,
        None,
        "not a readable Excel workbook",
        "a workbook cut short",
    )
    case(
        "p_old.xls",
        "participants",
        b"\xd0\xcf\x11\xe0" + b"\x00" * 60,
        2,
        None,
        "old-style .xls",
        "an old .xls workbook",
    )
    case(
        "p_good.xlsx",
        "participants",
        xlsx({"Data": table(P)}),
        0,
        ok8,
        "OK: all 8",
        "a good workbook (dates as text)",
    )
    with (HERE / "expected.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(CASES)


if __name__ == "__main__":
    build()
    print(f"{len(CASES)} files written to {HERE}")
