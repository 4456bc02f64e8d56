"""Guards on the transcribed published figures under ``data/published``.

The seed text is re-read and every transcribed value must occur on the line its locator
names (for Tables 1-5: in the cell of its row and column), so that a transcription error
fails a test instead of turning into a wrong "finding".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from socdata.paths import published_dir

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seeds" / "000_74b4e48e7b589187.txt"
COLUMNS = [
    "table_id",
    "source",
    "locator",
    "row_label",
    "column_label",
    "measure",
    "value",
    "denominator_as_printed",
    "note",
]
MEASURES = {"n", "pct", "mean", "min", "max", "fraction"}
FILES = [
    "soceis_june2023.csv",
    "aff_submission_2024.csv",
    "soceis_march2024.csv",
    "jay_review_2024.csv",
]
#: The Jay Review's executive summary is a second seed file; its locators name it.
SEED_SUMMARY = SEED.parent / "001_340543a184ce64de.txt"
REQUIRED_TABLES = {
    "table1",
    "table2",
    "table3",
    "table4_referral_source",
    "table4_case_status",
    "table4_closure_reason",
    "table5",
    "outcomes_5_1_closed",
    "outcomes_5_1_open",
}
WORDS = {
    1: ["one"],
    2: ["two"],
    3: ["three"],
    4: ["four"],
    5: ["five"],
    7: ["seven"],
    8: ["eight"],
    10: ["ten"],
    11: ["eleven"],
    12: ["twelve"],
    15: ["fifteen"],
    18: ["eighteen"],
    30: ["thirty"],
    77: ["seventy-seven"],
}
#: column order of each table as printed in the seed
TABLE_COLUMNS = {
    "table1": ["Cardiff", "Dundee", "Edinburgh", "Newcastle", "Overall"],
    "table2": ["Cardiff", "Dundee", "Edinburgh", "Newcastle", "Overall"],
    "table3": ["Cardiff", "Edinburgh", "Newcastle", "Dundee", "Overall"],
    "table4_referral_source": ["Cardiff", "Edinburgh", "Newcastle", "Dundee", "Overall"],
    "table4_case_status": ["Cardiff", "Edinburgh", "Newcastle", "Dundee", "Overall"],
    "table4_closure_reason": ["Cardiff", "Edinburgh", "Newcastle", "Dundee", "Overall"],
    "table5": ["Cardiff", "Edinburgh", "Newcastle", "Dundee", "Overall"],
}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(published_dir() / name, dtype=str, keep_default_na=False)


#: The seed lines that data/published cites, stored so the checks run without ../shared.
STORED = Path(__file__).with_name("seed_lines.json")
STORED_SUMMARY = Path(__file__).with_name("seed_lines_summary.json")


def _lines(stored_path: Path, seed_path: Path) -> dict[int, str]:
    stored = json.loads(stored_path.read_text(encoding="utf-8"))
    lines = {int(k) - 1: v for k, v in stored["lines"].items()}
    if seed_path.exists():
        seed = seed_path.read_text(encoding="utf-8").splitlines()
        assert {i: seed[i] for i in lines} == lines, f"re-create {stored_path.name} from the seed"
        return dict(enumerate(seed))
    return lines


@pytest.fixture(scope="module")
def seed_lines() -> dict[int, str]:
    """Seed lines by 0-based index: from the seed text when present, else the stored copy.

    With the seed present, the stored copy must equal it line for line (so it cannot drift);
    without it, the stored lines are used: the checks never skip.
    """
    return _lines(STORED, SEED)


@pytest.fixture(scope="module")
def summary_lines() -> dict[int, str]:
    """The same for the Jay Review executive summary (the second seed file)."""
    return _lines(STORED_SUMMARY, SEED_SUMMARY)


def _in_summary(locator: str) -> bool:
    return SEED_SUMMARY.name in locator


def test_every_cited_line_is_stored() -> None:
    stored = json.loads(STORED.read_text(encoding="utf-8"))["lines"]
    stored_summary = json.loads(STORED_SUMMARY.read_text(encoding="utf-8"))["lines"]
    cited = {942}
    cited_summary = set()
    for name in FILES:
        for loc in _read(name)["locator"]:
            (cited_summary if _in_summary(loc) else cited).add(_line_no(loc))
    assert {str(i) for i in cited} <= set(stored)
    assert {str(i) for i in cited_summary} <= set(stored_summary)


def _line_no(locator: str) -> int:
    m = re.search(r"line (\d+)", locator)
    assert m, f"locator without a line number: {locator!r}"
    return int(m.group(1))


def _occurs(value: str, measure: str, line: str) -> bool:
    low = line.lower().replace("’", "'")
    if measure == "fraction":
        norm = lambda s: re.sub(r"[\s\-]+", " ", s.lower())  # noqa: E731
        return norm(value) in norm(low)
    if value == "-":
        return re.search(r"(^|\s)-(\s|$)", line) is not None
    num = float(value)
    forms = {value}
    if num.is_integer():
        i = int(num)
        forms |= {str(i), f"{i:,}"}
        forms |= set(WORDS.get(i, []))
    for f in forms:
        if re.search(rf"(?<![\w.,]){re.escape(f.lower())}(?![\w]|[.,]\d)", low):
            return True
    return False


@pytest.mark.parametrize("name", FILES)
def test_schema_and_vocabulary(name: str) -> None:
    d = _read(name)
    assert list(d.columns) == COLUMNS
    assert set(d["measure"]) <= MEASURES
    assert (d["table_id"] != "").all() and (d["source"] != "").all()
    assert d["locator"].map(lambda s: re.search(r"line \d+", s) is not None).all()
    key = ["table_id", "row_label", "column_label", "measure"]
    assert not d.duplicated(key).any(), d[d.duplicated(key, keep=False)]
    assert d["source"].nunique() == 1
    numeric = d["measure"] != "fraction"
    vals = d.loc[numeric, "value"]
    bad = vals[pd.to_numeric(vals, errors="coerce").isna() & (vals != "-")]
    assert bad.empty, bad
    pct = pd.to_numeric(d.loc[d["measure"] == "pct", "value"], errors="coerce")
    assert ((pct >= 0) & (pct <= 101)).all()


def test_required_tables_present() -> None:
    d = _read("soceis_june2023.csv")
    assert REQUIRED_TABLES <= set(d["table_id"])
    aff = _read("aff_submission_2024.csv")
    assert {
        "aff_flintshire",
        "aff_cardiff_missing",
        "aff_cardiff_closed",
        "aff_cardiff_open",
    } <= set(aff["table_id"])
    assert "march2024_police" in set(_read("soceis_march2024.csv")["table_id"])


@pytest.mark.parametrize("name", FILES)
def test_values_occur_at_their_locator_line(
    name: str, seed_lines: dict[int, str], summary_lines: dict[int, str]
) -> None:
    d = _read(name)
    missing = []
    for row in d.itertuples(index=False):
        lines = summary_lines if _in_summary(row.locator) else seed_lines
        line = lines[_line_no(row.locator) - 1]
        if not _occurs(row.value, row.measure, line):
            missing.append((row.table_id, row.row_label, row.measure, row.value, row.locator))
    assert not missing, missing


def test_table_cells_sit_in_their_printed_column(seed_lines: dict[int, str]) -> None:
    d = _read("soceis_june2023.csv")
    checked = 0
    for row in d.itertuples(index=False):
        cols = TABLE_COLUMNS.get(row.table_id)
        if cols is None or row.row_label == "Intervention plans":
            continue
        cells = [c.strip() for c in seed_lines[_line_no(row.locator) - 1].split("\t")]
        assert cells[0].rstrip("*") == row.row_label, (row, cells[0])
        i = cols.index(row.column_label)
        if row.table_id in ("table1", "table2", "table3"):
            printed = cells[1 + i]
        else:
            printed = cells[1 + 2 * i + (row.measure == "pct")]
        assert printed.rstrip("%") == row.value, (row, printed)
        checked += 1
    assert checked == 25 + 25 + 20 + 90 + 50 + 40 + 180


def test_table5_header_n(seed_lines: dict[int, str]) -> None:
    d = _read("soceis_june2023.csv")
    base = d[(d.table_id == "table5") & (d.row_label == "Intervention plans")]
    header = seed_lines[942 - 1]
    for row in base.itertuples(index=False):
        assert f"{row.column_label} (n={row.value})" in header


def test_open_case_denominators_recorded_as_printed() -> None:
    d = _read("soceis_june2023.csv")
    op = d[(d.table_id == "outcomes_5_1_open") & (d.measure == "pct")]
    dens = dict(zip(op.row_label, op.denominator_as_printed, strict=True))
    assert dens["Reduction in exploitation"] == "16"  # printed "(10/16)"
    assert dens["Reduction in offending"] == "18"  # from "Of the 18 open cases"
