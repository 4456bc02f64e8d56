"""Table builders on small hand-made extracts whose tables are known by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from socdata.errors import ExcludedRowsWarning, SocdataError
from socdata.soceis.tables import (
    DOMAIN_LABELS,
    TABLE_COLUMNS,
    closure_text,
    outcomes_5_1,
    referral_reasons,
    table1,
    table2,
    table3,
    table4_case_status,
    table4_closure_reason,
    table4_referral_source,
    table5,
)


def cell(t, row, col, measure):
    x = t[(t.row_label == row) & (t.column_label == col) & (t.measure == measure)]
    assert len(x) == 1, (row, col, measure, len(x))
    return x.iloc[0]


def _service():
    # Cardiff: 3 referrals (2 closed: completed, declined; 1 open);
    # Edinburgh: 3 referrals (1 closed other/custody, 1 open, 1 open)
    return pd.DataFrame(
        {
            "person_id": ["A", "B", "C", "D", "E", "F"],
            "referral_id": ["1", "2", "3", "4", "5", "6"],
            "area": ["Cardiff"] * 3 + ["Edinburgh"] * 3,
            "gender": ["Male", "Female", "Male", "Male", "Male", "Not known"],
            "age_at_referral": [11, 17, 16, np.nan, 15, 14],
            "date_of_birth": pd.to_datetime([None, None, None, "2006-05-20", None, None]),
            "referral_date": pd.to_datetime(["2021-01-01"] * 3 + ["2021-05-19"] * 3),
            "referral_source": [
                "Police",
                "Police",
                "Children's Services",
                "Education",
                "Police",
                "Not known",
            ],
            "referral_reason": [
                "Criminal exploitation",
                "Drug dealing",
                None,
                "Criminal exploitation",
                "Other",
                "Criminal exploitation",
            ],
            "case_status": ["Closed", "Closed", "Open", "Closed", "Open", "Open"],
            "closure_reason": [
                "Intervention completed",
                "Declined support",
                None,
                "Other",
                None,
                None,
            ],
            "closure_sub_reason": [None, None, None, "Custody", None, None],
            "record_source": ["Service data"] * 5 + ["Case file"],
            "outcome_reduced_offending": [
                "Yes",
                "Not recorded",
                "No",
                "Not recorded",
                "Not recorded",
                "Not recorded",
            ],
            "outcome_reduced_exploitation": ["Yes", "Not recorded", "Yes"] + ["Not recorded"] * 3,
            "outcome_decision_making": ["No", "Not recorded", "Not recorded"]
            + ["Not recorded"] * 3,
            "outcome_ete_engagement": ["Yes", "Yes", "Yes"] + ["Not recorded"] * 3,
            "outcome_family_relationships": ["Yes", "No", "No"] + ["Not recorded"] * 3,
            "outcome_positive_any": ["Yes", "Not recorded", "Yes", None, None, None],
            "sessions_attended": [10, 2, 5, 3, 4, 1],
        }
    )


def test_columns_and_table4_denominators():
    s = _service()
    before = s.copy()
    src = table4_referral_source(s)
    assert tuple(src.columns) == TABLE_COLUMNS
    assert set(src["measure"]) == {"n", "pct"}
    c = cell(src, "Police", "Cardiff", "pct")
    assert (c.value, c.numerator, c.denominator) == (67.0, 2, 3)  # 66.67 half-up
    assert cell(src, "Police", "Overall", "pct").value == 50.0  # 3/6
    assert cell(src, "Total", "Edinburgh", "n").value == 3
    assert cell(src, "Probation", "Cardiff", "n").value == 0  # all categories printed
    st = table4_case_status(s)
    assert cell(st, "Open", "Edinburgh", "pct").value == 67.0  # of all referrals
    cr = table4_closure_reason(s)
    d = cell(cr, "Declined support", "Cardiff", "pct")
    assert (d.value, d.denominator) == (50.0, 2)  # % of closed cases only
    assert cell(cr, "Other", "Overall", "pct").value == 33.0  # 1/3 closed
    assert list(cr["column_label"].unique()) == ["Cardiff", "Edinburgh", "Overall"]
    pd.testing.assert_frame_equal(s, before)


def test_table3_age_sources_dob_and_gender():
    s = _service()
    with pytest.warns(ExcludedRowsWarning, match="gender not known"):
        t = table3(s)
    # Edinburgh service-data ages: D from DOB (20 May 2006 -> 19 May 2021: 14), E 15;
    # F is a case-file row, left out of age
    assert cell(t, "Average age", "Edinburgh", "mean").exact == pytest.approx(14.5)
    assert cell(t, "Average age", "Edinburgh", "mean").value == 15.0  # half-up
    assert cell(t, "Min.", "Edinburgh", "min").value == 14
    assert cell(t, "Max.", "Overall", "max").value == 17
    assert cell(t, "Male", "Cardiff", "pct").value == 67.0
    assert cell(t, "Male", "Edinburgh", "pct").denominator == 2  # Not known left out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        t_all = table3(s, age_sources=None)
    assert cell(t_all, "Min.", "Edinburgh", "min").value == 14
    assert cell(t_all, "Average age", "Edinburgh", "mean").exact == pytest.approx(43 / 3)
    # an area with case-file rows only has no age cells (the report's '-')
    only_cf = s.assign(record_source="Case file")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        t_cf = table3(only_cf)
    assert np.isnan(cell(t_cf, "Average age", "Cardiff", "mean").value)
    assert "case-file" in cell(t_cf, "Average age", "Cardiff", "mean").note


def test_unknown_category_is_a_clear_error():
    s = _service()
    s.loc[0, "referral_source"] = "Social Work Dept"
    with pytest.raises(SocdataError, match="Social Work Dept"):
        table4_referral_source(s)
    with pytest.raises(SocdataError, match="no column"):
        table4_case_status(s.drop(columns="case_status"))


def _plans():
    rows = []
    for i in range(3):  # Cardiff: form without 'offending'
        rows.append(
            {
                "plan_id": f"c{i}",
                "person_id": f"c{i}",
                "area": "Cardiff",
                **{d: "Yes" if i < 2 else "No" for d in DOMAIN_LABELS},
                "domain_offending": "Not on form",
            }
        )
    for i in range(2):
        rows.append(
            {
                "plan_id": f"e{i}",
                "person_id": f"e{i}",
                "area": "Edinburgh",
                **{d: "No" for d in DOMAIN_LABELS},
                "domain_offending": "Yes" if i == 0 else "No",
            }
        )
    return pd.DataFrame(rows)


def test_table5_form_coverage():
    p = _plans()
    t = table5(p, not_on_form="exclude")
    assert cell(t, "Intervention plans", "Overall", "n").value == 5
    er = cell(t, "Emotional regulation", "Overall", "pct")
    assert (er.value, er.numerator, er.denominator) == (40.0, 2, 5)
    off_c = cell(t, "Offending", "Cardiff", "n")
    assert np.isnan(off_c.value) and off_c.note == "Not on form"
    off = cell(t, "Offending", "Overall", "pct")
    assert (off.value, off.numerator, off.denominator) == (50.0, 1, 2)  # not 1/5
    t_no = table5(p)  # the report's convention by default
    assert t_no.equals(table5(p, not_on_form="as_no"))
    assert cell(t_no, "Offending", "Cardiff", "n").value == 0
    assert cell(t_no, "Offending", "Overall", "pct").value == 20.0
    with pytest.raises(SocdataError, match="not_on_form"):
        table5(p, not_on_form="drop")
    bad = p.copy()
    bad.loc[0, "domain_housing"] = "Maybe"
    with pytest.raises(SocdataError, match="Maybe"):
        table5(bad)


def test_tables_1_2_count_people_of_one_phase():
    part = pd.DataFrame(
        {
            "participant_id": ["a", "b", "c", "d", "e", "f"],
            "area": ["Cardiff", "Dundee", "Dundee", "Newcastle", "Cardiff", "Dundee"],
            "role": [
                "Young people",
                "Parents",
                "Managers",
                "Young people",
                "Practitioners",
                "Managers",
            ],
            "phase": [3, 3, 3, 2, 2, 1],
        }
    )
    t1 = table1(part)
    assert cell(t1, "Young people", "Overall", "n").value == 1
    assert cell(t1, "Total", "Dundee", "n").value == 1
    assert list(t1["column_label"].unique()) == ["Cardiff", "Dundee", "Newcastle", "Overall"]
    t2 = table2(part)
    assert cell(t2, "Managers", "Dundee", "n").value == 1
    assert cell(t2, "Practitioners", "Cardiff", "n").value == 0
    assert cell(table2(part, phase=None), "Managers", "Dundee", "n").value == 2


def test_outcomes_5_1_engaged_definitions_and_denominators():
    s = _service()
    out = outcomes_5_1(s, area="Cardiff")
    closed, opened = out["outcomes_5_1_closed"], out["outcomes_5_1_open"]
    assert cell(closed, "Closed cases where the young person engaged", "Cardiff", "n").value == 1
    c = cell(closed, "Improved engagement with education, employment or training", "Cardiff", "pct")
    assert (c.value, c.denominator) == (100.0, 1)
    assert "Achieved positive outcomes" not in set(closed["row_label"])
    o = cell(opened, "Reduction in exploitation", "Cardiff", "pct")
    assert o.value == 100.0 and o.conf_high == pytest.approx(100.0)
    # 1 of 1: Wilson 95% interval by hand, lower = 1 / (1 + z^2) (statsmodels agrees)
    z = 1.959963984540054
    assert o.conf_low == pytest.approx(100 / (1 + z * z), abs=1e-9)
    assert o.conf_high == pytest.approx(100.0, abs=1e-9)
    # decision-making not recorded for the open case: no denominator, no percentage
    dm = cell(opened, "Developed decision-making about risk", "Cardiff", "pct")
    assert dm.denominator == 0 and np.isnan(dm.value)
    by_sessions = outcomes_5_1(s, area="Cardiff", engaged="sessions")
    assert (
        cell(
            by_sessions["outcomes_5_1_closed"],
            "Closed cases where the young person engaged",
            "Cardiff",
            "n",
        ).value
        == 2
    )
    with pytest.raises(SocdataError, match="engaged"):
        outcomes_5_1(s, engaged="maybe")
    with pytest.raises(SocdataError, match="Glasgow"):
        outcomes_5_1(s, area="Glasgow")


def test_text_figures():
    s = _service()
    rr = referral_reasons(s)
    base = cell(rr, "Young people with referral reason data", "Overall", "n")
    assert base.value == 5 and "1 with no reason" in base.note
    assert cell(rr, "Criminal exploitation", "Overall", "pct").value == 60.0
    ct = closure_text(s)
    assert cell(ct, "Custody", "Overall", "pct").value == 100.0
    assert (
        cell(ct, "Closed due to reduced risk after a tailored intervention", "Overall", "n").value
        == 1
    )


def test_engaged_interview_and_domain_text():
    from socdata.soceis.tables import domains_text, engaged_text, interview_text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        e = engaged_text(_service())
    male = cell(e, "Male", "Overall", "n")
    assert (male.value, male.denominator) == (4, 5)  # gender not known left out
    assert cell(e, "Age at referral", "Edinburgh", "min").value == 14
    part = pd.DataFrame(
        {
            "participant_id": ["a", "b", "c", "d", "e"],
            "role": ["Managers", "Practitioners", "Parents", "Kinship carers", "Young people"],
            "phase": [1, 2, 3, 3, 2],
        }
    )
    it = interview_text(part)
    assert cell(it, "Caregivers interviewed", "Overall", "n").value == 2
    assert cell(it, "Young people interviewed", "Overall", "n").value == 0  # phase 2 only
    assert cell(it, "SOCEIS managers interviewed (phase one)", "Overall", "n").value == 1
    d = domains_text(_plans())
    assert cell(d, "Areas whose plans had 18 domains", "Overall", "n").value == 1
    rem = cell(d, "Domains on the form of the remaining area", "Overall", "n")
    assert rem.value == 17 and rem.note == "Cardiff"


def test_other_areas_follow_the_report_areas():
    s = _service()
    s.loc[5, "area"] = "Flintshire"
    t = table4_case_status(s)
    assert list(t["column_label"].unique()) == ["Cardiff", "Edinburgh", "Flintshire", "Overall"]
    assert cell(t, "Open", "Flintshire", "n").value == 1


def test_no_builder_mutates_its_input():
    from socdata.soceis.tables import all_tables

    s, p = _service(), _plans()
    s["extract_date"] = pd.Timestamp("2022-10-31")
    s["intervention_start_date"] = pd.to_datetime(
        ["2021-01-10", "2021-01-05", "2021-02-01", "2021-06-01", None, "2021-06-02"]
    )
    s["intervention_end_date"] = pd.to_datetime(
        ["2021-09-10", "2021-02-05", None, "2021-12-01", None, None]
    )
    part = pd.DataFrame(
        {"participant_id": ["a"], "area": ["Cardiff"], "role": ["Parents"], "phase": [3]}
    )
    before = {k: v.copy() for k, v in {"service": s, "plans": p, "participants": part}.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        out = all_tables({"service": s, "plans": p, "participants": part})
    for k, v in {"service": s, "plans": p, "participants": part}.items():
        pd.testing.assert_frame_equal(v, before[k])
    assert not out.duplicated(["table_id", "row_label", "column_label", "measure"]).any()
    # no person-level column leaks into the tables
    assert not {"person_id", "referral_id", "date_of_birth"} & set(out.columns)
