"""A corpus of damaged supplier files (tests/io/corpus/) with the expected outcome of each.

The files and ``expected.csv`` are written by ``tests/io/corpus/make_corpus.py``; the
expected exit code, counts and message fragment of each file were written there by hand
from the damage made.  Every file is validated through the command line exactly as a user
would, and the counts always add up: rows read = valid + rejected + unparseable.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from socdata.cli import main
from socdata.validate import validate_extract

CORPUS = Path(__file__).parent / "corpus"
with (CORPUS / "expected.csv").open(encoding="utf-8", newline="") as fh:
    CASES = list(csv.DictReader(fh))

RUN_DATE = "2025-01-01"


def test_corpus_is_large_and_complete():
    assert len(CASES) >= 40
    files = {p.name for p in CORPUS.iterdir()} - {"expected.csv", "make_corpus.py"}
    assert files == {c["file"] for c in CASES}
    assert {c["exit_code"] for c in CASES} == {"0", "1", "2"}


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_corpus_file(case, capsys):
    path = CORPUS / case["file"]
    before = path.read_bytes()
    code = main(["validate", case["kind"], str(path), "--run-date", RUN_DATE])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == int(case["exit_code"]), out + err
    assert case["message"] in out + err, out + err
    if code == 2:
        assert len(err.strip().splitlines()) == 1  # one plain line
    else:
        res = validate_extract(path, case["kind"], run_date=RUN_DATE)
        got = (res.n_input, res.n_valid, res.n_rejected, res.n_unparseable)
        assert got == tuple(
            int(case[k]) for k in ("n_input", "n_valid", "n_rejected", "n_unparseable")
        )
        assert res.n_input == res.n_valid + res.n_rejected + res.n_unparseable
        assert len(res.unparseable) == res.n_unparseable
    assert path.read_bytes() == before  # nothing written over an input
