"""Comparison with the published figures: statuses, arithmetic, and the synthetic extracts."""

from __future__ import annotations

import pandas as pd
import pytest

from socdata.results import TIDY_COLUMNS
from socdata.soceis.compare import STATUSES, compare_published, fraction_word_is_true
from socdata.soceis.synthetic import generate
from socdata.soceis.tables import TABLE_IDS, all_tables

TEXT_IDS = (
    "text_2_1_1_managers",
    "text_2_1_2_interviews",
    "text_2_1_2_partners",
    "text_2_1_3_interviews",
    "text_3_2_engaged",
    "text_4_1_1_domains",
    "text_3_2_referral_reason",
    "text_3_2_case_status",
    "text_3_2_closure",
    "text_3_2_closure_other",
    "text_3_3_duration",
    "text_3_3_newcastle",
)
STARRED = (
    "Offending",
    "Peer Mentor",
    "Contextual safeguarding",
    "Education/employability",
    "Identity work",
    "Substance misuse",
    "Daily routine",
    "Housing",
)

# Every printed cell of Tables 1-5, 5.1 and the section 3.2-3.3 text figures that is not a
# match on the synthetic extracts, with the status it must get. Everything else matches.
MATCH, ROUND, INCONS, NOTREP, BASE = STATUSES
EXPECTED_NON_MATCH = {
    ("table3", "Male", "Dundee", "pct"): INCONS,  # no count of 10 gives 66%
    ("table4_referral_source", "Total", "Edinburgh", "pct"): ROUND,  # sum of rounded = 101
    ("table4_case_status", "Open", "Overall", "pct"): INCONS,  # 77/223 = 35, not 37
    ("table4_case_status", "Closed", "Overall", "pct"): INCONS,  # 133/223 = 60, not 63
    ("text_3_2_referral_reason", "Young people with referral reason data", "Overall", "n"): INCONS,
    ("outcomes_5_1_closed", "Closed cases where the young person engaged", "Cardiff", "n"): INCONS,
    ("outcomes_5_1_closed", "Reduction in offending", "Cardiff", "pct"): INCONS,
    ("outcomes_5_1_closed", "Reduction in exploitation", "Cardiff", "fraction"): INCONS,
    ("outcomes_5_1_closed", "Developed decision-making about risk", "Cardiff", "pct"): INCONS,
    (
        "outcomes_5_1_closed",
        "Improved engagement with education, employment or training",
        "Cardiff",
        "fraction",
    ): INCONS,
    ("outcomes_5_1_closed", "Improved relationships with family", "Cardiff", "fraction"): INCONS,
    ("outcomes_5_1_closed", "Improved relationships with family", "Cardiff", "pct"): INCONS,
    ("outcomes_5_1_open", "Reduction in offending", "Cardiff", "pct"): INCONS,  # 13/16 = 81
    # printed on the lead-in's 18 open cases, while the counts imply 16 (10/18 = 56, not 63):
    # the audit's verdict, although the extracts (16 with outcomes recorded) give the value
    ("outcomes_5_1_open", "Developed decision-making about risk", "Cardiff", "pct"): INCONS,
    (
        "outcomes_5_1_open",
        "Improved engagement with education, employment or training",
        "Cardiff",
        "pct",
    ): INCONS,
    (
        "outcomes_5_1_open",
        "Improved engagement with education, employment or training",
        "Cardiff",
        "fraction",
    ): INCONS,
    ("outcomes_5_1_open", "Improved relationships with family", "Cardiff", "pct"): INCONS,
    # Table 5's printed convention ("Not on form" counted as No: 0 for Cardiff, Overall of
    # all 40 plans) is reproduced; socdata's base (27 plans with the topic on the form) differs
    **{("table5", d, "Cardiff", m): BASE for d in STARRED for m in ("n", "pct")},
    **{("table5", d, "Overall", "pct"): BASE for d in STARRED},
}


@pytest.fixture(scope="module")
def comparison():
    return compare_published(all_tables(generate()))


def test_every_consistent_cell_matches_on_synthetic_extracts(comparison):
    f = comparison.frame
    assert set(TABLE_IDS) <= set(f["table_id"])
    f = f[f["table_id"].isin(set(TABLE_IDS) | set(TEXT_IDS))]
    # text figures no builder regenerates (invitations, interview lengths...) are allowed,
    # but never in Tables 1-5 and 5.1
    no_builder = f["explanation"] == "no table builder regenerates this figure"
    assert not (no_builder & f["table_id"].isin(TABLE_IDS)).any()
    assert (f.loc[no_builder, "status"] == NOTREP).all()
    got = {
        (r.table_id, r.row_label, r.column_label, r.measure): r.status
        for r in f[~no_builder].itertuples()
        if r.status != "match"
    }
    assert got == EXPECTED_NON_MATCH
    # every table has matching cells, every non-match has its arithmetic
    assert (f.groupby("table_id")["status"].apply(lambda s: (s == "match").sum()) > 0).all()
    assert f.loc[f["status"] != "match", "explanation"].str.len().min() > 20


