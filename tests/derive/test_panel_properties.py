"""Property-based checks of the panel builder against a day-by-day brute force."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socdata.derive.panel import person_month_panel
from socdata.errors import ExcludedRowsWarning

START = pd.Timestamp("2021-01-01")
DAY = st.integers(min_value=-40, max_value=240)  # days from START (some outside the window)


@st.composite
def extracts(draw):
    n = draw(st.integers(1, 4))
    ids = [f"SYN-P-{i}" for i in range(n)]
    ends = [START + pd.Timedelta(days=draw(st.integers(20, 200))) for _ in ids]
    groups = [draw(st.sampled_from(["Engager", "Comparator"])) for _ in ids]
    refs = [
        START + pd.Timedelta(days=draw(st.integers(0, 180))) if g == "Engager" else pd.NaT
        for g in groups
    ]
    persons = pd.DataFrame(
        {
            "person_id": ids,
            "group": groups,
            "area": "Cardiff",
            "police_force": "South Wales Police",
            "referral_date": pd.to_datetime(refs),
            "extract_date": pd.to_datetime(ends),
        }
    )
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["Arrest", "Offence", "Custody"]))
        d = START + pd.Timedelta(days=draw(DAY))
        end = pd.NaT
        if kind == "Custody" and draw(st.booleans()):
            end = d + pd.Timedelta(days=draw(st.integers(0, 90)))
        rows.append(
            (
                draw(st.sampled_from(ids)),
                d,
                kind,
                draw(st.sampled_from(["Drug offences", "Theft"])),
                end,
            )
        )
    events = pd.DataFrame(
        rows,
        columns=["person_id", "event_date", "event_type", "offence_category", "custody_end_date"],
    )
    events["event_date"] = pd.to_datetime(events["event_date"])
    events["custody_end_date"] = pd.to_datetime(events["custody_end_date"])
    mrows = [
        (draw(st.sampled_from(ids)), START + pd.Timedelta(days=draw(DAY), hours=5))
        for _ in range(draw(st.integers(0, 6)))
    ]
    missing = pd.DataFrame(mrows, columns=["person_id", "reported_datetime"])
    missing["reported_datetime"] = pd.to_datetime(missing["reported_datetime"])
    return persons, events, missing


def _brute(persons, events, missing):
    """Day-by-day expansion: one row per person-day, then monthly sums."""
    out = []
    for p in persons.itertuples():
        days = pd.date_range(START, p.extract_date, freq="D")
        free = pd.Series(True, index=days)
        ev = events[events.person_id == p.person_id]
        for c in ev[ev.event_type == "Custody"].itertuples():
            end = (
                c.custody_end_date
                if pd.notna(c.custody_end_date)
                else days[-1] + pd.Timedelta(days=1)
            )
            free[(free.index >= c.event_date) & (free.index < end)] = False
        inside = ev[(ev.event_date >= START) & (ev.event_date <= p.extract_date)]
        ms = missing[
            (missing.person_id == p.person_id)
            & (missing.reported_datetime >= START)
            & (missing.reported_datetime < p.extract_date + pd.Timedelta(days=1))
        ]
        month = free.index.to_period("M")
        frame = pd.DataFrame({"exposure_days": free.groupby(month).sum()})

        def monthly(s, index=frame.index):
            return s.dt.to_period("M").value_counts().reindex(index, fill_value=0)

        frame["arrests"] = monthly(inside.loc[inside.event_type == "Arrest", "event_date"])
        frame["offences"] = monthly(inside.loc[inside.event_type == "Offence", "event_date"])
        frame["drug_arrests"] = monthly(
            inside.loc[
                (inside.event_type == "Arrest") & (inside.offence_category == "Drug offences"),
                "event_date",
            ]
        )
        frame["missing_episodes"] = monthly(ms["reported_datetime"])
        frame["person_id"] = p.person_id
        out.append(frame)
    return pd.concat(out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extracts())
def test_panel_equals_day_by_day_brute_force(data):
    persons, events, missing = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        panel = person_month_panel(persons, events, missing, start=START)
    brute = _brute(persons, events, missing)
    cols = ["exposure_days", "arrests", "offences", "drug_arrests", "missing_episodes"]
    np.testing.assert_array_equal(panel[cols].to_numpy(), brute[cols].to_numpy())
    # flow: counted + excluded = rows in
    for step in panel.attrs["provenance"].flow.steps[:2]:
        assert step.n_in - step.n_out == sum(n for _, n in step.excluded)
