"""`socdata validate` and `socdata synthesize`: exit codes, report file, no tracebacks."""

from __future__ import annotations

import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

from socdata.cli import main
from socdata.datasets import random_extract, to_csv
from socdata.paths import synthetic_dir

HEADER = "Participant ID,Area,Role,Phase,Interview date\n"


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_valid_file_exit_0(capsys):
    code, out, _ = _run(capsys, "validate", "plans", str(synthetic_dir() / "plans.csv"))
    assert code == 0 and "OK: all 40 rows valid" in out


def test_some_rows_fail_exit_1_and_report(tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "IP1,Cardiff,Parent,3,\nIP2,Cardiff,Parnet,9,\n")
    (tmp_path / "out").mkdir()
    report = tmp_path / "out" / "rejected.csv"
    code, out, _ = _run(capsys, "validate", "participants", str(path), "--report", str(report))
    assert code == 1 and "FAILED: 1 of 2 rows rejected" in out
    rep = pd.read_csv(report)
    assert list(rep.columns) == ["row", "column", "rule", "value", "message", "severity"]
    assert rep[["row", "column", "rule"]].values.tolist() == [
        [3, "role", "participants.R04"],
        [3, "phase", "participants.R05"],
    ]


def test_identifiers_masked_unless_asked(tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "SECRET1,Cardiff,Parent,3,\nSECRET1,Cardiff,Parent,3,\n")
    code, out, _ = _run(capsys, "validate", "participants", str(path))
    assert code == 1 and "SECRET1" not in out and "***" in out
    code, out, _ = _run(capsys, "validate", "participants", str(path), "--show-identifiers")
    assert "SECRET1" in out


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "no such file"),
        ("", "the file is empty"),
        (HEADER, "header but no data rows"),
        ("x,y\n1,2\n", "no header row found"),
    ],
)
def test_unreadable_exit_2(tmp_path, capsys, content, match):
    path = tmp_path / "p.csv"
    if content is not None:
        path.write_text(content)
    code, _out, err = _run(capsys, "validate", "participants", str(path))
    assert code == 2 and match in err
    assert len(err.strip().splitlines()) == 1


def test_no_such_sheet_exit_2(tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active.append(["Participant ID", "Area", "Role", "Phase"])
    wb.active.append(["IP1", "Cardiff", "Parents", 1])
    path = tmp_path / "x.xlsx"
    wb.save(path)
    code, _out, err = _run(capsys, "validate", "participants", str(path), "--sheet", "Other")
    assert code == 2 and "no sheet named 'Other'" in err
    code, _out, _ = _run(capsys, "validate", "participants", str(path))
    assert code == 0


def test_unknown_kind_and_misuse_exit_2(capsys):
    code, _, err = _run(capsys, "validate", "servic", "x.csv")
    assert code == 2 and "unknown extract kind 'servic'" in err
    code, _, err = _run(capsys, "validate", "service")
    assert code == 2 and "give KIND and PATH" in err


def test_strict_fails_on_warnings(tmp_path, capsys):
    df = random_extract("service", n=10, seed=1)
    df.loc[0, "date_of_birth"] = pd.NaT
    df.loc[0, "age_at_referral"] = 20
    path = to_csv(df, tmp_path / "s.csv", "service")
    code, out, _ = _run(capsys, "validate", "service", str(path))
    assert code == 0 and "[warning]" in out
    code, out, _ = _run(capsys, "validate", "service", str(path), "--strict")
    assert code == 1 and "FAILED (--strict): 1 warnings" in out


def test_bundled(capsys):
    code, out, _ = _run(capsys, "validate", "--bundled")
    assert code == 0
    from socdata.datasets import BUNDLED_KINDS

    assert len([ln for ln in out.splitlines() if " OK " in ln]) == len(BUNDLED_KINDS) + 1
    assert "links            OK     0 problems" in out


def test_synthesize_to_folder(tmp_path, capsys):
    code, _out, _ = _run(capsys, "synthesize", "--out", str(tmp_path), "--seed", "3")
    assert code == 0 and (tmp_path / "manifest.json").exists()
    code, _out, _ = _run(capsys, "validate", "police_missing", str(tmp_path / "police_missing.csv"))
    assert code == 0


def test_console_script_exit_code(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "IP1,Cardiff,Parnet,3,\n")
    proc = subprocess.run(
        [sys.executable, "-m", "socdata", "validate", "participants", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "socdata",
            "validate",
            "participants",
            str(tmp_path / "missing.csv"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
