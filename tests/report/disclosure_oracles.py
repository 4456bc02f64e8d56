"""Oracles and table builders for the disclosure-control tests.

Oracles (independent of the graph algorithm in ``socdata.report.suppression``):

* ``chain_attack``: the intruder of the brief: repeatedly solve any margin equation that has
  exactly one unknown cell, until nothing changes (subtraction chains across rows and
  columns);
* ``determined_by_linear_algebra``: a suppressed cell is recoverable from the published
  cells iff its coordinate vanishes on the null space of the margin equations restricted to
  the unknown cells (any linear combination of equations, not only chains).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from scipy.linalg import null_space


def make_table(
    interior: dict[str, list[int]], cols: list[str], *, row_margin=True, col_margin=True
):
    """Tidy count table with optional 'Total' row and 'Overall' column (exact sums)."""
    recs = []
    for r, vals in interior.items():
        recs += [(r, c, v) for c, v in zip(cols, vals, strict=True)]
        if col_margin:
            recs.append((r, "Overall", sum(vals)))
    if row_margin:
        for j, c in enumerate(cols):
            recs.append(("Total", c, sum(v[j] for v in interior.values())))
        if col_margin:
            recs.append(("Total", "Overall", sum(sum(v) for v in interior.values())))
    t = pd.DataFrame(recs, columns=["row_label", "column_label", "value"])
    t.insert(0, "table_id", "t")
    t.insert(3, "measure", "n")
    return t


def equations(cells: dict, rows: list, cols: list, row_margin: bool, col_margin: bool):
    """Margin equations as lists of (coefficient, cell)."""
    eqs = []
    all_rows = [*rows, "Total"] if row_margin else rows
    all_cols = [*cols, "Overall"] if col_margin else cols
    if col_margin:
        for r in all_rows:
            eqs.append([(1, (r, c)) for c in cols] + [(-1, (r, "Overall"))])
    if row_margin:
        for c in all_cols:
            eqs.append([(1, (r, c)) for r in rows] + [(-1, ("Total", c))])
    return eqs


def chain_attack(cells: dict, suppressed: set, eqs) -> set:
    """Cells an intruder recovers by repeated single-unknown subtraction."""
    known = {k: v for k, v in cells.items() if k not in suppressed}
    recovered = set()
    changed = True
    while changed:
        changed = False
        for eq in eqs:
            unknown = [(a, k) for a, k in eq if k not in known]
            if len(unknown) == 1:
                a, k = unknown[0]
                known[k] = -sum(b * known[m] for b, m in eq if m in known) / a
                recovered.add(k)
                changed = True
    return recovered


def determined_by_linear_algebra(suppressed: set, eqs) -> set:
    """Suppressed cells whose value is fixed by the equations and the published cells."""
    unknowns = sorted(suppressed, key=repr)
    if not unknowns:
        return set()
    idx = {k: i for i, k in enumerate(unknowns)}
    a = np.zeros((len(eqs), len(unknowns)))
    for e, eq in enumerate(eqs):
        for coef, k in eq:
            if k in idx:
                a[e, idx[k]] = coef
    ns = null_space(a)
    if ns.size == 0:
        return set(unknowns)
    return {k for k in unknowns if np.max(np.abs(ns[idx[k], :])) < 1e-9}


def suppressed_counts(out: pd.DataFrame) -> set:
    m = out["measure"].eq("n") & out["disclosure_status"].str.startswith("suppressed")
    return set(zip(out.loc[m, "row_label"], out.loc[m, "column_label"], strict=True))


@st.composite
def count_tables(draw):
    n_rows = draw(st.integers(2, 5))
    n_cols = draw(st.integers(2, 5))
    small = st.integers(0, 12)
    big = st.integers(10, 60)
    vals = [[draw(st.one_of(small, big)) for _ in range(n_cols)] for _ in range(n_rows)]
    row_margin = draw(st.booleans())
    col_margin = draw(st.booleans())
    rows = [f"R{i}" for i in range(n_rows)]
    cols = [f"C{j}" for j in range(n_cols)]
    return dict(zip(rows, vals, strict=True)), cols, row_margin, col_margin
