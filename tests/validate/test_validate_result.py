"""ValidationResult: tidy(), to_dict(), summary(), provenance, and frames with supplier names."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from socdata.datasets import random_extract
from socdata.results import TIDY_COLUMNS
from socdata.validate import PROBLEM_COLUMNS, validate_extract


def _broken():
    df = random_extract("participants", n=10, seed=2)
    df["role"] = df["role"].astype(object)
    df.loc[[1, 4], "role"] = "Parnet"
    df.loc[4, "phase"] = 7
    return df


def test_tidy_has_standard_columns_and_counts_rows():
    res = validate_extract(_broken(), "participants")
    tidy = res.tidy()
    assert list(tidy.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert tidy.set_index("term")["estimate"].to_dict() == {
        "participants.R04": 2.0,
        "participants.R05": 1.0,
    }
    assert (tidy["n"] == 10).all()


def test_to_dict_is_json_and_holds_no_row_values():
    res = validate_extract(_broken(), "participants")
    d = res.to_dict()
    json.dumps(d)
    assert d["n_input"] == 10 and d["n_rejected"] == 2 and d["n_problems"] == 3
    assert d["unmapped_labels"] == {"role": ["Parnet"]}
    assert "IP" not in json.dumps(d)  # no participant ids


def test_summary_and_problem_columns():
    res = validate_extract(_broken(), "participants")
    assert tuple(res.rejected.columns) == PROBLEM_COLUMNS
    text = res.summary()
    assert "rows read: 10; valid: 8; rejected: 2; unparseable: 0 (3 problems); warnings: 0" in text
    assert "participants.R04: 2 rows" in text and "row 3, role" in text


def test_provenance_flow_counts_each_rejected_row_once():
    res = validate_extract(_broken(), "participants")
    step = res.provenance.flow.steps[0]
    assert (step.n_in, step.n_out) == (10, 8)
    assert dict(step.excluded) == {"participants.R04": 2}
    assert res.provenance.inputs["source"].startswith("sha256:")


def test_provenance_of_a_file_is_the_sha256_of_its_bytes(tmp_path):
    import hashlib

    from socdata.datasets import to_csv

    path = to_csv(random_extract("participants", n=10, seed=2), tmp_path / "p.csv", "participants")
    res = validate_extract(path, "participants")
    want = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert res.provenance.inputs["source"] == want


def test_frame_with_supplier_column_names():
    df = pd.DataFrame(
        {
            "Participant ID": ["A", "B"],
            "Site": ["Cardiff", "Dundee"],
            "Participant role": ["parent", "Peer Mentor"],
            "Phase": ["2", 3],
        }
    )
    res = validate_extract(df, "participants")
    assert res.ok
    assert res.column_names == {
        "Participant ID": "participant_id",
        "Site": "area",
        "Participant role": "role",
        "Phase": "phase",
    }
    assert res.valid["role"].tolist() == ["Parents", "Peer mentors"]
    assert res.valid["phase"].tolist() == [2, 3]


def test_csv_title_block_above_header(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "SOCEIS interview log,,,\nExported 01/03/2023,,,\n,,,\n"
        "Participant ID,Area,Role,Phase\nIP1,Cardiff,Parents,1\nIP2,Cardiff,Parnet,1\n"
    )
    res = validate_extract(path, "participants")
    assert res.n_input == 2
    assert res.rejected["row"].tolist() == [6]


@pytest.mark.slow
def test_validating_100k_service_rows_takes_seconds_not_minutes(tmp_path):
    import time

    from socdata.datasets import to_csv

    base = random_extract("service", n=1000, seed=4)
    parts = []
    for k in range(100):
        part = base.copy()
        part["person_id"] = part["person_id"] + f"-{k}"
        part["referral_id"] = part["referral_id"] + f"-{k}"
        parts.append(part)
    big = pd.concat(parts, ignore_index=True)
    path = to_csv(big, tmp_path / "service.csv", "service")
    t0 = time.perf_counter()
    res = validate_extract(path, "service")
    elapsed = time.perf_counter() - t0
    assert res.n_input == 100_000 and res.ok
    assert elapsed < 90, f"validation of 100k rows took {elapsed:.0f} s"
