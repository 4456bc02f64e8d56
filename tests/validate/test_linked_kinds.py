"""The linked-cohort kinds validate like the core six: every cross-field rule fires on a row
that breaks it (and only that row), and clean random extracts pass."""

from __future__ import annotations

import pandas as pd
import pytest

from socdata.datasets import random_extract
from socdata.validate import validate_extract

#: rule id -> (kind, function breaking row 0 of a clean random extract)
BREAKS = {
    "vulnerability.R06": (
        "vulnerability",
        lambda d: d.assign(
            person_id=[d["person_id"].iat[1], *d["person_id"].iloc[1:]],
            profile_date=[d["profile_date"].iat[1], *d["profile_date"].iloc[1:]],
        ),
    ),
    "vulnerability.R07": (
        "vulnerability",
        lambda d: _set(d, deprivation_decile=3, deprivation_index=None),
    ),
    "vulnerability.R08": (
        "vulnerability",
        lambda d: _set(
            d, nation="Wales", area="Cardiff", deprivation_decile=2, deprivation_index="SIMD"
        ),
    ),
    "vulnerability.R09": (
        "vulnerability",
        lambda d: _set(
            d, cce_indicator="Yes", exploiter_recorded="No", criminal_activity_recorded="Yes"
        ),
    ),
    "vulnerability.R10": (
        "vulnerability",
        lambda d: _set(
            d, cce_indicator="Yes", exploiter_recorded="Yes", criminal_activity_recorded="No"
        ),
    ),
    "nrm.R07": (
        "nrm",
        lambda d: _set(
            d,
            reasonable_grounds_decision="Positive",
            reasonable_grounds_date=d["referral_date"].iat[0] - pd.Timedelta(days=3),
        ),
    ),
    "nrm.R08": (
        "nrm",
        lambda d: _set(
            d,
            reasonable_grounds_decision="Negative",
            reasonable_grounds_date=None,
            conclusive_grounds_decision=None,
            conclusive_grounds_date=None,
        ),
    ),
    "nrm.R09": (
        "nrm",
        lambda d: _set(
            d,
            reasonable_grounds_decision="Pending",
            reasonable_grounds_date=None,
            conclusive_grounds_decision="Positive",
            conclusive_grounds_date=pd.Timestamp("2023-06-01"),
        ),
    ),
    "nrm.R11": (
        "nrm",
        lambda d: _set(
            d,
            referral_date=pd.Timestamp("2025-01-01"),
            reasonable_grounds_decision="Pending",
            reasonable_grounds_date=None,
            conclusive_grounds_decision=None,
            conclusive_grounds_date=None,
        ),
    ),
    "missing_detail.R07": (
        "missing_detail",
        lambda d: _set(d, found_datetime=d["reported_datetime"].iat[0] - pd.Timedelta(hours=2)),
    ),
    "missing_detail.R08": (
        "missing_detail",
        lambda d: _set(d, return_interview_offered="No", return_interview_taken="Yes"),
    ),
    "missing_detail.R09": (
        "missing_detail",
        lambda d: _set(
            d, return_interview_taken="No", return_interview_date=pd.Timestamp("2023-01-01")
        ),
    ),
    "missing_detail.R10": (
        "missing_detail",
        lambda d: _set(
            d,
            found_datetime=None,
            return_interview_offered="Yes",
            return_interview_taken="Yes",
            return_interview_date=pd.Timestamp("2023-01-01"),
        ),
    ),
    "arrest_outcomes.R07": (
        "arrest_outcomes",
        lambda d: _set(
            d, outcome="Charge", outcome_date=d["arrest_date"].iat[0] - pd.Timedelta(days=1)
        ),
    ),
    "arrest_outcomes.R09": (
        "arrest_outcomes",
        lambda d: _set(d, outcome="Caution", outcome_date=None),
    ),
    "arrest_outcomes.R10": (
        "arrest_outcomes",
        lambda d: _set(d, outcome="Pending", outcome_date=d["arrest_date"].iat[0]),
    ),
    "arrest_outcomes.R11": (
        "arrest_outcomes",
        lambda d: _set(d, safeguarding_referral="Yes", safeguarding_referral_date=None),
    ),
    "arrest_outcomes.R12": (
        "arrest_outcomes",
        lambda d: _set(
            d, safeguarding_referral="No", safeguarding_referral_date=d["arrest_date"].iat[0]
        ),
    ),
    "assessments.R05": ("assessments", lambda d: _set(d, score=11)),
    "assessments.R07": (
        "assessments",
        lambda d: _set(d, assessment_date=d["assessment_date"].iat[0] + pd.Timedelta(days=5)),
    ),
    "linkage_identifiers.R06": (
        "linkage_identifiers",
        lambda d: d.assign(
            source=[d["source"].iat[1], *d["source"].iloc[1:]],
            record_id=[d["record_id"].iat[1], *d["record_id"].iloc[1:]],
        ),
    ),
}


def _set(d: pd.DataFrame, **values) -> pd.DataFrame:
    d = d.copy()
    for col, v in values.items():
        if d[col].dtype == "Int64":
            d[col] = d[col].astype("Int64")
            d.loc[d.index[0], col] = pd.NA if v is None else v
        else:
            d[col] = d[col].astype(object) if v is None or isinstance(v, str) else d[col]
            d.loc[d.index[0], col] = v
    return d


@pytest.mark.parametrize(
    "kind",
    [
        "vulnerability",
        "nrm",
        "missing_detail",
        "arrest_outcomes",
        "assessments",
        "linkage_identifiers",
    ],
)
def test_random_extracts_pass(kind):
    res = validate_extract(random_extract(kind, n=40, seed=11), kind)
    assert res.ok and not len(res.warnings)


@pytest.mark.parametrize("rule", list(BREAKS))
def test_each_rule_fires_on_the_row_that_breaks_it(rule):
    kind, breaker = BREAKS[rule]
    clean = random_extract(kind, n=12, seed=5)
    if kind == "nrm":  # a row whose decisions are all present to start from
        clean = clean.sort_values("conclusive_grounds_date", na_position="last").reset_index(
            drop=True
        )
    res = validate_extract(breaker(clean), kind)
    fired = res.rejected[res.rejected["rule"] == rule]
    assert len(fired), res.describe()
    assert 2 in set(fired["row"]), fired  # row 0 of a frame is row 2, as a spreadsheet shows it


@pytest.mark.parametrize(
    ("kind", "other", "column", "value"),
    [
        ("missing_detail", "vulnerability", "person_id", "YP99999"),
        ("nrm", "vulnerability", "person_id", "YP99999"),
        ("assessments", "vulnerability", "person_id", "YP99999"),
        ("arrest_outcomes", "linkage_identifiers", "person_id", "N99999"),
    ],
)
def test_links_to_the_case_file_and_the_identifiers(kind, other, column, value):
    from socdata.validate import validate_links

    base = random_extract(other, n=200, seed=2)
    ids = "person_id" if other == "vulnerability" else "record_id"
    frame = random_extract(kind, n=6, seed=2)
    frame[column] = base[ids].iloc[: len(frame)].to_numpy()
    assert validate_links({other: base, kind: frame}).empty
    frame.loc[0, column] = value
    got = validate_links({other: base, kind: frame})
    assert got["rule"].tolist() == [f"{kind}.L01"] and got["row"].tolist() == [2]
