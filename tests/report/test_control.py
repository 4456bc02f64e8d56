"""Unit tests of the output-control layer (socdata.report.control) against hand arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from socdata.report.control import (
    Registry,
    control_model_frame,
    control_survival_curve,
    control_text,
    count_formatter,
)
from socdata.report.disclosure import DEFAULT_RULE_SET, apply_to_table, get_rule_set
from socdata.report.tables import write_frame, write_table

RULES = DEFAULT_RULE_SET


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("81% (153/190)", "82% (155/190)"),  # 155/190 = 81.58 -> 82
        ("39 of 190 engagers not analysed", "40 of 190 engagers not analysed"),
        ("3 of 57", "[c] of 55"),
        ("CRV1 cluster-robust t(333)", "CRV1 cluster-robust t(335)"),
        ("Dundee 10->11; Edinburgh 7->0", "Dundee 10->10; Edinburgh [c]->0"),
        ("since 2020-02-26, rule R07, 12.5%, months -12..-1", "since 2020-02-26, rule R07, 12.5%, months -12..-1"),
        ("anticipation=3, n=167", "anticipation=3, n=165"),
        ("in 2023", "in 2023"),
    ],
)
def test_control_text(text, expected):
    assert control_text(text, RULES) == expected


def test_control_text_is_identity_without_control():
    assert control_text("81% (153/190), 3 of 4", "none") == "81% (153/190), 3 of 4"


def test_count_formatter():
    fmt = count_formatter(RULES)
    assert [fmt(v) for v in (0, 1, 9, 10, 12, 13, 167)] == ["0", "[c]", "[c]", "10", "10", "15", "165"]
    assert count_formatter("none")(167) == "167"


def test_shares_come_from_released_counts():
    t = pd.DataFrame(
        {
            "table_id": "t",
            "row_label": ["Yes", "Yes"],
            "column_label": ["Cardiff", "Cardiff"],
            "measure": ["n", "pct"],
            "value": [23, 100 * 23 / 26],
            "numerator": [23, 23],
            "denominator": [26, 26],
            "conf_low": [np.nan, 71.0],
            "conf_high": [np.nan, 96.0],
            "fraction_word": [None, "nine tenths"],
        }
    )
    out = apply_to_table(t, RULES).set_index("measure")
    lo, hi = proportion_confint(25, 25, alpha=0.05, method="wilson")
    assert out.loc["pct", "value"] == 100  # 25/25, not the exact 88%
    assert out.loc["pct", "conf_low"] == math.floor(100 * lo + 0.5)
    assert out.loc["pct", "conf_high"] == math.floor(100 * hi + 0.5)
    assert out.loc["pct", "fraction_word"] == "all"


def test_model_frame_rounds_counts_precision_and_refuses_small_dof():
    frame = pd.DataFrame(
        {
            "term": ["a", "b"],
            "estimate": [0.0059880239521, 1.23456],
            "std_error": [0.0716161898415, 0.5],
            "conf_low": [-0.134889, 0.2],
            "conf_high": [0.146865, 2.2],
            "n": [167, 12],
            "n_clusters": [334, 12],
            "df": [333, 4],
            "ci_type": ["t(333)", "t(4)"],
        }
    )
    out = control_model_frame(frame, RULES, text_columns=["ci_type"])
    assert out.loc[0, "estimate"] == 0.006  # two significant digits of SE 0.072 -> 3 dp
    assert out.loc[0, "ci_type"] == "t(335)"
    assert out.loc[1, "dof_check"].startswith("fail")
    assert out.iloc[1][["estimate", "n", "df"]].isna().all()


def test_write_frame_rounds_model_counts(tmp_path):
    frame = pd.DataFrame({"estimator": ["x"], "estimate": [0.1], "n": [167], "n_engagers": [13]})
    path = write_frame(frame, tmp_path, name="m", disclosure=RULES)
    out = pd.read_csv(path)
    assert out.loc[0, "n"] == 165 and out.loc[0, "n_engagers"] == 15


def test_survival_curve_steps_have_enough_events():
    curves = pd.DataFrame(
        {
            "group": "A",
            "time": np.arange(8.0),
            "at_risk": [60, 55, 48, 40, 31, 22, 15, 9],
            "events": [5, 7, 8, 9, 9, 7, 6, 2],
            "survival": np.linspace(0.9, 0.2, 8),
        }
    )
    out = control_survival_curve(curves, RULES)
    # merged by hand: 5+7=12 (t=1), 8+9=17 (t=3), 9+7=16 (t=5); t=6 has 6 events then the
    # risk set falls under 10
    assert out["time"].tolist() == [1.0, 3.0, 5.0]
    assert (out["events"] >= 10).all() and (out["events"] % 5 == 0).all()
    assert control_survival_curve(curves, "none").shape[0] == 8


def _table(tid, rows):
    return pd.DataFrame(
        [
            {"table_id": tid, "row_label": r, "column_label": c, "measure": "n", "value": v}
            for r, c, v in rows
        ]
    )


def test_registry_protects_a_cell_in_every_table_of_its_population(tmp_path):
    first = _table("t1", [("Closed", "Cardiff", 4), ("Closed", "Dundee", 30), ("Open", "Cardiff", 40)])
    write_table(first, tmp_path, disclosure=RULES, population="p")
    second = _table("t2", [("Closed", "Cardiff", 15), ("Open", "Cardiff", 20)])
    out = pd.read_csv(write_table(second, tmp_path, disclosure=RULES, population="p"))
    row = out.set_index(["row_label", "column_label"]).loc[("Closed", "Cardiff")]
    assert pd.isna(row["value"])
    assert row["disclosure_status"] == "suppressed (protected in another table)"
    assert Registry(tmp_path).conflicts() == {}


def test_registry_finds_a_cell_an_earlier_table_showed(tmp_path):
    write_table(_table("t1", [("Closed", "Cardiff", 15)]), tmp_path, disclosure=RULES, population="p")
    write_table(_table("t2", [("Closed", "Cardiff", 4)]), tmp_path, disclosure=RULES, population="p")
    assert Registry(tmp_path).conflicts() == {"t1": [("Closed", "Cardiff", "t2")]}


def test_rule_set_in_acro_vocabulary():
    params = get_rule_set("soceis-default-v1").acro_parameters()
    assert params["safe_threshold"] == 10 and params["safe_dof_threshold"] == 10
    assert params["safe_round_base"] == 5 and params["survival_safe_threshold"] == 10


def test_extra_count_columns_of_a_tidy_table_are_controlled(tmp_path):
    t = _table("t", [("A", "x", 40), ("B", "x", 30)]).assign(n_people=[13, 7])
    out = pd.read_csv(write_table(t, tmp_path, disclosure=RULES))
    assert out["n_people"].iloc[0] == 15 and pd.isna(out["n_people"].iloc[1])
