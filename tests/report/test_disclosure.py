"""Disclosure control applied to tables: rule sets, hand-built tables, bases and frames.

The oracles (``tests/report/disclosure_oracles.py``) are independent of the graph algorithm
in ``socdata.report.suppression``; the property tests of that search are in
``test_suppression.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socdata.errors import DisclosureError, SocdataError
from socdata.report import (
    DEFAULT_RULE_SET,
    RULE_SETS,
    RuleSet,
    apply_to_frame,
    apply_to_table,
    get_rule_set,
    recoverable_cells,
    secondary_suppression,
)
from socdata.report.disclosure import round_to_base
from tests.report.disclosure_oracles import (
    chain_attack,
    determined_by_linear_algebra,
    equations,
    make_table,
    suppressed_counts,
)

# ------------------------------------------------------------------------------- rule sets


def test_default_rule_set_is_named_and_registered():
    assert DEFAULT_RULE_SET.name == "soceis-default-v1"
    assert get_rule_set("soceis-default-v1") is DEFAULT_RULE_SET
    assert {"none", "soceis-strict-v1", "soceis-internal-v1"} <= set(RULE_SETS)
    assert "1-9" in DEFAULT_RULE_SET.describe()


def test_unknown_rule_set_lists_the_choices():
    with pytest.raises(DisclosureError, match="soceis-default-v1") as err:
        get_rule_set("strictest")
    assert isinstance(err.value, SocdataError)


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [(0, 5, 0), (12, 5, 10), (13, 5, 15), (57, 5, 55), (58, 5, 60), (15, 10, 20), (7, 1, 7)],
)
def test_round_to_base(value, base, expected):
    assert round_to_base(value, base) == expected


# ------------------------------------------------------------------------------- hand-built


def test_primary_rounding_and_secondary_on_hand_built_table():
    t = make_table(
        {"Children's Services": [20, 3, 15], "Police": [12, 25, 4], "Other": [30, 14, 22]},
        ["Cardiff", "Edinburgh", "Newcastle"],
    )
    before = t.copy()
    out = apply_to_table(t, "soceis-default-v1")
    pd.testing.assert_frame_equal(t, before)  # input not mutated
    status = out.set_index(["row_label", "column_label"])["disclosure_status"]
    value = out.set_index(["row_label", "column_label"])["value"]
    assert status[("Children's Services", "Edinburgh")] == "suppressed (count 1-9)"
    assert status[("Police", "Newcastle")] == "suppressed (count 1-9)"
    # minimal protection: the two primaries plus two cells closing a 4-cycle
    supp = suppressed_counts(out)
    assert len(supp) == 4
    assert {("Children's Services", "Newcastle"), ("Police", "Edinburgh")} <= supp
    assert value[("Other", "Cardiff")] == 30
    assert value[("Total", "Overall")] == 145  # 145 is a multiple of 5
    assert value[("Other", "Overall")] == 65  # 66 -> 65
    assert (out["disclosure"] == "soceis-default-v1").all()
    shown = out[~out["disclosure_status"].str.startswith("suppressed")]
    assert (shown["value"] % 5 == 0).all()


def test_single_small_cell_is_not_recoverable_by_subtraction():
    t = make_table({"A": [40, 5], "B": [30, 30]}, ["X", "Y"])
    out = apply_to_table(t, DEFAULT_RULE_SET)
    supp = suppressed_counts(out)
    assert ("A", "Y") in supp
    cells = {
        (r, c): v for r, c, v in zip(t["row_label"], t["column_label"], t["value"], strict=True)
    }
    eqs = equations(cells, ["A", "B"], ["X", "Y"], True, True)
    assert not chain_attack(cells, supp, eqs)
    assert not determined_by_linear_algebra(supp, eqs)


def test_bridge_between_two_protected_blocks_is_protected():
    # Two 4-cycles of suppressed cells joined by one suppressed cell: every row and
    # column has 0 or >= 2 suppressed cells, yet the joining cell is recoverable.
    cells = {}
    rows, cols = ["r1", "r2", "r3", "r4"], ["c1", "c2", "c3", "c4"]
    vals = np.arange(16).reshape(4, 4) + 20
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            cells[(r, c)] = int(vals[i, j])
        cells[(r, "Overall")] = int(vals[i].sum())
    for j, c in enumerate(cols):
        cells[("Total", c)] = int(vals[:, j].sum())
    cells[("Total", "Overall")] = int(vals.sum())
    pattern = {
        ("r1", "c1"),
        ("r1", "c2"),
        ("r2", "c1"),
        ("r2", "c2"),
        ("r3", "c3"),
        ("r3", "c4"),
        ("r4", "c3"),
        ("r4", "c4"),
        ("r1", "c3"),
    }
    eqs = equations(cells, rows, cols, True, True)
    assert determined_by_linear_algebra(pattern, eqs) == {("r1", "c3")}  # the oracle sees it
    assert recoverable_cells(cells, pattern) == [("r1", "c3")]  # and so does the library
    extra = secondary_suppression(cells, pattern)
    assert extra and not determined_by_linear_algebra(pattern | extra, eqs)


def test_table_without_margins_needs_no_secondary_suppression():
    t = make_table({"A": [40, 5], "B": [30, 30]}, ["X", "Y"], row_margin=False, col_margin=False)
    out = apply_to_table(t, DEFAULT_RULE_SET)
    assert suppressed_counts(out) == {("A", "Y")}


def test_column_margin_only_protects_within_rows():
    t = make_table({"A": [40, 5, 12], "B": [30, 30, 30]}, ["X", "Y", "Z"], row_margin=False)
    out = apply_to_table(t, DEFAULT_RULE_SET)
    supp = suppressed_counts(out)
    assert supp == {("A", "Y"), ("A", "Z")}  # smallest partner in the same row
    cells = {
        (r, c): v for r, c, v in zip(t["row_label"], t["column_label"], t["value"], strict=True)
    }
    eqs = equations(cells, ["A", "B"], ["X", "Y", "Z"], False, True)
    assert not determined_by_linear_algebra(supp, eqs)


def test_zero_is_shown_and_not_preferred_as_secondary():
    t = make_table({"A": [40, 5, 0], "B": [30, 30, 20]}, ["X", "Y", "Z"])
    out = apply_to_table(t, DEFAULT_RULE_SET).set_index(["row_label", "column_label"])
    assert out.loc[("A", "Z"), "disclosure_status"] == "rounded"
    assert out.loc[("A", "Z"), "value"] == 0


def test_percentages_follow_their_counts_and_bases():
    t = pd.DataFrame(
        {
            "table_id": "p",
            "row_label": ["Closed", "Closed", "Open", "Open", "Tiny", "Tiny", "Nobase"],
            "column_label": ["Cardiff"] * 7,
            "measure": ["n", "pct", "n", "pct", "n", "pct", "pct"],
            "value": [31, 54.386, 4, 7.0175, 12, 100.0, 50.0],
            "numerator": [np.nan, 31, np.nan, 4, np.nan, 12, np.nan],
            "denominator": [np.nan, 57, np.nan, 57, np.nan, 12, np.nan],
            "conf_low": [np.nan, 41.6, np.nan, 2.8, np.nan, 75.8, np.nan],
            "conf_high": [np.nan, 66.6, np.nan, 16.7, np.nan, 100.0, np.nan],
        }
    )
    out = apply_to_table(t, DEFAULT_RULE_SET).set_index(["row_label", "measure"])
    assert out.loc[("Closed", "pct"), "numerator"] == 30  # counts rounded to 5
    assert out.loc[("Closed", "pct"), "denominator"] == 55
    # the percentage and its interval come from the released counts 30/55, not from the
    # exact 31/57: published beside rounded counts, the exact ones would pin 31/57
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(30, 55, alpha=0.05, method="wilson")
    assert out.loc[("Closed", "pct"), "value"] == 55  # 54.5 half up
    assert out.loc[("Closed", "pct"), "conf_low"] == round(100 * lo)
    assert out.loc[("Closed", "pct"), "conf_high"] == round(100 * hi)
    assert out.loc[("Closed", "pct"), "disclosure_status"] == "derived from released counts"
    assert out.loc[("Open", "n"), "disclosure_status"] == "suppressed (count 1-9)"
    assert out.loc[("Open", "pct"), "disclosure_status"].startswith("suppressed")
    assert pd.isna(out.loc[("Open", "pct"), "value"])
    assert pd.isna(out.loc[("Open", "pct"), "conf_low"])
    assert pd.isna(out.loc[("Open", "pct"), "numerator"])
    assert out.loc[("Tiny", "pct"), "value"] == 100  # base 12, count 12: publishable
    assert out.loc[("Nobase", "pct"), "disclosure_status"] == "suppressed (base unknown)"


def test_base_under_ten_and_min_max():
    t = pd.DataFrame(
        {
            "table_id": "ages",
            "row_label": ["Age", "Age", "Age", "Age", "Age", "Age"],
            "column_label": ["Cardiff", "Cardiff", "Cardiff", "Dundee", "Dundee", "Dundee"],
            "measure": ["mean", "min", "max", "mean", "min", "max"],
            "value": [14.56, 11, 18, 15.0, 13, 17],
            "denominator": [57, 57, 57, 6, 6, 6],
        }
    )
    out = apply_to_table(t, DEFAULT_RULE_SET).set_index(["column_label", "measure"])
    assert out.loc[("Cardiff", "mean"), "value"] == 14.6
    assert (
        out.loc[("Cardiff", "min"), "disclosure_status"]
        == "suppressed (min/max of individual values)"
    )
    assert out.loc[("Dundee", "mean"), "disclosure_status"] == "suppressed (base under 10)"
    assert out.loc[("Cardiff", "mean"), "denominator"] == 55
    internal = apply_to_table(t, "soceis-internal-v1").set_index(["column_label", "measure"])
    assert internal.loc[("Cardiff", "max"), "value"] == 18
    assert internal.loc[("Dundee", "max"), "disclosure_status"] == "suppressed (base under 10)"


def test_none_rule_set_changes_nothing():
    t = make_table({"A": [40, 5], "B": [30, 30]}, ["X", "Y"])
    out = apply_to_table(t, "none")
    pd.testing.assert_series_equal(out["value"], t["value"])
    assert (out["disclosure"] == "none").all()
    assert (out["disclosure_status"] == "not applied").all()


def test_strict_rule_set_rounds_to_ten():
    t = make_table({"A": [44, 25], "B": [36, 30]}, ["X", "Y"])
    out = apply_to_table(t, "soceis-strict-v1").set_index(["row_label", "column_label"])
    assert out.loc[("A", "X"), "value"] == 40
    assert out.loc[("A", "Y"), "value"] == 30  # 25 rounds half up to 30


def test_custom_rule_set_threshold():
    rules = RuleSet(name="custom-threshold-5", threshold=5, rounding_base=1, min_base=5)
    t = make_table({"A": [40, 5], "B": [30, 3]}, ["X", "Y"], row_margin=False, col_margin=False)
    out = apply_to_table(t, rules)
    assert suppressed_counts(out) == {("B", "Y")}


def test_errors_are_clear():
    t = make_table({"A": [40, 5], "B": [30, 30]}, ["X", "Y"])
    with pytest.raises(DisclosureError, match="repeat"):
        apply_to_table(pd.concat([t, t.iloc[:1]]), DEFAULT_RULE_SET)
    bad = t.copy()
    bad.loc[0, "value"] = -3
    with pytest.raises(DisclosureError, match="negative"):
        apply_to_table(bad, DEFAULT_RULE_SET)
    with pytest.raises(DisclosureError, match="lacks column"):
        apply_to_table(t.drop(columns="measure"), DEFAULT_RULE_SET)
    two = pd.concat([t, t[t["row_label"] == "Total"].assign(row_label="All")])
    with pytest.raises(DisclosureError, match="at most one margin row"):
        apply_to_table(two, DEFAULT_RULE_SET)
    with pytest.raises(DisclosureError, match="rounding_base"):
        RuleSet(name="bad", rounding_base=0)


def test_apply_to_frame_counts_and_identifiers():
    f = pd.DataFrame(
        {"statement": ["a", "b", "c"], "regenerated": [3, 47, 0], "printed": [1, 2, 3]}
    )
    out = apply_to_frame(f, DEFAULT_RULE_SET, count_columns=["regenerated"])
    assert pd.isna(out.loc[0, "regenerated"]) and out.loc[1, "regenerated"] == 45
    assert out.loc[2, "regenerated"] == 0
    assert out.loc[0, "disclosure_status"].startswith("suppressed")
    assert list(out["printed"]) == [1, 2, 3]  # not a count column: untouched
    with pytest.raises(DisclosureError, match="identifier"):
        apply_to_frame(f.assign(person_id="P1"), DEFAULT_RULE_SET)
    with pytest.raises(DisclosureError, match="not columns"):
        apply_to_frame(f, DEFAULT_RULE_SET, count_columns=["nope"])


def test_published_bases_act_as_totals():
    # column percentages carry each area's base: Open + Closed + Not started = base
    counts = {"Open": [20, 4], "Closed": [57, 30], "Not started": [12, 11]}
    areas = ["Cardiff", "Dundee"]
    recs = []
    for status, vals in counts.items():
        for a, v in zip(areas, vals, strict=True):
            base = sum(c[areas.index(a)] for c in counts.values())
            recs.append((status, a, "n", v, np.nan, np.nan))
            recs.append((status, a, "pct", 100 * v / base, v, base))
    t = pd.DataFrame(
        recs, columns=["row_label", "column_label", "measure", "value", "numerator", "denominator"]
    ).assign(table_id="t")
    out = apply_to_table(t, "soceis-internal-v1")  # no rounding: bases are exact
    supp = suppressed_counts(out)
    assert ("Open", "Dundee") in supp and len(supp) >= 2
    cells = {(r, a): counts[r][areas.index(a)] for r in counts for a in areas}
    shown_bases = out[(out["measure"] == "pct") & out["denominator"].notna()]
    # both bases are printed (Dundee's 45 on the Closed row), so the attack below is not empty
    assert set(shown_bases["column_label"]) == set(areas)
    assert shown_bases.groupby("column_label")["denominator"].first().to_dict() == {
        "Cardiff": 89,
        "Dundee": 45,
    }
    eqs = []
    for a in set(shown_bases["column_label"]):
        base = ("__base__", a)
        cells[base] = sum(counts[r][areas.index(a)] for r in counts)
        eqs.append([(1, (r, a)) for r in counts] + [(-1, base)])
    assert not chain_attack(cells, supp, eqs)
    assert not determined_by_linear_algebra(supp, eqs)


def test_n_column_is_a_controlled_base():
    t = pd.DataFrame(
        {
            "table_id": "rates",
            "row_label": ["arrests", "arrests"],
            "column_label": ["Cardiff", "Dundee"],
            "measure": ["rate_ratio", "rate_ratio"],
            "value": [0.812, 1.5],
            "n": [57, 6],
        }
    )
    out = apply_to_table(t, DEFAULT_RULE_SET).set_index("column_label")
    assert out.loc["Cardiff", "value"] == 0.8 and out.loc["Cardiff", "n"] == 55
    assert out.loc["Dundee", "disclosure_status"] == "suppressed (base under 10)"
    assert pd.isna(out.loc["Dundee", "n"])
