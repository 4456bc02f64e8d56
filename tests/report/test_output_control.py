"""Unit tests of the output-control layer: text, model outputs, exact copies, the request."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from socdata.report import DEFAULT_RULE_SET, get_rule_set, write_frame, write_table
from socdata.report.output_request import write_output_request
from socdata.report.survival import controlled_km_curve
from socdata.report.text_control import control_text


@pytest.mark.parametrize(
    ("text", "released"),
    [
        ("39 of 190 engagers not analysed", "40 of 190 engagers not analysed"),
        ("Dundee 10->11", "Dundee 10->10"),
        ("critical value t(333)", "critical value t(335)"),
        ("3 people", "<10 people"),
        ("0 people", "0 people"),
        ("Violence against the person (516)", "Violence against the person (515)"),
        ("81% (153/190)", "82% (155/190)"),
        ("67% (2/3)", "share not shown (n=<10)"),
        ("12-month windows, 2024/03, median 15.2", "12-month windows, 2024/03, median 15.2"),
        ("3 of 4 areas", "3 of 4 areas"),
    ],
)
def test_control_text(text, released):
    assert control_text(text, DEFAULT_RULE_SET) == released
    assert control_text(text, get_rule_set("none")) == text


def test_model_counts_and_dof_are_controlled(tmp_path):
    est = pd.DataFrame(
        {
            "term": ["att", "att small"],
            "estimate": [0.1, 0.2],
            "n": [334, 40],
            "n_clusters": [167, 8],
            "df": [333, 7],
            "note": ["t(333) critical value", "5 people dropped"],
        }
    )
    out = pd.read_csv(write_frame(est, tmp_path, name="est", disclosure=DEFAULT_RULE_SET))
    assert out.loc[0, "n"] == 335 and out.loc[0, "n_clusters"] == 165 and out.loc[0, "df"] == 335
    assert pd.isna(out.loc[1, "estimate"])  # residual df 7 < safe_dof_threshold
    assert pd.isna(out.loc[1, "df"]) and pd.isna(out.loc[1, "n_clusters"])
    assert out.loc[0, "note"] == "t(335) critical value"
    assert out.loc[1, "note"] == "<10 people dropped"


def test_exact_copy_is_dropped_and_people_counts_rounded(tmp_path):
    t = pd.DataFrame(
        {
            "row_label": ["A", "B"],
            "column_label": ["X", "X"],
            "measure": ["n", "n"],
            "value": [23, 31],
            "exact": [23, 31],
            "n_people": [23, 31],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = write_table(t, tmp_path, table_id="t", disclosure=DEFAULT_RULE_SET)
    out = pd.read_csv(path)
    assert "exact" not in out
    assert out["n_people"].tolist() == [25, 30]


def test_km_steps_are_each_backed_by_the_threshold():
    curve = pd.DataFrame(
        {
            "time": range(1, 31),
            "at_risk": range(60, 30, -1),
            "events": [1] * 30,
            "survival": [1 - k / 60 for k in range(1, 31)],
        }
    )
    steps = controlled_km_curve(curve, DEFAULT_RULE_SET)
    assert len(steps) == 3
    assert (steps["events"] >= 10).all() and (steps["at_risk"] % 5 == 0).all()
    assert controlled_km_curve(curve, get_rule_set("none"))["events"].eq(1).all()


def test_output_request_lists_every_output_with_a_status(tmp_path):
    t = pd.DataFrame(
        {
            "row_label": ["A", "B", "Total"],
            "column_label": "X",
            "measure": "n",
            "value": [3, 40, 43],
        }
    )
    write_table(t, tmp_path, table_id="t1", disclosure=DEFAULT_RULE_SET)
    (tmp_path / "tables" / "raw.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "f.png").write_bytes(b"\x89PNG\r\n")
    req = write_output_request(
        tmp_path, DEFAULT_RULE_SET, comments={"t1": "ok"}, exceptions={"f": "aggregate bars"}
    )
    data = json.loads((req / "results.json").read_text(encoding="utf-8"))
    res = data["results"]
    assert res["t1"]["status"] == "review"  # cells suppressed
    assert res["raw"]["status"] == "fail"  # not written through output control
    assert res["f"]["status"] == "review" and res["f"]["exception"] == "aggregate bars"
    assert "ok" in res["t1"]["comments"]
    assert data["rules"]["safe_threshold"] == 10
    assert (req / "checksums" / "t1.csv.txt").exists()
    record = pytest.importorskip(
        "acro.record", reason="ACRO not installed: pip install 'socdata[acro]'"
    )
    loaded = record.load_records(str(req))
    assert {k: loaded.get(k).status for k in loaded.get_keys()} == {
        "t1": "review",
        "raw": "fail",
        "f": "review",
    }
