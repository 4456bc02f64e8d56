"""The flow of referral episodes (socdata.soceis.flow) against a count by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import socdata
from socdata.errors import SocdataError
from socdata.paths import synthetic_dir
from socdata.soceis.flow import CLOSURE_REASONS, referral_flow
from socdata.validate import validate_extract


def _valid() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": ["p1", "p1", "p2", "p3", "p4", "p5", "p6"],
            "area": ["A", "A", "A", "B", "B", "B", "B"],
            "case_status": ["Closed", "Open", "Not allocated", "Closed", "Closed", "Unknown",
                            "Not started"],
            "closure_reason": ["Declined support", None, None, "Other", None, None, None],
        }
    )


def test_counts_by_hand():
    flow = referral_flow(_valid(), n_input=9, n_excluded=2)
    got = {(r.row_label, r.column_label): r.value for r in flow.itertuples()}
    assert got[("Referral episodes in extract", "Overall")] == 9
    assert got[("Excluded: failed validation", "Overall")] == 2
    assert ("Referral episodes in extract", "A") not in got  # overall only
    assert got[("Valid referral episodes", "A")] == 3
    assert got[("Valid referral episodes", "B")] == 4
    assert got[("Young people (distinct)", "Overall")] == 6
    assert got[("Excluded: not allocated", "A")] == 1
    assert got[("Excluded: not started", "B")] == 1
    assert got[("Excluded: case status unknown", "B")] == 1
    assert got[("Intervention started (open or closed)", "A")] == 2
    assert got[("Open at extract date", "Overall")] == 1
    assert got[("Closed", "B")] == 2
    assert got[("Closed: declined support", "A")] == 1
    assert got[("Closed: other", "B")] == 1
    assert got[("Closed: not recorded", "B")] == 1
    # every closed episode has exactly one reason step
    closed = sum(got[(f"Closed: {r.lower()}", "Overall")] for r in CLOSURE_REASONS)
    assert closed == got[("Closed", "Overall")] == 3
    assert list(flow.columns) == [
        "table_id", "row_label", "column_label", "measure", "value", "step", "step_kind"
    ]


def test_every_record_accounted_for():
    with pytest.raises(SocdataError, match="accounted for"):
        referral_flow(_valid(), n_input=10, n_excluded=2)
    with pytest.raises(SocdataError, match="case_status"):
        referral_flow(_valid().drop(columns="case_status"), n_input=7, n_excluded=0)


def test_bundled_service_extract_matches_its_validation():
    result = validate_extract(synthetic_dir() / "service.csv", "service")
    valid = socdata.read_extract(synthetic_dir(), "service", strict=False)
    flow = referral_flow(
        valid,
        n_input=result.n_input,
        n_excluded=result.n_rejected + result.n_unparseable,
    )
    overall = flow[flow["column_label"] == "Overall"].set_index("row_label")["value"]
    assert overall["Referral episodes in extract"] == result.n_input
    assert overall["Valid referral episodes"] == len(valid) == result.n_valid