def test_explanations_show_the_arithmetic(comparison):
    f = comparison.frame.set_index(["table_id", "row_label", "column_label", "measure"])
    e = f.loc[("table4_case_status", "Open", "Overall", "pct"), "explanation"]
    assert "77/223 = 34.5%" in e and "210" in e
    e = f.loc[
        ("outcomes_5_1_closed", "Closed cases where the young person engaged", "Cardiff", "n"),
        "explanation",
    ]
    assert "57" in e and "31" in e and "26" in e
    e = f.loc[("outcomes_5_1_open", "Reduction in offending", "Cardiff", "pct"), "explanation"]
    assert "13/16 = 81.2%" in e
    e = f.loc[("table4_referral_source", "Total", "Edinburgh", "pct"), "explanation"]
    assert "101% is the sum of the rounded parts (66 + 16 + 2 + 5 + 0 + 3 + 7 + 2)" in e
    e = f.loc[
        ("outcomes_5_1_closed", "Improved relationships with family", "Cardiff", "fraction"),
        "explanation",
    ]
    assert "19/30 = 63.33%" in e


def test_result_interface(comparison):
    tidy = comparison.tidy()
    assert list(tidy.columns[:9]) == list(TIDY_COLUMNS)
    assert set(comparison.frame["status"]) <= set(STATUSES)
    assert "printed figure inconsistent" in comparison.summary()
    with pytest.raises(AttributeError):
        comparison.frame = None  # frozen


@pytest.mark.parametrize(
    ("word", "k", "n", "truth"),
    [
        ("Two-thirds", 20, 30, True),
        ("Two-thirds", 19, 30, False),
        ("two thirds", 67, 100, True),
        ("Two-fifths", 12, 30, True),
        ("Over two-thirds", 11, 16, True),
        ("Over two-thirds", 10, 16, False),
        ("Most", 16, 18, True),
        ("Most", 9, 18, False),
        ("just over half", 71, 133, True),
        ("just over half", 80, 133, False),
        ("The majority", 202, 223, True),
        ("all", 5, 5, True),
        ("a dozen", 1, 2, None),
    ],
)
def test_fraction_words(word, k, n, truth):
    assert fraction_word_is_true(word, k, n) is truth


def _pub(rows):
    cols = [
        "table_id",
        "row_label",
        "column_label",
        "measure",
        "value",
        "denominator_as_printed",
        "note",
    ]
    return pd.DataFrame(rows, columns=cols)


def _tab(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "table_id",
            "row_label",
            "column_label",
            "measure",
            "value",
            "numerator",
            "denominator",
            "note",
        ],
    )


def test_statuses_on_a_toy_table():
    tables = _tab(
        [
            ("t", "A", "X", "n", 3, 3, 8, ""),
            ("t", "A", "X", "pct", 38, 3, 8, ""),
            ("t", "B", "X", "n", 5, 5, 8, ""),
            ("t", "B", "X", "pct", 63, 5, 8, ""),
            ("t", "C", "X", "n", 4, 4, 8, ""),
        ]
    )
    pub = _pub(
        [
            ("t", "A", "X", "n", "3", "8", ""),
            ("t", "A", "X", "pct", "37", "8", ""),  # 37.5 printed half-to-even/truncated
            ("t", "B", "X", "n", "5", "8", ""),
            ("t", "B", "X", "pct", "70", "8", ""),  # 5/8 is 63
            ("t", "C", "X", "n", "6", "", ""),  # consistent in print, other data
            ("t", "D", "X", "n", "1", "", ""),  # nothing regenerates it
        ]
    )
    f = compare_published(tables, pub, table_ids=["t"]).frame.set_index(["row_label", "measure"])
    assert f.loc[("A", "n"), "status"] == "match"
    assert f.loc[("A", "pct"), "status"] == "rounding"
    assert f.loc[("B", "pct"), "status"] == "printed figure inconsistent"
    assert "5/8 = 62.5%" in f.loc[("B", "pct"), "explanation"]
    assert f.loc[("C", "n"), "status"] == "not reproducible from these extracts"
    assert f.loc[("D", "n"), "status"] == "not reproducible from these extracts"
    assert "no table builder" in f.loc[("D", "n"), "explanation"]


def test_inputs_not_mutated_and_bad_input():
    from socdata.errors import SocdataError

    t = all_tables(generate())
    before = t.copy()
    compare_published(t)
    pd.testing.assert_frame_equal(t, before)
    with pytest.raises(SocdataError, match="lack column"):
        compare_published(t.drop(columns="measure"))


def test_disclosure_controlled_cells_are_reported_as_such():
    tables = _tab([("t", "A", "X", "n", 5, 5, 8, ""), ("t", "B", "X", "n", None, None, 8, "")])
    tables["disclosure"] = "soceis-default-v1"
    tables["disclosure_status"] = ["rounded", "suppressed (count 1-9)"]
    pub = _pub([("t", "A", "X", "n", "3", "", ""), ("t", "B", "X", "n", "2", "", "")])
    f = compare_published(tables, pub, table_ids=["t"]).frame.set_index("row_label")
    assert f.loc["A", "status"] == "not reproducible from these extracts"
    assert "rounded by disclosure control" in f.loc["A", "explanation"]
    assert "suppressed (count 1-9) by disclosure control" in f.loc["B", "explanation"]


