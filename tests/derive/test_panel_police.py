"""Person-month panel against a hand-built toy extract (hand-computed expectations)."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

from socdata.derive.panel import (
    PANEL_COLUMNS,
    person_month_panel,
    validate_panel,
)
from socdata.errors import ExcludedRowsWarning, ExtractValidationError, SocdataError

NAT = pd.NaT


def _toy():
    persons = pd.DataFrame(
        {
            "person_id": ["P1", "P2", "P3", "P4"],
            "group": ["Engager", "Engager", "Comparator", "Comparator"],
            "police_force": ["South Wales Police"] * 4,
            "area": ["Cardiff"] * 4,
            "gender": ["Male"] * 4,
            "referral_date": pd.to_datetime(["2021-03-15", "2021-02-01", NAT, NAT]),
            "extract_date": pd.to_datetime(
                ["2021-06-10", "2021-06-30", "2021-06-30", "2021-06-30"]
            ),
        }
    )
    ev = [
        # P1: drug arrest before referral, arrest ON the extract date (counted),
        # an offence after the extract date and an arrest before the start (not counted)
        ("P1", "2021-03-10", "Arrest", "Drug offences", NAT),
        ("P1", "2021-03-10", "Offence", "Drug offences", NAT),
        ("P1", "2021-06-10", "Arrest", "Violence against the person", NAT),
        ("P1", "2021-06-11", "Offence", "Theft", NAT),
        ("P1", "2020-12-31", "Arrest", "Theft", NAT),
        # P2: first seen after referral
        ("P2", "2021-05-20", "Offence", "Theft", NAT),
        ("P2", "2021-05-20", "Arrest", "Theft", NAT),
        # P4: custody 10 Feb - 4 Apr (released 5 Apr), a spell inside it (merged),
        # an open spell from 1 June; an offence recorded in custody still counts
        ("P4", "2021-02-10", "Custody", "Not applicable", "2021-04-05"),
        ("P4", "2021-03-01", "Custody", "Not applicable", "2021-03-20"),
        ("P4", "2021-06-01", "Custody", "Not applicable", NAT),
        ("P4", "2021-03-01", "Offence", "Robbery", NAT),
        # unknown person
        ("PX", "2021-03-01", "Arrest", "Theft", NAT),
    ]
    events = pd.DataFrame(
        ev,
        columns=["person_id", "event_date", "event_type", "offence_category", "custody_end_date"],
    )
    events.insert(0, "event_id", [f"E{i}" for i in range(len(events))])
    events["event_date"] = pd.to_datetime(events["event_date"])
    events["custody_end_date"] = pd.to_datetime(events["custody_end_date"])
    missing = pd.DataFrame(
        {
            "episode_id": ["M1", "M2"],
            "person_id": ["P1", "P2"],
            "reported_datetime": pd.to_datetime(["2021-01-05 10:00", "2021-06-30 23:00"]),
            "found_datetime": pd.to_datetime(["2021-01-05 20:00", NAT]),
        }
    )
    return persons, events, missing


def _build(**kw):
    p, e, m = _toy()
    with pytest.warns(ExcludedRowsWarning, match="3 of 12 event rows"):
        return person_month_panel(p, e, m, start="2021-01-01", **kw)


def test_toy_panel_matches_hand_computation():
    panel = _build()
    assert list(panel.columns) == list(PANEL_COLUMNS)
    months = pd.date_range("2021-01-01", periods=6, freq="MS")
    # every person x month from January to their extract month
    assert panel.groupby("person_id").size().to_dict() == {"P1": 6, "P2": 6, "P3": 6, "P4": 6}
    p1 = panel[panel.person_id == "P1"].set_index("month")
    assert p1.index.equals(pd.DatetimeIndex(months, name="month"))
    assert p1["exposure_days"].tolist() == [31, 28, 31, 30, 31, 10]  # cut at 10 June
    assert p1["arrests"].tolist() == [0, 0, 1, 0, 0, 1]  # arrest on the extract date counts
    assert p1["offences"].tolist() == [0, 0, 1, 0, 0, 0]
    assert p1["drug_arrests"].tolist() == [0, 0, 1, 0, 0, 0]
    assert p1["missing_episodes"].tolist() == [1, 0, 0, 0, 0, 0]
    assert (p1["cohort"] == pd.Timestamp("2021-03-01")).all()
    assert p1["months_since_referral"].tolist() == [-2, -1, 0, 1, 2, 3]
    assert p1["post"].tolist() == [0, 0, 1, 1, 1, 1]
    assert (p1["treated"] == 1).all()

    p2 = panel[panel.person_id == "P2"].set_index("month")
    assert p2["arrests"].tolist() == [0, 0, 0, 0, 1, 0]  # zeros before first record
    assert p2["missing_episodes"].tolist() == [0, 0, 0, 0, 0, 1]  # on the extract date
    assert p2["months_since_referral"].tolist() == [-1, 0, 1, 2, 3, 4]
    assert p2["exposure_days"].tolist() == [31, 28, 31, 30, 31, 30]

    p3 = panel[panel.person_id == "P3"]
    assert (p3[["arrests", "offences", "missing_episodes", "drug_arrests"]] == 0).all().all()
    assert p3["cohort"].isna().all() and p3["months_since_referral"].isna().all()
    assert (p3["post"] == 0).all() and (p3["treated"] == 0).all()

    p4 = panel[panel.person_id == "P4"].set_index("month")
    # Feb: 10-28 in custody (19 days) -> 9; March all; April 1-4 -> 26; June open spell -> 0
    assert p4["exposure_days"].tolist() == [31, 9, 0, 26, 31, 0]
    assert p4["offences"].tolist() == [0, 0, 1, 0, 0, 0]


def test_flow_counts_every_excluded_row():
    panel = _build()
    step = panel.attrs["provenance"].flow.steps[0]
    assert (step.n_in, step.n_out) == (12, 9)
    assert dict(step.excluded) == {
        "person_id not in police_persons": 1,
        "outside the observation window": 2,
    }


def test_index_dates_give_comparators_a_cohort():
    panel = _build(index_dates={"P3": "2021-04-20"})
    p3 = panel[panel.person_id == "P3"]
    assert p3["months_since_referral"].tolist() == [-3, -2, -1, 0, 1, 2]
    assert p3["post"].tolist() == [0, 0, 0, 1, 1, 1]
    assert (p3["treated"] == 0).all()
    with pytest.raises(SocdataError, match="index_dates"):
        p, e, m = _toy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExcludedRowsWarning)
            person_month_panel(p, e, m, start="2021-01-01", index_dates={"nobody": "2021-01-01"})


def test_end_cuts_follow_up_and_inputs_are_not_modified():
    p, e, m = _toy()
    copies = [x.copy() for x in (p, e, m)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        panel = person_month_panel(p, e, m, start="2021-01-01", end="2021-03-15")
    for a, b in zip(copies, (p, e, m), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert panel["month"].max() == pd.Timestamp("2021-03-01")
    assert panel.loc[panel.month == "2021-03-01", "exposure_days"].tolist() == [15, 15, 15, 0]


def test_bad_input_raises_clear_errors():
    p, e, m = _toy()
    with pytest.raises(SocdataError, match="referral_date"):
        person_month_panel(p.assign(referral_date=NAT), e, m, start="2021-01-01")
    with pytest.raises(SocdataError, match="duplicated person_id"):
        person_month_panel(pd.concat([p, p.iloc[[0]]]), e, m, start="2021-01-01")
    with pytest.raises(SocdataError, match="no column"):
        person_month_panel(p.drop(columns="area"), e, m)
    with pytest.raises(SocdataError, match="allowed values"):
        person_month_panel(p.assign(group="Treated"), e, m)


def test_schema_rejects_inconsistent_panel():
    panel = _build()
    validate_panel(panel)
    bad = panel.copy()
    bad.loc[0, "post"] = 1  # before referral but flagged post
    with pytest.raises(ExtractValidationError, match="post is 1 exactly when"):
        validate_panel(bad)
    bad = panel.copy()
    bad.loc[0, "exposure_days"] = 40
    with pytest.raises(ExtractValidationError, match="exposure_days"):
        validate_panel(bad)


def test_panel_totals_equal_extract_totals_on_generated_data():
    from socdata.datasets.police import generate

    d = generate(3, scale=0.5)
    panel = person_month_panel(d["police_persons"], d["police_events"], d["police_missing"])
    ev = d["police_events"]
    assert panel["arrests"].sum() == (ev.event_type == "Arrest").sum()
    assert panel["offences"].sum() == (ev.event_type == "Offence").sum()
    assert panel["missing_episodes"].sum() == len(d["police_missing"])
    # brute-force exposure for a few people with custody: day by day
    cust = ev[ev.event_type == "Custody"]
    persons = d["police_persons"].set_index("person_id")
    for pid in cust.person_id.unique()[:5]:
        days = pd.date_range(panel.month.min(), persons.loc[pid, "extract_date"], freq="D")
        free = pd.Series(True, index=days)
        for r in cust[cust.person_id == pid].itertuples():
            end = (
                r.custody_end_date
                if pd.notna(r.custody_end_date)
                else days[-1] + pd.Timedelta(days=1)
            )
            free[(free.index >= r.event_date) & (free.index < end)] = False
        expect = free.groupby(free.index.to_period("M")).sum().to_numpy()
        got = panel.loc[panel.person_id == pid, "exposure_days"].to_numpy()
        np.testing.assert_array_equal(got, expect)


@pytest.mark.slow
def test_panel_is_vectorised_100k_people():
    rng = np.random.default_rng(0)
    n = 100_000
    persons = pd.DataFrame(
        {
            "person_id": [f"SYN-P-{i:07d}" for i in range(n)],
            "group": np.where(rng.random(n) < 0.2, "Engager", "Comparator"),
            "area": "Cardiff",
            "police_force": "South Wales Police",
            "extract_date": pd.Timestamp("2023-12-31"),
        }
    )
    persons["referral_date"] = pd.Series(
        pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    ).where(persons["group"] == "Engager")
    k = 1_000_000
    events = pd.DataFrame(
        {
            "event_id": np.arange(k).astype(str),
            "person_id": persons["person_id"].to_numpy()[rng.integers(0, n, k)],
            "event_date": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1461, k), unit="D"),
            "event_type": rng.choice(["Arrest", "Offence"], k),
            "offence_category": "Theft",
        }
    )
    missing = pd.DataFrame(
        {
            "episode_id": ["m"],
            "person_id": ["SYN-P-0000000"],
            "reported_datetime": [pd.Timestamp("2020-02-01")],
        }
    )
    t = time.perf_counter()
    panel = person_month_panel(persons, events, missing, start="2020-01-01", validate=False)
    elapsed = time.perf_counter() - t
    assert len(panel) == n * 48
    assert elapsed < 60, elapsed  # a per-person Python loop takes minutes; CI machines vary


def test_yaml_schema_agrees_with_builder():
    """The YAML schema (foundation format) validates built panels and has their columns."""
    from socdata.derive.panel import PANEL_SCHEMA_FILE
    from socdata.schemas import load_spec
    from socdata.schemas.pandera_model import build_pandera_schema

    spec = load_spec("person_month_panel", folder=PANEL_SCHEMA_FILE.parent)
    assert tuple(c.name for c in spec.columns) == PANEL_COLUMNS
    model = build_pandera_schema(spec)
    panel = _build(index_dates={"P3": "2021-04-20"})
    model.validate(panel, lazy=True)
    bad = panel.copy()
    bad.loc[bad.person_id == "P1", "treated"] = 0  # an engager marked untreated
    with pytest.raises(Exception, match="treated"):
        model.validate(bad, lazy=True)


def test_comparator_used_twice_appears_once_per_index_date():
    idx = pd.DataFrame(
        {"person_id": ["P4", "P4", "P3"], "index_date": ["2021-02-03", "2021-05-30", "2021-03-01"]}
    )
    panel = _build(index_dates=idx)
    assert sorted(panel["person_id"].unique()) == ["P1", "P2", "P3", "P4#1", "P4#2"]
    a = panel[panel.person_id == "P4#1"]
    b = panel[panel.person_id == "P4#2"]
    # same records and exposure, different cohorts
    np.testing.assert_array_equal(a["exposure_days"], [31, 9, 0, 26, 31, 0])
    np.testing.assert_array_equal(a["offences"].to_numpy(), b["offences"].to_numpy())
    assert a["months_since_referral"].tolist() == [-1, 0, 1, 2, 3, 4]
    assert b["months_since_referral"].tolist() == [-4, -3, -2, -1, 0, 1]
    assert panel[panel.person_id == "P3"]["cohort"].iloc[0] == pd.Timestamp("2021-03-01")
    assert (panel.loc[panel.person_id.str.startswith("P4"), "treated"] == 0).all()
    named = idx.assign(unit_id=["m1", "m2", "m3"])
    panel2 = _build(index_dates=named)
    assert sorted(panel2["person_id"].unique()) == ["P1", "P2", "m1", "m2", "m3"]
    with pytest.raises(SocdataError, match="unit id"):
        _build(index_dates=idx.assign(unit_id=["P1", "x", "y"]))
