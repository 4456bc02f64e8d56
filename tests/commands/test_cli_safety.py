"""The cases of issue 10 through the command line: exit codes, plain messages, nothing lost."""

from __future__ import annotations

import tempfile

import openpyxl
import pandas as pd
import pytest

from socdata.cli import EXIT_CODES, main
from socdata.datasets import random_extract, to_csv
from socdata.paths import synthetic_dir

HEADER = "Participant ID,Area,Role,Phase,Interview date\n"


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def extract(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "IP1,Cardiff,Parent,3,\nIP2,Cardiff,Parnet,9,\n")
    return path


def test_exit_code_table_is_the_documented_one():
    assert set(EXIT_CODES) == {0, 1, 2, 130}


def test_report_never_overwrites_the_extract(capsys, extract):
    before = extract.read_bytes()
    code, _, err = _run(capsys, "validate", "participants", str(extract), "--report", str(extract))
    assert code == 2 and "is an input of this run" in err
    assert extract.read_bytes() == before


@pytest.mark.parametrize(
    ("target", "match"),
    [
        (lambda t: t, "is a folder"),
        (lambda t: t / "missing" / "r.csv", "does not exist"),
    ],
)
def test_report_path_problems_exit_2(capsys, extract, tmp_path, target, match):
    code, _, err = _run(
        capsys, "validate", "participants", str(extract), "--report", str(target(tmp_path))
    )
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1


def test_report_replaces_only_a_previous_report(capsys, extract, tmp_path):
    mine = tmp_path / "notes.csv"
    mine.write_text("my,own\nfile,here\n")
    code, _, err = _run(capsys, "validate", "participants", str(extract), "--report", str(mine))
    assert code == 2 and "was not written by socdata" in err
    assert mine.read_text() == "my,own\nfile,here\n"
    report = tmp_path / "rejected.csv"
    for _ in range(2):  # the second run replaces the report the first one wrote
        code, out, _ = _run(
            capsys, "validate", "participants", str(extract), "--report", str(report)
        )
        assert code == 1 and "problems written to" in out