def test_totals_and_bounds_from_the_notes():
    tables = _tab([("t", "All", "X", "n", 9, 9, None, ""), ("t", "A", "X", "n", 4, 4, 9, "")])
    pub = _pub(
        [
            ("t", "All", "X", "n", "10", "", "{total}"),  # 4 + 5 = 9, not 10
            ("t", "A", "X", "n", "4", "", ""),
            ("t", "B", "X", "n", "5", "", ""),
            ("t", "Note", "X", "n", "2", "", "{notpart}"),
            ("u", "Base", "X", "n", "7", "", "{base} {le=t/A/X - t/Note/X}"),  # 7 > 4 - 2
        ]
    )
    f = compare_published(tables, pub, table_ids=["t", "u"]).frame.set_index("row_label")
    assert f.loc["All", "status"] == "printed figure inconsistent"
    assert "4 + 5 = 9" in f.loc["All", "explanation"]
    assert f.loc["Base", "status"] == "printed figure inconsistent"
    assert "= 2" in f.loc["Base", "explanation"]


def test_table5_printed_convention_is_reproduced_exactly_with_the_better_base_beside():
    from socdata.soceis.compare import load_published
    from socdata.soceis.tables import TABLE5_ON_FORM, table5

    plans = generate()["plans"]
    printed = load_published()
    printed = printed[printed["table_id"] == "table5"]
    report = table5(plans).set_index(["row_label", "column_label", "measure"])
    for r in printed.itertuples():
        cell = report.loc[(r.row_label, r.column_label, r.measure)]
        assert cell["value"] == float(r.value), (r.row_label, r.column_label, r.measure)
        if r.measure == "pct":  # the printed arithmetic: k of the printed base
            assert cell["denominator"] == float(r.denominator_as_printed)
    # Offending: the report's 10 of 40 (25%) and socdata's 10 of 27 (37%), side by side
    both = all_tables({"plans": plans}).set_index(["table_id", "row_label", "column_label"])
    both = both.sort_index()
    off = both[both["measure"] == "pct"].loc[("table5", "Offending", "Overall")]
    assert (off["numerator"], off["denominator"], off["value"]) == (10, 40, 25)
    better = both[both["measure"] == "pct"].loc[(TABLE5_ON_FORM, "Offending", "Overall")]
    assert (better["numerator"], better["denominator"], better["value"]) == (10, 27, 37)
    assert both.loc[(TABLE5_ON_FORM, "Offending", "Cardiff"), "note"].eq("Not on form").all()


def test_table5_base_differs_is_explained_whichever_convention_was_regenerated(comparison):
    f = comparison.frame.set_index(["table_id", "row_label", "column_label", "measure"])
    t5 = f.loc["table5"]
    assert not (t5["status"] == INCONS).any()
    e = t5.loc[("Offending", "Overall", "pct"), "explanation"]
    assert "10/40 = 25.0%" in e and "10/27 = 37.0%" in e
    # only socdata's base regenerated (e.g. a notebook run with not_on_form="exclude")
    from socdata.soceis.tables import table5

    only = compare_published(table5(generate()["plans"], not_on_form="exclude"))
    g = only.frame.set_index(["table_id", "row_label", "column_label", "measure"]).loc["table5"]
    starred = g.loc[
        [
            (d, c, m)
            for d in STARRED
            for c, m in (("Cardiff", "n"), ("Cardiff", "pct"), ("Overall", "pct"))
        ]
    ]
    assert (starred["status"] == BASE).all()
    assert "10/40 = 25.0%" in g.loc[("Offending", "Overall", "pct"), "explanation"]
    assert (g.drop(starred.index)["status"] == MATCH).all()


def test_one_engine_one_verdict(comparison):
    """A printed figure the audit finds inconsistent is inconsistent in the comparison too."""
    from socdata.review import audit_bundled

    bad = audit_bundled().findings
    bad = bad[(bad["verdict"] == "inconsistent") & bad["table_id"].isin(TABLE_IDS)]
    keys = set(
        zip(bad["table_id"], bad["row_label"], bad["column_label"], bad["measure"], strict=True)
    )
    f = comparison.frame.set_index(["table_id", "row_label", "column_label", "measure"])
    assert keys
    for k in keys:
        assert f.loc[k, "status"] in (INCONS, ROUND), k


def test_printed_findings_are_the_bundled_audit():
    # reproduce writes these as audit.csv and judges the printed figures by them
    from socdata.review import audit_bundled
    from socdata.soceis.compare import printed_findings

    pd.testing.assert_frame_equal(
        printed_findings().reset_index(drop=True),
        audit_bundled().findings.reset_index(drop=True),
    )
