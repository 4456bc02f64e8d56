"""Rules of the kinds other than service, and the file and plausibility rules of every kind:
each bad extract's exact message and row are asserted (service: test_validate_rules.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socdata.datasets import random_extract, to_csv
from socdata.schemas import load_spec
from socdata.validate import validate_extract

# ----------------------------------------------------------------- other kinds (frames)


def _one(kind, n=12, seed=3):
    return random_extract(kind, n=n, seed=seed)


def _check(frame, kind, expected):
    res = validate_extract(frame, kind, show_identifiers=True)
    got = sorted((int(r.row), r.column, r.rule, r.message) for r in res.rejected.itertuples())
    assert got == sorted(expected)
    assert res.n_valid + res.n_rejected == res.n_input


def test_plans_r06_r07():
    df = _one("plans")
    df.loc[1, "plan_id"] = df.loc[0, "plan_id"]
    pid = df.loc[0, "plan_id"]
    msg = (
        f"plan_id '{pid}' is not unique: it appears on rows 2, 3; give each row its own "
        "plan_id or remove the duplicate"
    )
    _check(df, "plans", [(2, "plan_id", "plans.R06", msg), (3, "plan_id", "plans.R06", msg)])

    df = _one("plans", n=30)
    area = df.loc[0, "area"]
    same = np.flatnonzero((df["area"] == area).to_numpy())
    assert len(same) >= 2
    df.loc[same[0], "domain_housing"] = (
        "Yes" if df.loc[same[0], "domain_housing"] == "Not on form" else "Not on form"
    )
    rows = ", ".join(str(p + 2) for p in same[:6]) + (
        f" and {len(same) - 6} more" if len(same) > 6 else ""
    )
    msg = (
        f"domain_housing is 'Not on form' on some rows of area '{area}' but not on others "
        f"(rows {rows}); 'Not on form' must hold for all or none"
    )
    _check(df, "plans", [(p + 2, "domain_housing", "plans.R07", msg) for p in same])


def test_participants_rules():
    df = _one("participants")
    df.loc[0, "phase"] = 5
    _check(df, "participants", [(2, "phase", "participants.R05", "phase 5 is outside 1-4")])
    df = _one("participants")
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    pid, ph = df.loc[0, "participant_id"], df.loc[0, "phase"]
    last = len(df) + 1
    msg = (
        f"participant_id, phase '{pid}', {ph} is not unique: it appears on rows 2, {last}; "
        "give each row its own participant_id, phase or remove the duplicate"
    )
    _check(
        df,
        "participants",
        [(2, "phase", "participants.R06", msg), (last, "phase", "participants.R06", msg)],
    )


def test_police_persons_rules():
    df = _one("police_persons", n=40)
    comp = int(np.flatnonzero((df["group"] == "Comparator").to_numpy())[0])
    eng = int(np.flatnonzero((df["group"] == "Engager").to_numpy())[0])
    df.loc[comp, "referral_date"] = pd.Timestamp("2021-01-01")
    ref = df.loc[eng, "referral_date"]
    df.loc[eng, "referral_date"] = pd.NaT
    _check(
        df,
        "police_persons",
        [
            (
                comp + 2,
                "referral_date",
                "police_persons.R08",
                "referral_date 2021-01-01 is given although group is 'Comparator'; remove it or "
                "correct group",
            ),
            (
                eng + 2,
                "referral_date",
                "police_persons.R07",
                "referral_date is missing although group is 'Engager'; fill in referral_date or "
                "correct group",
            ),
        ],
    )
    df.loc[eng, "referral_date"] = ref
    df.loc[comp, "referral_date"] = pd.NaT
    df["birth_month"] = df["birth_month"].astype(object)
    df.loc[0, "birth_month"] = "2006-13"
    df.loc[1, "referral_date"] = pd.NaT
    df.loc[1, "group"] = "Comparator"
    end = df.loc[2, "extract_date"]
    df.loc[2, "group"] = "Engager"
    df.loc[2, "referral_date"] = end + pd.Timedelta(days=1)
    _check(
        df,
        "police_persons",
        [
            (
                2,
                "birth_month",
                "police_persons.R05",
                "birth_month '2006-13' does not match the form ^[0-9]{4}-(0[1-9]|1[0-2])$",
            ),
            (
                4,
                "referral_date",
                "police_persons.R09",
                f"referral_date {(end + pd.Timedelta(days=1)):%Y-%m-%d} is after extract_date "
                f"{end:%Y-%m-%d}; correct the date or the extract_date",
            ),
        ],
    )


def test_police_persons_r10_r11():
    df = _one("police_persons", n=40)
    i = int(np.flatnonzero(df["deprivation_decile"].notna().to_numpy())[0])
    df.loc[i, "deprivation_index"] = np.nan
    force = df.loc[0, "police_force"]
    j = int(np.flatnonzero((df["police_force"] == force).to_numpy())[1])
    old = df.loc[j, "extract_date"]
    df.loc[j, "extract_date"] = old + pd.Timedelta(days=31)
    same = np.flatnonzero((df["police_force"] == force).to_numpy())
    rows = ", ".join(str(p + 2) for p in same[:6]) + (
        f" and {len(same) - 6} more" if len(same) > 6 else ""
    )
    vals = f"{old:%Y-%m-%d}, {old + pd.Timedelta(days=31):%Y-%m-%d}"
    msg = (
        f"extract_date differs between rows of the same police_force '{force}': {vals} on "
        f"rows {rows}; make them agree"
    )
    expected = [(p + 2, "extract_date", "police_persons.R11", msg) for p in same]
    expected.append(
        (
            i + 2,
            "deprivation_index",
            "police_persons.R10",
            "deprivation_index is missing although deprivation_decile is given; fill "
            "in deprivation_index or correct deprivation_decile",
        )
    )
    _check(df, "police_persons", expected)


def test_police_events_rules():
    df = _one("police_events", n=60)
    arrest = int(np.flatnonzero((df["event_type"] == "Arrest").to_numpy())[0])
    custody = int(np.flatnonzero((df["event_type"] == "Custody").to_numpy())[0])
    coded = int(np.flatnonzero(df["source_offence_code"].notna().to_numpy())[0])
    df.loc[arrest, "custody_end_date"] = df.loc[arrest, "event_date"]
    df.loc[arrest, "offence_category"] = "Not applicable"
    df.loc[arrest, "source_offence_code"] = np.nan
    df.loc[arrest, "source_classification"] = np.nan
    start = df.loc[custody, "event_date"]
    df.loc[custody, "custody_end_date"] = start - pd.Timedelta(days=1)
    assert coded != arrest
    df.loc[coded, "source_classification"] = np.nan
    d = df.loc[arrest, "event_date"]
    _check(
        df,
        "police_events",
        [
            (
                arrest + 2,
                "custody_end_date",
                "police_events.R07",
                f"custody_end_date {d:%Y-%m-%d} is given although event_type is 'Arrest'; remove it "
                "or correct event_type",
            ),
            (
                arrest + 2,
                "offence_category",
                "police_events.R09",
                "offence_category 'Not applicable' is not allowed when event_type is 'Arrest'; "
                "correct it",
            ),
            (
                custody + 2,
                "custody_end_date",
                "police_events.R08",
                f"custody_end_date {start - pd.Timedelta(days=1):%Y-%m-%d} is before event_date "
                f"{start:%Y-%m-%d}; dates must run event_date <= custody_end_date",
            ),
            (
                coded + 2,
                "source_classification",
                "police_events.R10",
                "source_classification is missing although source_offence_code is given; fill in "
                "source_classification or correct source_offence_code",
            ),
        ],
    )


def test_police_missing_rules():
    df = _one("police_missing", n=10)
    rep = df.loc[3, "reported_datetime"]
    df.loc[3, "found_datetime"] = rep - pd.Timedelta(hours=2)
    df.loc[5, "episode_id"] = df.loc[4, "episode_id"]
    eid = df.loc[4, "episode_id"]
    dup = (
        f"episode_id '{eid}' is not unique: it appears on rows 6, 7; give each row its own "
        "episode_id or remove the duplicate"
    )
    _check(
        df,
        "police_missing",
        [
            (
                5,
                "found_datetime",
                "police_missing.R07",
                f"found_datetime {rep - pd.Timedelta(hours=2):%Y-%m-%d %H:%M} is before "
                f"reported_datetime {rep:%Y-%m-%d %H:%M}; dates must run reported_datetime <= "
                "found_datetime",
            ),
            (6, "episode_id", "police_missing.R06", dup),
            (7, "episode_id", "police_missing.R06", dup),
        ],
    )


def test_unique_ids_of_persons_and_events():
    """police_persons.R06 and police_events.R06."""
    for kind, col in (("police_persons", "person_id"), ("police_events", "event_id")):
        df = _one(kind, n=8)
        df.loc[7, col] = df.loc[0, col]
        v = df.loc[0, col]
        msg = (
            f"{col} '{v}' is not unique: it appears on rows 2, 9; give each row its own "
            f"{col} or remove the duplicate"
        )
        rule = f"{kind}.R06"
        _check(df, kind, [(2, col, rule, msg), (9, col, rule, msg)])


def test_participants_r07_role_consistent():
    df = _one("participants", n=6)
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    df.loc[6, "phase"] = 4 if df.loc[0, "phase"] != 4 else 1
    df.loc[6, "role"] = "Managers" if df.loc[0, "role"] != "Managers" else "Parents"
    pid = df.loc[0, "participant_id"]
    roles = ", ".join(sorted(f"'{r}'" for r in (df.loc[0, "role"], df.loc[6, "role"])))
    msg = (
        f"role differs between rows of the same participant_id '{pid}': {roles} on rows "
        "2, 8; make them agree"
    )
    _check(
        df,
        "participants",
        [(2, "role", "participants.R07", msg), (8, "role", "participants.R07", msg)],
    )


@pytest.mark.parametrize(
    ("kind", "rule", "column"),
    [
        ("plans", "plans.R01", "domain_housing"),
        ("participants", "participants.R01", "phase"),
        ("police_persons", "police_persons.R01", "extract_date"),
        ("police_events", "police_events.R01", "offence_category"),
        ("police_missing", "police_missing.R01", "reported_datetime"),
    ],
)
def test_missing_required_column_of_every_other_kind(kind, rule, column):
    spec = load_spec(kind)
    assert spec.rule_for("columns_present").id == rule
    assert not spec.column(column).nullable
    df = _one(kind, n=4)
    aliases = ", ".join(spec.column(column).aliases)
    msg = (
        f"required column {column} is missing from the file (no column named "
        f"{column} or an alias ({aliases})), so none of its rows can be used; add it or map "
        "the supplier's name with --column-map FILE (column_map= in Python)"
    )
    _check(df.drop(columns=[column]), kind, [(1, column, rule, msg)])
    res = validate_extract(df.drop(columns=[column]), kind)
    assert res.n_rejected == 4 and res.n_valid == 0


def test_police_persons_r12_birth_month_matches_dob():
    df = _one("police_persons", n=50)
    both = np.flatnonzero((df["date_of_birth"].notna() & df["birth_month"].notna()).to_numpy())
    i = int(both[0])
    df.loc[i, "birth_month"] = "1999-01"
    dob = df.loc[i, "date_of_birth"]
    _check(
        df,
        "police_persons",
        [
            (
                i + 2,
                "birth_month",
                "police_persons.R12",
                f"birth_month '1999-01' disagrees with date_of_birth {dob:%Y-%m-%d}; correct one of "
                "them",
            ),
        ],
    )


# ----------------------------------------------------------------- file and plausibility rules


@pytest.mark.parametrize(
    "kind",
    ["service", "plans", "participants", "police_persons", "police_events", "police_missing"],
)
def test_r00_unparseable_line_is_counted_and_reported(tmp_path, kind):
    """R00 (records) of every kind: a line with an unclosed quote is one unparseable row."""
    rule = {
        "service": "service.R00",
        "plans": "plans.R00",
        "participants": "participants.R00",
        "police_persons": "police_persons.R00",
        "police_events": "police_events.R00",
        "police_missing": "police_missing.R00",
    }[kind]
    assert load_spec(kind).rule_for("records").id == rule
    path = to_csv(_one(kind, n=6), tmp_path / f"{kind}.csv", kind)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",", ',"', 1)  # row 4: a quote that never closes
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = validate_extract(path, kind)
    assert (res.n_input, res.n_unparseable) == (6, 1)
    assert res.n_valid + res.n_rejected + res.n_unparseable == res.n_input
    bad = res.rejected[res.rejected["rule"] == rule]
    assert bad["row"].tolist() == [4]
    assert "never closed" in bad["message"].iat[0]
    assert res.unparseable["line"].tolist() == [4]


@pytest.mark.parametrize(
    ("kind", "rule", "column", "value"),
    [
        ("service", "service.R21", "extract_date", "2037-03-31"),
        ("plans", "plans.R08", "plan_date", "2037-03-31"),
        ("participants", "participants.R08", "interview_date", "2037-03-31"),
        ("police_persons", "police_persons.R13", "extract_date", "2037-03-31"),
        ("police_events", "police_events.R11", "event_date", "2037-03-31"),
        ("police_missing", "police_missing.R08", "found_datetime", "2037-03-31 10:00"),
    ],
)
def test_no_date_after_the_run_date(kind, rule, column, value):
    df = _one(kind, n=5)
    df[column] = df[column].astype(object)
    df.loc[1, column] = value
    res = validate_extract(df, kind, run_date="2024-06-30")
    got = res.rejected[res.rejected["rule"] == rule]
    assert got["row"].tolist() == [3] and got["column"].tolist() == [column]
    assert "is after the run date 2024-06-30 (a date in the future)" in got["message"].iat[0]
    # the same file validated on a later run date passes that rule
    later = validate_extract(df, kind, run_date="2040-01-01")
    assert rule not in set(later.rejected["rule"])


@pytest.mark.parametrize(
    ("kind", "rule"), [("service", "service.R22"), ("police_persons", "police_persons.R14")]
)
def test_referral_long_before_extract_date(kind, rule):
    df = _one(kind, n=5)
    extract = pd.Timestamp(df.loc[0, "extract_date"])
    df.loc[0, "referral_date"] = extract - pd.DateOffset(years=15, days=1)
    df.loc[1, "referral_date"] = extract - pd.DateOffset(years=15)  # the boundary is allowed
    res = validate_extract(df, kind)
    got = res.rejected[res.rejected["rule"] == rule]
    assert got["row"].tolist() == [2]
    assert "is more than 15 years before extract_date" in got["message"].iat[0]
