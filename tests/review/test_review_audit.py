"""The audit of the transcribed seed documents flags exactly the figures that cannot hold."""

from __future__ import annotations

import dataclasses
import pickle

import pandas as pd
import pytest

from socdata.paths import published_dir
from socdata.results import TIDY_COLUMNS
from socdata.review import (
    FINDING_COLUMNS,
    VERDICTS,
    AuditResult,
    PublishedFiguresError,
    audit,
    audit_bundled,
    read_published,
)

# Every figure that cannot hold, worked by hand (see docs/findings/):
#   (file, table_id, row_label, column_label, measure, check)
EXPECTED_INCONSISTENT = {
    # Flintshire: 15 children, yet 63%, 75%, 56%, 94%, 57%, 17%, 62% are no k/15
    ("aff_submission_2024.csv", "aff_missing_intro", "Missing episodes", "Flintshire", "pct", "granularity"),
    *{
        ("aff_submission_2024.csv", "aff_flintshire", lab, "Flintshire", "pct", "granularity")
        for lab in [
            "Missing episodes",
            "Poor engagement with services",
            "Witnessed domestic violence",
            "Carry weapons",
            "Found in possession of unexplained money or drugs",
            "Not in education, employment or training (NEET)",
            "Registered in mainstream school",
            "Parent in prison",
        ]
    },
    ("aff_submission_2024.csv", "aff_flintshire", "Current cohort", "Flintshire", "n", "common_denominator"),
    # AfC restatement of 5.1: "Two-thirds" for 19/30; 82% and 63% cannot be shares of 18
    ("aff_submission_2024.csv", "aff_cardiff_closed", "Improved relationships with family", "Cardiff", "fraction", "fraction_word"),
    ("aff_submission_2024.csv", "aff_cardiff_open", "Open cases", "Cardiff", "n", "common_denominator"),
    ("aff_submission_2024.csv", "aff_cardiff_open", "Reduction in offending", "Cardiff", "pct", "granularity"),
    ("aff_submission_2024.csv", "aff_cardiff_open", "Developed decision-making about risk", "Cardiff", "pct", "granularity"),
    ("aff_submission_2024.csv", "aff_cardiff_open", "Improved relationships with family", "Cardiff", "pct", "granularity"),
    # June 2023: "14.5 of whom" is printed as a count of victims
    ("soceis_june2023.csv", "text_1_background", "Flagged as potential victims of county lines exploitation", "Overall", "n", "whole_count"),
    # June 2023: reasons add to 223, not 222
    ("soceis_june2023.csv", "text_3_2_referral_reason", "Young people with referral reason data", "Overall", "n", "sum"),
    # Table 3: 66% male is no share of Dundee's 10
    ("soceis_june2023.csv", "table3", "Male", "Dundee", "pct", "granularity"),
    # Table 4: overall Open/Closed % use base 210 in a column of 223; they add to 106
    ("soceis_june2023.csv", "table4_case_status", "Open", "Overall", "pct", "percentage"),
    ("soceis_june2023.csv", "table4_case_status", "Closed", "Overall", "pct", "percentage"),
    ("soceis_june2023.csv", "table4_case_status", "Open", "Overall", "pct", "percent_total"),
    # 5.1: 30 engaged closed cases, but Table 4 has 57 closed of which 31 declined
    ("soceis_june2023.csv", "outcomes_5_1_closed", "Closed cases where the young person engaged", "Cardiff", "n", "bound"),
    ("soceis_june2023.csv", "outcomes_5_1_closed", "Improved relationships with family", "Cardiff", "fraction", "fraction_word"),
    # 5.1 open: printed base 18, counts/percentages imply 16; 82% (13) fits no n
    ("soceis_june2023.csv", "outcomes_5_1_open", "Reduction in offending", "Cardiff", "pct", "percentage"),
    ("soceis_june2023.csv", "outcomes_5_1_open", "Developed decision-making about risk", "Cardiff", "pct", "percentage"),
    ("soceis_june2023.csv", "outcomes_5_1_open", "Improved engagement with education, employment or training", "Cardiff", "pct", "percentage"),
    ("soceis_june2023.csv", "outcomes_5_1_open", "Improved engagement with education, employment or training", "Cardiff", "fraction", "fraction_word"),
    ("soceis_june2023.csv", "outcomes_5_1_open", "Improved relationships with family", "Cardiff", "pct", "percentage"),
    # Jay Review: NRM referrals by nation add to 7,421, not the 7,432 printed as their total
    ("jay_review_2024.csv", "jay_nrm_by_nation", "Total", "2023", "n", "sum"),
}  # fmt: skip
# Across documents: 223 engaged (June 2023) vs 248 (March 2024, AfC) for the same period
CROSS_DOCUMENT = ("duplicate", "engaged_jul2020_jan2023")


