"""Secondary suppression: property tests against two independent oracles, hidden totals.

Oracles (``disclosure_oracles.py``, independent of the graph algorithm in
``socdata.report.suppression``):

* ``chain_attack``: the intruder of the brief: repeatedly solve any margin equation that has
  exactly one unknown cell, until nothing changes (subtraction chains across rows and
  columns);
* ``determined_by_linear_algebra``: a suppressed cell is recoverable from the published
  cells iff its coordinate vanishes on the null space of the margin equations restricted to
  the unknown cells (any linear combination of equations, not only chains).
"""

from __future__ import annotations

import itertools

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socdata.report import (
    DEFAULT_RULE_SET,
    apply_to_table,
    hidden_totals,
    recoverable_cells,
)
from socdata.report.suppression import _recoverable_by_graph
from tests.report.disclosure_oracles import (
    chain_attack,
    count_tables,
    determined_by_linear_algebra,
    equations,
    make_table,
    suppressed_counts,
)

# ------------------------------------------------------------------------------- property


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count_tables())
def test_no_suppressed_cell_recoverable_from_margins(spec):
    interior, cols, row_margin, col_margin = spec
    t = make_table(interior, cols, row_margin=row_margin, col_margin=col_margin)
    out = apply_to_table(t, DEFAULT_RULE_SET)
    supp = suppressed_counts(out)
    cells = {
        (r, c): v for r, c, v in zip(t["row_label"], t["column_label"], t["value"], strict=True)
    }
    # every count of 1-9 (margins included) is suppressed
    assert {k for k, v in cells.items() if 0 < v < 10} <= supp
    rows = list(interior)
    eqs = equations(cells, rows, cols, row_margin, col_margin)
    assert not chain_attack(cells, supp, eqs)
    assert not determined_by_linear_algebra(supp, eqs)
    shown = out[~out["disclosure_status"].str.startswith("suppressed")]
    assert (shown["value"] % 5 == 0).all()
    # nothing is suppressed without a reason
    assert set(out["disclosure_status"]) <= {
        "rounded",
        "suppressed (count 1-9)",
        "suppressed (secondary)",
    }


def test_oracles_agree_with_each_other_on_small_patterns():
    # every suppression pattern of a 2x2 table with both margins
    rows, cols = ["A", "B"], ["X", "Y"]
    cells = {("A", "X"): 20, ("A", "Y"): 30, ("B", "X"): 40, ("B", "Y"): 50}
    cells.update(
        {
            ("A", "Overall"): 50,
            ("B", "Overall"): 90,
            ("Total", "X"): 60,
            ("Total", "Y"): 80,
            ("Total", "Overall"): 140,
        }
    )
    eqs = equations(cells, rows, cols, True, True)
    keys = list(cells)
    for k in range(1, 5):
        for pattern in itertools.combinations(keys, k):
            pattern = set(pattern)
            lib = set(recoverable_cells(cells, pattern, detect_totals=False))
            assert lib == set(_recoverable_by_graph(cells, pattern)), pattern
            assert lib == determined_by_linear_algebra(pattern, eqs), pattern


def test_single_overall_column_is_not_a_margin():
    # e.g. referral reasons overall: the only column is labelled "Overall" but sums nothing
    t = pd.DataFrame(
        {
            "table_id": "reasons",
            "row_label": ["Criminal exploitation", "Drug dealing", "Other", "Repeated offending"],
            "column_label": "Overall",
            "measure": "n",
            "value": [154, 5, 8, 12],
        }
    )
    out = apply_to_table(t, DEFAULT_RULE_SET).set_index("row_label")
    assert out.loc["Drug dealing", "disclosure_status"] == "suppressed (count 1-9)"
    assert out.loc["Other", "disclosure_status"] == "suppressed (count 1-9)"
    assert out.loc["Criminal exploitation", "value"] == 155  # no total row: nothing to protect
    assert out.loc["Repeated offending", "value"] == 10


# ------------------------------------------------------------------------------- hidden totals


def closure_table(other: int = 5, sub: int = 3) -> pd.DataFrame:
    rows = {
        "Closed": 20 + 17 + 15 + other,
        "Intervention completed": 20,
        "Support from other services": 17,
        "Declined support": 15,
        "Other": other,
        "Closed due to reduced risk": sub,  # a sub-row of "Intervention completed"
    }
    return pd.DataFrame(
        {
            "table_id": "closure",
            "row_label": list(rows),
            "column_label": "Overall",
            "measure": "n",
            "value": list(rows.values()),
        }
    )


def test_unlabelled_total_row_is_found_and_protected():
    t = closure_table()
    cells = {(r, "Overall"): v for r, v in zip(t["row_label"], t["value"], strict=True)}
    rel = hidden_totals(cells)
    parts = ("Intervention completed", "Support from other services", "Declined support", "Other")
    assert ("Closed", parts) in rel
    out = apply_to_table(t, DEFAULT_RULE_SET)
    supp = suppressed_counts(out)
    assert {("Other", "Overall"), ("Closed due to reduced risk", "Overall")} <= supp
    # the intruder knows from the labels that Closed is the sum of the four reasons
    eqs = [[(1, (p, "Overall")) for p in parts] + [(-1, ("Closed", "Overall"))]]
    assert not chain_attack(cells, supp, eqs)
    assert not determined_by_linear_algebra(supp, eqs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(st.integers(1, 12), st.integers(10, 60)), min_size=3, max_size=7),
    st.data(),
)
def test_no_suppressed_cell_recoverable_from_unlabelled_totals(values, data):
    # one column; the first row is the sum of a random subset (>= 2) of the others
    n = len(values)
    subset = data.draw(
        st.lists(st.integers(0, n - 1), min_size=2, max_size=n, unique=True), label="parts"
    )
    labels = [f"R{i}" for i in range(n)]
    total = sum(values[i] for i in subset)
    t = pd.DataFrame(
        {
            "table_id": "t",
            "row_label": ["All reasons", *labels],
            "column_label": "Overall",
            "measure": "n",
            "value": [total, *values],
        }
    )
    out = apply_to_table(t, DEFAULT_RULE_SET)
    supp = suppressed_counts(out)
    cells = {(r, "Overall"): v for r, v in zip(t["row_label"], t["value"], strict=True)}
    eqs = [[(1, (labels[i], "Overall")) for i in subset] + [(-1, ("All reasons", "Overall"))]]
    assert not chain_attack(cells, supp, eqs)
    assert not determined_by_linear_algebra(supp, eqs)


@settings(max_examples=60, deadline=None)
@given(count_tables(), st.data())
def test_graph_criterion_agrees_with_linear_algebra(spec, data):
    # two independent implementations of "recoverable from the margins"
    interior, cols, row_margin, col_margin = spec
    t = make_table(interior, cols, row_margin=row_margin, col_margin=col_margin)
    cells = {
        (r, c): v for r, c, v in zip(t["row_label"], t["column_label"], t["value"], strict=True)
    }
    keys = sorted(cells, key=repr)
    pattern = set(data.draw(st.lists(st.sampled_from(keys), max_size=6, unique=True)))
    graph = set(_recoverable_by_graph(cells, pattern))
    linear = set(recoverable_cells(cells, pattern, detect_totals=False))
    eqs = equations(cells, list(interior), cols, row_margin, col_margin)
    assert graph == linear == determined_by_linear_algebra(pattern, eqs)
