"""``socdata audit`` on the command line: output, files written, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from socdata.cli import main
from socdata.paths import published_dir


def test_percentages_flintshire(capsys) -> None:
    code = main(["audit", "--percentages", "63,87,75,40,56", "--n", "15"])
    out = capsys.readouterr().out
    assert code == 1
    assert "INCONSISTENT (3)" in out and "9/15 = 60%" in out
    assert "n = 15 cannot give: 63, 75, 56" in out
    assert "reproduce all of 63, 87, 75, 40, 56: 52," in out


def test_percentages_that_hold(tmp_path, capsys) -> None:
    out_file = tmp_path / "f.csv"
    code = main(["audit", "--percentages", "60,67,87", "--n", "15", "--out", str(out_file)])
    assert code == 0
    f = pd.read_csv(out_file)
    assert {"printed", "verdict"} <= set(f.columns)
    assert (f["verdict"] == "ok").all()


def test_audit_file_writes_findings(tmp_path, capsys) -> None:
    out_file = tmp_path / "findings.csv"
    code = main(["audit", str(published_dir() / "soceis_june2023.csv"), "--out", str(out_file)])
    out = capsys.readouterr().out
    assert code == 1
    assert "INCONSISTENT" in out and "ROUNDING" in out
    f = pd.read_csv(out_file)
    assert {"printed", "verdict", "explanation", "locator"} <= set(f.columns)
    ok = f[(f.table_id == "table4_referral_source") & (f.row_label == "Children's Services")]
    assert (ok["verdict"] == "ok").all()


def test_consistent_file_exits_zero(tmp_path, capsys) -> None:
    p = tmp_path / "fine.csv"
    pd.DataFrame(
        {
            "table_id": ["t", "t", "t"],
            "source": ["s"] * 3,
            "locator": ["line 1"] * 3,
            "row_label": ["A", "A", "Cases"],
            "column_label": ["c"] * 3,
            "measure": ["n", "pct", "n"],
            "value": ["10", "63", "16"],
            "denominator_as_printed": ["", "16", ""],
            "note": ["", "", "{base}"],
        }
    ).to_csv(p, index=False)
    assert main(["audit", str(p)]) == 0
    assert main(["audit", str(p), "--rounding", "half_even"]) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "does-not-exist.csv"],
        ["audit", "--percentages", "63,x", "--n", "15"],
        ["audit", "--percentages", "63", "--n", "0"],
        ["audit"],
        ["audit", "--n", "15"],
        ["audit", "--percentages", "63", "--n-range", "5"],
    ],
)
def test_user_errors_exit_2_without_traceback(argv, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("socdata audit: error:") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_format_file(tmp_path, capsys) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("a,b\n1,2\n")
    assert main(["audit", str(p)]) == 2
    assert "missing column" in capsys.readouterr().err


def test_console_script_runs() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "socdata", "audit", "--percentages", "63", "--n", "16"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert "10/16 = 62.5%" in r.stdout


def test_out_never_overwrites_the_input_or_a_user_file(tmp_path, capsys) -> None:
    src = tmp_path / "published.csv"
    src.write_bytes((published_dir() / "soceis_june2023.csv").read_bytes())
    before = src.read_bytes()
    assert main(["audit", str(src), "--out", str(src)]) == 2
    assert "is an input of this run" in capsys.readouterr().err
    assert src.read_bytes() == before
    mine = tmp_path / "notes.csv"
    mine.write_text("my notes\n")
    assert main(["audit", "--percentages", "60,67", "--n", "15", "--out", str(mine)]) == 2
    assert mine.read_text() == "my notes\n"
    out = tmp_path / "f.csv"
    for _ in range(2):  # a previous findings file is replaced
        assert main(["audit", "--percentages", "60,67", "--n", "15", "--out", str(out)]) == 0