@pytest.fixture(scope="module")
def bundled() -> AuditResult:
    return audit_bundled()


def _keys(f: pd.DataFrame) -> set[tuple[str, ...]]:
    return set(
        f[["file", "table_id", "row_label", "column_label", "measure", "check"]].itertuples(
            index=False, name=None
        )
    )


def test_findings_schema(bundled: AuditResult) -> None:
    f = bundled.findings
    assert list(f.columns) == list(FINDING_COLUMNS)
    assert set(f["verdict"]) <= set(VERDICTS)
    assert f["id"].is_unique
    assert (f["explanation"].str.len() > 0).all()


def test_every_published_figure_is_covered(bundled: AuditResult) -> None:
    frame = read_published(published_dir())
    prov = bundled.provenance
    assert prov.n_in == len(frame)
    step = prov.flow.steps[0]
    n_none = int((bundled.findings["check"] == "none").sum())
    # every figure not touched by a check gets exactly one 'cannot check' row
    assert step.n_in - step.n_out == n_none
    assert (
        bundled.findings.loc[bundled.findings["check"] == "none", "verdict"] == "cannot check"
    ).all()
    # each anchored figure is a real row of the input
    keys = set(
        frame[["file", "table_id", "row_label", "column_label", "measure"]].itertuples(
            index=False, name=None
        )
    )
    anchored = set(
        bundled.findings[["file", "table_id", "row_label", "column_label", "measure"]].itertuples(
            index=False, name=None
        )
    )
    assert anchored <= keys


def test_flags_exactly_the_figures_that_cannot_hold(bundled: AuditResult) -> None:
    f = bundled.findings
    bad = f[f["verdict"] == "inconsistent"]
    dup = bad[bad["check"] == "duplicate"]
    # two figures printed twice with different values: 223 vs 248 young people (June 2023
    # report vs March 2024 summary) and the County Lines Programme arrests in the Jay
    # Review (15,623 in the text, 5,623 in the summary's infographic)
    assert len(dup) == 2
    soceis = dup[dup["explanation"].str.contains(CROSS_DOCUMENT[1])]
    assert len(soceis) == 1
    assert "223" in soceis["printed"].item() and "248" in soceis["printed"].item()
    jay = dup[dup["id"].astype(str).str.startswith("jay_review_2024")]
    assert len(jay) == 1 and "15,623" in jay["note"].item() + jay["printed"].item()
    got = _keys(bad[bad["check"] != "duplicate"])
    assert got == EXPECTED_INCONSISTENT, (
        f"unexpected: {sorted(got - EXPECTED_INCONSISTENT)}; "
        f"missed: {sorted(EXPECTED_INCONSISTENT - got)}"
    )
    assert bundled.n_inconsistent == len(EXPECTED_INCONSISTENT) + len(dup)


def test_rounding_verdicts(bundled: AuditResult) -> None:
    f = bundled.findings
    r = f[f["verdict"] == "rounding"]
    got = set(zip(r["table_id"], r["column_label"], r["printed"], strict=True))
    assert got == {
        ("table4_referral_source", "Edinburgh", "101%"),
        ("table4_closure_reason", "Newcastle", "30 + 53 + 8 + 10 = 101%"),
    }


def test_hand_worked_ok_cases(bundled: AuditResult) -> None:
    f = bundled.findings

    def one(table, row, col, measure, check):
        sel = f[
            (f.table_id == table)
            & (f.row_label == row)
            & (f.column_label == col)
            & (f.measure == measure)
            & (f.check == check)
        ]
        assert len(sel) == 1, (table, row, col, measure, check)
        return sel.iloc[0]

    # 10/16 = 62.5% -> 63 under half-up (the printed "(10/16)")
    assert (
        one(
            "outcomes_5_1_open", "Reduction in exploitation", "Cardiff", "pct", "percentage"
        ).verdict
        == "ok"
    )
    # custody 6 of 16 = 37.5% -> 38
    assert one("text_3_2_closure_other", "Custody", "Overall", "pct", "percentage").verdict == "ok"
    # Table 5 overall 25/40 = 62.5% -> 63; Newcastle closure 21/40 = 52.5% -> 53
    assert one("table5", "Relationships", "Overall", "pct", "percentage").verdict == "ok"
    assert (
        one(
            "table4_closure_reason", "Support from other services", "Newcastle", "pct", "percentage"
        ).verdict
        == "ok"
    )
    # Table 4 Cardiff referrals: parts add to 99, the printed total 100 is right
    assert one("table4_referral_source", "Total", "Cardiff", "pct", "percent_total").verdict == "ok"
    # Table 3 overall 94% male needs Dundee 7-8 of 10
    row = one("table3", "Male", "Overall", "pct", "overall")
    assert row.verdict == "ok" and "Dundee = 7-8 of 10" in row.explanation
    # "just over half": (47 + 24) / 133 = 53.4%
    assert (
        one(
            "text_3_2_closure",
            "Closed due to reduced risk after a tailored intervention",
            "Overall",
            "fraction",
            "fraction_word",
        ).verdict
        == "ok"
    )
    # 190/248 = 76.6% -> 77
    assert (
        one("march2024_police", "Identified in police data", "Overall", "pct", "percentage").verdict
        == "ok"
    )
    # Table 1 totals and Overall column
    assert one("table1", "Total", "Overall", "n", "sum").verdict == "ok"
    assert one("table1", "Parents", "Overall", "n", "overall").verdict == "ok"


