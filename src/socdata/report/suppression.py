"""Secondary suppression: no suppressed count may be recovered from the published cells.

A two-way count table with margins is a system of linear equations; a suppressed cell is
recoverable when the equations fix it.  :func:`secondary_suppression` adds suppressions
until none is, :func:`recoverable_cells` tests a pattern, and :func:`hidden_totals` finds
totals a table carries without labelling them (see :doc:`/explanation/disclosure-control`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import numpy as np
import pandas as pd

from socdata.errors import DisclosureError
from socdata.report.rule_sets import MARGIN_LABELS, is_margin

__all__ = [
    "MAX_ROWS_FOR_TOTAL_SEARCH",
    "Cell",
    "hidden_totals",
    "recoverable_cells",
    "secondary_suppression",
]

# --------------------------------------------------------------------------------------
# secondary suppression: graph formulation
# --------------------------------------------------------------------------------------
#
# A two-way table with row and column margins is a system of linear equations: every
# interior row sums to its row margin, every interior column to its column margin, and
# the margins sum to the grand total.  Write the table "augmented": rows R + {TR}, columns
# C + {TC}.  Giving the margin cells a minus sign, every row and every column of the
# augmented table sums to zero.  The unknown (suppressed) cells are edges of a bipartite
# graph between row nodes and column nodes; the solutions of the equations differ by
# elements of the cycle space of that graph.  Hence a suppressed cell is determined
# exactly by the published cells iff its edge lies on no cycle, i.e. is a bridge.
# A margin the table does not publish is an unknown too: its cells are edges that are
# always "hidden", which correctly leaves the corresponding equations unusable.

_TR = ("__margin_row__",)
_TC = ("__margin_col__",)


def _components_without(
    edges: Iterable[tuple[Hashable, Hashable]], skip: tuple[Hashable, Hashable] | None
) -> dict[tuple[str, Hashable], int]:
    """Connected components of the bipartite graph (nodes tagged 'r'/'c'), one edge skipped."""
    adj: dict[tuple[str, Hashable], list[tuple[str, Hashable]]] = {}
    skipped = False
    for r, c in edges:
        if not skipped and skip is not None and (r, c) == skip:
            skipped = True
            continue
        a, b = ("r", r), ("c", c)
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
    comp: dict[tuple[str, Hashable], int] = {}
    k = 0
    for start in adj:
        if start in comp:
            continue
        stack = [start]
        comp[start] = k
        while stack:
            node = stack.pop()
            for nxt in adj[node]:
                if nxt not in comp:
                    comp[nxt] = k
                    stack.append(nxt)
        k += 1
    return comp


def _bridges(
    hidden: set[tuple[Hashable, Hashable]], check: Iterable[tuple[Hashable, Hashable]]
) -> list[tuple[Hashable, Hashable]]:
    """Edges of ``check`` that are bridges of the graph of ``hidden`` edges."""
    out = []
    for e in check:
        comp = _components_without(hidden, e)
        a, b = ("r", e[0]), ("c", e[1])
        if a not in comp or b not in comp or comp[a] != comp[b]:
            out.append(e)
    return out


def _grid_layout(
    cells: Mapping[tuple[Hashable, Hashable], float],
) -> tuple[list[Hashable], list[Hashable], Hashable, Hashable, set[tuple[Hashable, Hashable]]]:
    """Rows, columns, margin row/column keys and the unpublished (absent/virtual) cells."""
    rows = list(dict.fromkeys(r for r, _ in cells))
    cols = list(dict.fromkeys(c for _, c in cells))
    # A margin sums other rows (columns); a table whose only column is "Overall" (say,
    # referral reasons overall) has no interior columns for it to sum, so it is an
    # ordinary column there.
    margin_rows = [r for r in rows if is_margin(r)] if len(rows) > 1 else []
    margin_cols = [c for c in cols if is_margin(c)] if len(cols) > 1 else []
    if margin_rows and len(margin_rows) == len(rows):
        margin_rows = []
    if margin_cols and len(margin_cols) == len(cols):
        margin_cols = []
    if len(margin_rows) > 1 or len(margin_cols) > 1:
        raise DisclosureError(
            "a table may have at most one margin row and one margin column "
            f"(labels {sorted(MARGIN_LABELS)}); found rows {margin_rows} and columns "
            f"{margin_cols}. Write separate tables, or relabel the extra margins."
        )
    tr = margin_rows[0] if margin_rows else _TR
    tc = margin_cols[0] if margin_cols else _TC
    all_rows = rows if margin_rows else [*rows, _TR]
    all_cols = cols if margin_cols else [*cols, _TC]
    unpublished = {(r, c) for r in all_rows for c in all_cols if (r, c) not in cells}
    return all_rows, all_cols, tr, tc, unpublished


#: Hidden totals are searched among at most this many rows (2**n subsets per row).
MAX_ROWS_FOR_TOTAL_SEARCH = 16
_MAX_RELATIONS = 30

Cell = tuple[Hashable, Hashable]


def hidden_totals(
    cells: Mapping[Cell, float],
) -> list[tuple[Hashable, tuple[Hashable, ...]]]:
    """Rows that equal the sum of two or more other rows in every column.

    A table may carry a total that is not labelled as one ("Closed" above the closure
    reasons, "Young people with referral reason data" above the reasons).  An intruder
    who reads the labels knows the relation, so it must be protected like a margin.  The
    search is exact on the unrounded counts and conservative: a coincidental equality is
    treated as a relation too, which can only add suppressions.

    Returns
    -------
    list of (total_row, (part_row, ...))
        At most 30 relations; none when a table has more than
        :data:`MAX_ROWS_FOR_TOTAL_SEARCH` candidate rows.
    """
    rows = list(dict.fromkeys(r for r, _ in cells))
    cols = list(dict.fromkeys(c for _, c in cells))
    candidates = [r for r in rows if not is_margin(r) or len(rows) == 1]
    vectors: dict[Hashable, np.ndarray] = {}
    for r in candidates:
        vals = [cells.get((r, c), np.nan) for c in cols]
        if not any(pd.isna(v) for v in vals):
            vectors[r] = np.asarray(vals, dtype=float)
    usable = [r for r in vectors if vectors[r].any()]  # all-zero rows add nothing
    found: list[tuple[Hashable, tuple[Hashable, ...]]] = []
    for total in usable:
        parts = [r for r in usable if r != total and (vectors[r] <= vectors[total]).all()]
        if len(parts) < 2 or len(parts) > MAX_ROWS_FOR_TOTAL_SEARCH:
            continue
        m = len(parts)
        masks = ((np.arange(1 << m)[:, None] >> np.arange(m)) & 1).astype(float)
        masks = masks[masks.sum(axis=1) >= 2]
        sums = masks @ np.vstack([vectors[r] for r in parts])
        hits = np.flatnonzero(np.all(np.abs(sums - vectors[total]) < 1e-9, axis=1))
        for h in hits:
            found.append((total, tuple(parts[i] for i in np.flatnonzero(masks[h]))))
            if len(found) >= _MAX_RELATIONS:
                return found
    return found


def _equations(
    cells: Mapping[Cell, float],
    relations: Iterable[tuple[Hashable, tuple[Hashable, ...]]] = (),
) -> tuple[list[Cell], np.ndarray, set[Cell]]:
    """Variables, equation matrix and always-unknown cells of a count table."""
    all_rows, all_cols, tr, tc, _ = _grid_layout(cells)
    real_rows = [r for r in all_rows if r != _TR]
    real_cols = [c for c in all_cols if c != _TC]
    keys = [(r, c) for r in real_rows for c in real_cols]
    index = {k: i for i, k in enumerate(keys)}
    eqs: list[np.ndarray] = []

    def equation(plus: Iterable[Cell], minus: Cell) -> None:
        e = np.zeros(len(keys))
        for k in plus:
            e[index[k]] += 1.0
        e[index[minus]] -= 1.0
        eqs.append(e)

    interior_rows = [r for r in real_rows if r != tr]
    interior_cols = [c for c in real_cols if c != tc]
    if tc != _TC:  # every row adds up to its "Overall" cell
        for r in real_rows:
            equation(((r, c) for c in interior_cols), (r, tc))
    if tr != _TR:  # every column adds up to its "Total" cell
        for c in real_cols:
            equation(((r, c) for r in interior_rows), (tr, c))
    for total, parts in relations:
        for c in real_cols:
            equation(((p, c) for p in parts), (total, c))
    a = np.vstack(eqs) if eqs else np.zeros((0, len(keys)))
    always_unknown = {k for k in keys if k not in cells}
    return keys, a, always_unknown


def _determined(keys: list[Cell], a: np.ndarray, hidden: set[Cell]) -> set[Cell]:
    """Hidden cells fixed by the equations once every other cell is known."""
    cols = [i for i, k in enumerate(keys) if k in hidden]
    if not cols:
        return set()
    sub = a[:, cols]
    if sub.shape[0] == 0:
        return set()
    # null space of sub: a hidden cell is determined iff it is zero on every null vector
    _, sv, vt = np.linalg.svd(sub, full_matrices=True)
    tol = max(sub.shape) * np.finfo(float).eps * (sv[0] if sv.size else 0.0) * 10
    rank = int((sv > max(tol, 1e-10)).sum())
    null = vt[rank:].T  # (n_hidden, n_null)
    fixed = (
        np.ones(len(cols), dtype=bool) if null.size == 0 else np.all(np.abs(null) < 1e-9, axis=1)
    )
    return {keys[cols[i]] for i in np.flatnonzero(fixed)}


def recoverable_cells(
    cells: Mapping[Cell, float],
    suppressed: Iterable[Cell],
    *,
    detect_totals: bool = True,
) -> list[Cell]:
    """Suppressed cells whose exact value follows from the published cells and totals.

    Parameters
    ----------
    cells
        ``{(row_label, column_label): count}`` for every cell of one count table, margins
        included (margins are recognised by their labels, see :data:`MARGIN_LABELS`).
        A cell missing from the mapping counts as unpublished.
    suppressed
        The cells withheld.
    detect_totals
        Also use unlabelled total rows found by :func:`hidden_totals`.

    Returns
    -------
    list of (row_label, column_label)
        Suppressed cells that can be recovered exactly by any combination of the table's
        additive relations (an empty list means the pattern is safe against exact
        recovery).
    """
    supp = set(suppressed)
    relations = hidden_totals(cells) if detect_totals else []
    keys, a, unknown = _equations(cells, relations)
    det = _determined(keys, a, supp | unknown)
    return sorted(det & supp, key=repr)


def _recoverable_by_graph(cells: Mapping[Cell, float], suppressed: Iterable[Cell]) -> list[Cell]:
    """Two-way margins only: suppressed cells that are bridges of the hidden-cell graph."""
    _, _, _, _, unpublished = _grid_layout(cells)
    supp = set(suppressed)
    return _bridges(supp | unpublished, sorted(supp, key=repr))


def secondary_suppression(
    cells: Mapping[Cell, float],
    primary: Iterable[Cell],
    *,
    detect_totals: bool = True,
) -> set[Cell]:
    """Choose secondary suppressions so that no suppressed cell is recoverable.

    Two passes.  The first works on the two-way structure given by the margin labels:
    while some suppressed cell is a bridge of the graph of hidden cells (so recoverable,
    see :doc:`/explanation/disclosure-control`), suppress the published cell that puts it
    on a cycle at least cost (interior before margins, non-zero before zero, smallest
    count first); when no single cell does, extend the bridge's row or column towards
    other hidden cells.  The second pass adds every other additive relation of the table
    (unlabelled totals, :func:`hidden_totals`) and, while the equations still fix some
    suppressed cell, suppresses the published cell of one of its equations that leaves
    the fewest cells fixed, cheapest first.

    Parameters
    ----------
    cells
        ``{(row_label, column_label): count}``, margins included.
    primary
        Cells suppressed by the primary rule.
    detect_totals
        Search for unlabelled totals (second pass).

    Returns
    -------
    set of (row_label, column_label)
        The secondary suppressions (disjoint from ``primary``).
    """
    _, _, tr, tc, unpublished = _grid_layout(cells)
    primary = set(primary)
    suppressed = set(primary)
    relations = hidden_totals(cells) if detect_totals else []
    totals = {t for t, _ in relations}

    def cost(cell: Cell) -> tuple:
        r, c = cell
        v = cells[cell]
        v = float("inf") if pd.isna(v) else float(v)
        n_margin = int(r == tr or r in totals) + int(c == tc)
        return (n_margin, v == 0, v, repr(cell))

    for _ in range(len(cells) + 1):
        hidden = suppressed | unpublished
        bridges = _bridges(hidden, sorted(suppressed, key=cost))
        if not bridges:
            break
        r, c = bridges[0]
        comp = _components_without(hidden, (r, c))

        def side(node: tuple[str, Hashable], comp=comp) -> Hashable:
            return comp.get(node, node)  # a node without hidden cells is its own component

        side_r, side_c = side(("r", r)), side(("c", c))
        candidates = []
        for cell in cells:
            if cell in hidden:
                continue
            cr, cc = side(("r", cell[0])), side(("c", cell[1]))
            if (cr == side_r and cc == side_c) or (cr == side_c and cc == side_r):
                candidates.append(cell)
        if candidates:
            suppressed.add(min(candidates, key=cost))
            continue
        # No single cell closes a cycle: extend the bridge's row or column, preferring the
        # cell that joins the most hidden cells together (fewest components), then the
        # cheapest.
        adjacent = [cell for cell in cells if cell not in hidden and (cell[0] == r or cell[1] == c)]
        if not adjacent:  # defensive: widen to every published cell of the table
            adjacent = [cell for cell in cells if cell not in hidden]
        if not adjacent:  # nothing is published, so nothing can be recovered
            break

        def joined(cell: Cell, hidden=hidden) -> tuple:
            n_comp = len(set(_components_without(hidden | {cell}, None).values()))
            return (n_comp, *cost(cell))

        suppressed.add(min(adjacent, key=joined))

    if relations:
        keys, a, unknown = _equations(cells, relations)
        for _ in range(len(cells) + 1):
            fixed = _determined(keys, a, suppressed | unknown) & suppressed
            if not fixed:
                break
            target = min(fixed, key=cost)
            ti = keys.index(target)
            related = {keys[j] for e in a if e[ti] != 0 for j in np.flatnonzero(e)}
            options = [k for k in related if k in cells and k not in suppressed]
            if not options:
                options = [k for k in cells if k not in suppressed]
            if not options:
                break

            def left_fixed(cell: Cell, suppressed=suppressed) -> tuple:
                after = _determined(keys, a, suppressed | {cell} | unknown)
                return (len(after & (suppressed | {cell})), *cost(cell))

            suppressed.add(min(options, key=left_fixed))
    return suppressed - primary
