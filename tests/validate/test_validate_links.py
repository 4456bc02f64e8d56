"""Rules across extracts (``links:`` in the schema files)."""

from __future__ import annotations

import pandas as pd
import pytest

from socdata.datasets import random_extract, to_csv
from socdata.schemas import LINK_CHECKS, load_spec
from socdata.validate import PROBLEM_COLUMNS, validate_extract, validate_links


def _police():
    persons = random_extract("police_persons", n=20, seed=1)
    events = random_extract("police_events", n=30, seed=1)
    missing = random_extract("police_missing", n=12, seed=1)
    return persons, events, missing


def test_consistent_extracts_have_no_link_problems():
    persons, events, missing = _police()
    out = validate_links(
        {"police_persons": persons, "police_events": events, "police_missing": missing}
    )
    assert out.empty and list(out.columns) == ["kind", *PROBLEM_COLUMNS]


def test_unknown_person_and_event_after_follow_up_end():
    persons, events, missing = _police()
    events.loc[3, "person_id"] = "N999999"
    pid = events.loc[5, "person_id"]
    end = persons.loc[persons["person_id"] == pid, "extract_date"].iat[0]
    events.loc[5, "event_date"] = end + pd.Timedelta(days=2)
    if events.loc[5, "event_type"] == "Custody":
        events.loc[5, "custody_end_date"] = end + pd.Timedelta(days=3)
    missing.loc[0, "reported_datetime"] = pd.Timestamp("2030-01-01 10:00")
    missing.loc[0, "found_datetime"] = pd.Timestamp("2030-01-02 10:00")
    mpid = missing.loc[0, "person_id"]
    mend = persons.loc[persons["person_id"] == mpid, "extract_date"].iat[0]
    out = validate_links(
        {"police_persons": persons, "police_events": events, "police_missing": missing},
        show_identifiers=True,
    )
    got = sorted(map(tuple, out[["kind", "row", "column", "rule", "message"]].values.tolist()))
    assert got == sorted(
        [
            (
                "police_events",
                5,
                "person_id",
                "police_events.L01",
                "person_id 'N999999' is not in the police_persons extract (person_id); check the id "
                "or send the police_persons extract that holds it",
            ),
            (
                "police_events",
                7,
                "event_date",
                "police_events.L02",
                f"event_date {end + pd.Timedelta(days=2):%Y-%m-%d} is after extract_date "
                f"{end:%Y-%m-%d} of person_id '{pid}' in the police_persons extract; correct the "
                "date or the follow-up end",
            ),
            (
                "police_missing",
                2,
                "reported_datetime",
                "police_missing.L02",
                f"reported_datetime 2030-01-01 10:00 is after extract_date {mend:%Y-%m-%d} of "
                f"person_id '{mpid}' in the police_persons extract; correct the date or the "
                "follow-up end",
            ),
        ]
    )
    masked = validate_links({"police_persons": persons, "police_events": events})
    assert "N999999" not in " ".join(masked["message"]) + " ".join(masked["value"])


def test_same_day_datetime_is_not_after_the_date():
    persons, _, missing = _police()
    pid = missing.loc[0, "person_id"]
    end = persons.loc[persons["person_id"] == pid, "extract_date"].iat[0]
    missing.loc[0, "reported_datetime"] = end + pd.Timedelta(hours=23)
    missing.loc[0, "found_datetime"] = end + pd.Timedelta(hours=23, minutes=30)
    out = validate_links({"police_persons": persons, "police_missing": missing})
    assert out.empty
    # control: the next calendar day is after the follow-up end and is flagged
    missing.loc[0, "reported_datetime"] = end + pd.Timedelta(days=1)
    missing.loc[0, "found_datetime"] = end + pd.Timedelta(days=1, minutes=30)
    out = validate_links({"police_persons": persons, "police_missing": missing})
    assert out[["row", "column", "rule"]].values.tolist() == [
        [2, "reported_datetime", "police_missing.L02"]
    ]


def test_plans_link_is_a_warning_and_rows_come_from_the_file(tmp_path):
    service = random_extract("service", n=10, seed=2)
    plans = random_extract("plans", n=6, seed=2)
    plans["person_id"] = service["person_id"].iloc[:6].to_numpy()
    plans.loc[4, "person_id"] = "ZZZ"
    path = to_csv(plans, tmp_path / "plans.csv", "plans")
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1], ",,,", *lines[2:]]) + "\n")  # blank row 3
    res = validate_extract(path, "plans")
    out = validate_links({"service": service, "plans": res})
    assert out[["row", "rule", "severity"]].values.tolist() == [[7, "plans.L01", "warning"]]


def test_links_skip_when_the_other_extract_is_absent():
    _, events, _ = _police()
    events.loc[0, "person_id"] = "nobody"
    assert validate_links({"police_events": events}).empty


def test_link_specs_are_well_formed():
    for kind in ("plans", "police_events", "police_missing"):
        spec = load_spec(kind)
        assert spec.links
        for link in spec.links:
            assert link.check in LINK_CHECKS
            other = load_spec(link.params["other"])
            assert link.params["other_column"] in other.names


def test_bad_input_type():
    with pytest.raises(TypeError, match="DataFrames or ValidationResults"):
        validate_links({"plans": [1, 2]})