def test_half_even_changes_the_ties() -> None:
    res = audit(published_dir() / "soceis_june2023.csv", rounding="half_even")
    f = res.findings
    bad = f[(f.verdict == "inconsistent") & (f.check == "percentage")]
    pairs = set(zip(bad.table_id, bad.row_label, bad.column_label, strict=True))
    # 62.5% printed 63 and 52.5% printed 53 are half-up ties: wrong under half-even
    assert ("table5", "Relationships", "Overall") in pairs
    assert ("table4_closure_reason", "Support from other services", "Newcastle") in pairs
    assert ("outcomes_5_1_open", "Reduction in exploitation", "Cardiff") in pairs
    # 37.5% -> 38 holds under both
    assert ("text_3_2_closure_other", "Custody", "Overall") not in pairs


def test_result_conventions(bundled: AuditResult) -> None:
    t = bundled.tidy()
    assert list(t.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert len(t) == len(bundled.findings)
    s = bundled.summary()
    assert "INCONSISTENT" in s and "socdata.review.audit" in s
    assert bundled.counts().sum() == len(bundled.findings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        bundled.rounding = "truncate"  # type: ignore[misc]
    assert len(pickle.dumps(bundled)) < 1_000_000


def test_audit_does_not_mutate_input() -> None:
    frame = pd.read_csv(
        published_dir() / "aff_submission_2024.csv", dtype=str, keep_default_na=False
    )
    before = frame.copy()
    audit(frame)
    pd.testing.assert_frame_equal(frame, before)


def _fig(**kw):
    base = dict(table_id="t", source="s", locator="line 1", row_label="r", column_label="c",
                measure="n", value="1", denominator_as_printed="", note="")  # fmt: skip
    base.update(kw)
    return base


def test_small_tables_by_hand() -> None:
    frame = pd.DataFrame(
        [
            _fig(row_label="A", value="3"),
            _fig(row_label="A", measure="pct", value="60"),
            _fig(row_label="B", value="2"),
            _fig(row_label="B", measure="pct", value="40"),
            _fig(row_label="Total", value="5"),
            _fig(
                table_id="u", row_label="x", measure="pct", value="63", denominator_as_printed="15"
            ),
            _fig(
                table_id="u",
                row_label="y",
                measure="fraction",
                value="Two-thirds",
                note="{k=19} {n=30}",
            ),
        ]
    )
    f = audit(frame).findings
    verdicts = dict(zip(zip(f.table_id, f.row_label, f.check, strict=True), f.verdict, strict=True))
    assert verdicts[("t", "A", "percentage")] == "ok"
    assert verdicts[("t", "Total", "sum")] == "ok"
    assert verdicts[("t", "A", "percent_total")] == "ok"
    assert verdicts[("u", "x", "granularity")] == "inconsistent"
    assert verdicts[("u", "y", "fraction_word")] == "inconsistent"


def test_bad_input_errors(tmp_path) -> None:
    with pytest.raises(PublishedFiguresError, match="missing column"):
        audit(pd.DataFrame({"value": ["1"]}))
    bad = pd.DataFrame([_fig(measure="median")])
    with pytest.raises(PublishedFiguresError, match=r"row 2, column 'measure': 'median'"):
        audit(bad)
    bad = pd.DataFrame([_fig(measure="pct", value="about 60")])
    with pytest.raises(PublishedFiguresError, match=r"'about 60' is not a number.*fraction"):
        audit(bad)
    with pytest.raises(PublishedFiguresError, match="no such file"):
        audit(tmp_path / "missing.csv")
    with pytest.raises(PublishedFiguresError, match="rounding rule"):
        audit(pd.DataFrame([_fig()]), rounding="nearest")


def test_findings_pages_are_up_to_date() -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    r = subprocess.run(
        [sys.executable, str(root / "scripts" / "audit_seeds.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_findings_html_fragment(bundled: AuditResult) -> None:
    from socdata.review.render import findings_html

    frag = findings_html(bundled)
    assert frag.startswith("<table") and "inconsistent" in frag and "<script" not in frag