def test_read_only_folder_exit_2(capsys, extract, tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    code, _, err = _run(
        capsys, "validate", "participants", str(extract), "--report", str(tmp_path / "r.csv")
    )
    assert code == 2 and "cannot write in" in err and "Permission denied" in err


def test_formulas_in_a_supplier_file_are_neutralised_in_the_report(capsys, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        HEADER
        + 'IP1,Cardiff,"=HYPERLINK(""http://x"",""y"")",3,\n'
        + "IP2,Cardiff,+cmd|' /C calc'!A0,3,\nIP3,Cardiff,@SUM(1+9),3,\n"
    )
    report = tmp_path / "r.csv"
    code, _out, _ = _run(capsys, "validate", "participants", str(path), "--report", str(report))
    assert code == 1
    values = pd.read_csv(report, dtype=str)["value"].tolist()
    assert values == ['\'=HYPERLINK("http://x","y")', "'+cmd|' /C calc'!A0", "'@SUM(1+9)"]
    assert all(not m.startswith(("=", "+", "@")) for m in pd.read_csv(report)["message"])


def test_terminal_escape_sequences_are_not_echoed_raw(capsys, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "IP1,Cardiff,Par\x1b[2Jent,3,\n")
    code, out, _ = _run(capsys, "validate", "participants", str(path))
    assert code == 1 and "\x1b" not in out and "Par\\x1b[2Jent" in out


def test_unclosed_quote_loses_no_row(capsys, tmp_path):
    lines = (synthetic_dir() / "service.csv").read_text(encoding="utf-8").splitlines()
    lines[101] = lines[101].replace(",", ',"', 1)  # row 102 of the file
    path = tmp_path / "service.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = _run(capsys, "validate", "service", str(path), "--run-date", "2024-06-30")
    assert code == 1
    assert "rows read: 223; valid: 222; rejected: 0; unparseable: 1" in out
    assert "line 102 is not a readable record" in out
    assert "FAILED: 1 of 223 rows rejected (1 of them unparseable" in out


def test_one_stray_byte_does_not_switch_the_encoding(tmp_path):
    from socdata.validate import validate_extract

    text = (synthetic_dir() / "service.csv").read_text(encoding="utf-8")
    data = text.replace("Cardiff", "Ynys Môn", 5).encode("utf-8")
    cut = data.index(b"\n", 5000)
    path = tmp_path / "service.csv"
    path.write_bytes(data[:cut] + b"\x92" + data[cut:])
    res = validate_extract(path, "service", run_date="2024-06-30")
    assert (res.n_input, res.n_valid, res.n_unparseable) == (223, 222, 1)
    assert set(res.valid["area"]) >= {"Ynys Môn"} and not res.valid["area"].str.contains("Ã").any()
    assert any("0x92" in n for n in res.notes)


@pytest.mark.parametrize(
    "value", ["26/02/2020 25:61", "26/02/2020 23:99", "2020-02-26 99:00", "2020-02-26 10:00:75"]
)
def test_impossible_times_are_rejected_with_the_component(capsys, tmp_path, value):
    df = random_extract("police_missing", n=3, seed=1)
    path = to_csv(df, tmp_path / "m.csv", "police_missing")
    lines = path.read_text().splitlines()
    cells = lines[2].split(",")
    cells[2] = value
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    report = tmp_path / "r.csv"
    code, _out, _ = _run(capsys, "validate", "police_missing", str(path), "--report", str(report))
    assert code == 1
    rep = pd.read_csv(report, dtype=str)
    row = rep[rep["rule"] == "police_missing.R03"]
    assert row[["row", "column", "value"]].values.tolist() == [["3", "reported_datetime", value]]
    assert "is outside" in row["message"].iat[0] and "nothing rolls over" in row["message"].iat[0]


def test_extract_dated_2037_is_rejected(capsys, tmp_path):
    df = random_extract("service", n=5, seed=2)
    df["extract_date"] = pd.Timestamp("2037-03-31")
    path = to_csv(df, tmp_path / "s.csv", "service")
    code, out, _ = _run(capsys, "validate", "service", str(path), "--run-date", "2024-06-30")
    assert code == 1 and "service.R21" in out and "is after the run date 2024-06-30" in out


def test_column_map_option(capsys, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Interviewee,Area,Role,Phase,When\nIP1,Cardiff,Parent,3,01/02/2021\n")
    code, out, _ = _run(capsys, "validate", "participants", str(path))
    assert code == 1
    # one message per missing column, not one per row
    assert out.count("required column participant_id is missing") == 1
    assert "--column-map" in out
    cmap = tmp_path / "map.yaml"
    cmap.write_text("Interviewee: participant_id\nWhen: interview_date\n")
    code, out, _ = _run(capsys, "validate", "participants", str(path), "--column-map", str(cmap))
    assert code == 0, out
    csv_map = tmp_path / "map.csv"
    csv_map.write_text("kind,supplier,canonical\nparticipants,Interviewee,participant_id\n")
    code, _, _ = _run(capsys, "validate", "participants", str(path), "--column-map", str(csv_map))
    assert code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("Interviewee: participant_ident\n")
    code, _, err = _run(capsys, "validate", "participants", str(path), "--column-map", str(bad))
    assert code == 2 and "participant_ident" in err
    code, _, err = _run(
        capsys, "validate", "participants", str(path), "--column-map", str(tmp_path / "no.yaml")
    )
    assert code == 2 and "no such file" in err


def test_data_on_a_second_sheet_names_the_sheet(capsys, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["This workbook holds the interviews"])
    ws = wb.create_sheet("Interviews")
    ws.append(["Participant ID", "Area", "Role", "Phase"])
    ws.append(["IP1", "Cardiff", "Parent", 1])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    code, _, err = _run(capsys, "validate", "participants", str(path))
    assert code == 2
    assert "of sheet 'Notes'" in err and "sheet 'Interviews' has the columns" in err
    assert "--sheet 'Interviews'" in err
    code, _, _ = _run(capsys, "validate", "participants", str(path), "--sheet", "Interviews")
    assert code == 0


def test_month_first_hint(capsys, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "IP1,Cardiff,Parent,3,06/13/2021\nIP2,Cardiff,Parent,3,03/04/2021\n")
    code, out, _ = _run(capsys, "validate", "participants", str(path))
    assert code == 1 and "look month-first (US format)" in out


def test_debug_shows_the_traceback(extract):
    with pytest.raises(Exception, match="is an input of this run"):
        main(["--debug", "validate", "participants", str(extract), "--report", str(extract)])
    with pytest.raises(Exception, match="is an input of this run"):
        main(["validate", "participants", str(extract), "--report", str(extract), "--debug"])


# ----------------------------------------------------------------- reproduce (no notebook runs)


def test_reproduce_out_naming_an_existing_file(capsys, tmp_path):
    f = tmp_path / "report.txt"
    f.write_text("mine")
    code, _, err = _run(capsys, "reproduce", "--out", str(f), "--quiet")
    assert code == 2 and "is an existing file, not a folder" in err and f.read_text() == "mine"


def test_reproduce_fails_fast_on_empty_or_wrong_data(capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out"
    code, _, err = _run(capsys, "reproduce", "--data", str(empty), "--out", str(out), "--quiet")
    assert code == 2 and "holds no extract" in err
    assert not out.exists()  # stopped before writing anything


def test_reproduce_refuses_the_data_folder_and_foreign_folders(capsys, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "plans.csv").write_bytes((synthetic_dir() / "plans.csv").read_bytes())
    code, _, err = _run(capsys, "reproduce", "--data", str(data), "--out", str(data), "--quiet")
    assert code == 2 and "never writes into its data folder" in err
    out = tmp_path / "out"
    (out / "notebooks").mkdir(parents=True)
    (out / "notebooks" / "analysis.ipynb").write_text("{}")
    code, _, err = _run(capsys, "reproduce", "--data", str(data), "--out", str(out), "--quiet")
    assert code == 2 and "notebooks/analysis.ipynb" in err and "--overwrite" in err
    assert (out / "notebooks" / "analysis.ipynb").read_text() == "{}"
    assert sorted(p.name for p in data.iterdir()) == ["plans.csv"]


def test_reproduce_column_map_kinds_checked(capsys, tmp_path):
    cmap = tmp_path / "m.yaml"
    cmap.write_text("servic:\n  Ref Date: referral_date\n")
    code, _, err = _run(
        capsys, "reproduce", "--out", str(tmp_path / "o"), "--column-map", str(cmap), "--quiet"
    )
    assert code == 2 and "'servic' is not an extract kind" in err
