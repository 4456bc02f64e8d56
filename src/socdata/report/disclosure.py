"""Statistical disclosure control for the aggregate tables that ``socdata reproduce`` writes.

A *rule set* (:class:`RuleSet`) says which cells of a table may be published.  The default,
``"soceis-default-v1"``, implements the rules of the evaluation brief:

* **primary suppression**: counts of 1 to 9 people are suppressed (zero is shown: an empty
  cell is not an individual);
* **rounding**: every other count, margins included, is rounded to the nearest 5 (margins
  are rounded independently, so rounded parts need not add up to rounded totals);
* **secondary suppression**: enough further cells are suppressed that no suppressed cell can
  be recovered exactly from the published cells and the table's margins ("Total" /
  "Overall" rows and columns), by subtraction within a row or column or by any chain of
  subtractions across rows and columns (see :func:`secondary_suppression`);
* **statistics on small bases**: no percentage, mean or other statistic on a base under 10
  people; a percentage whose count is suppressed is suppressed with it;
* **minimum and maximum**: the minimum or maximum of individual values (for example the
  youngest and oldest age in an area) is the value of one identifiable person, so the
  default rule set suppresses them whatever the base; the alternative rule sets say
  otherwise explicitly.

Percentages are published to whole numbers (as the report prints them), means to one
decimal place, and confidence limits to the precision of their estimate.

The rule set applied is named in every output: tables gain a ``disclosure`` column (the
rule set) and a ``disclosure_status`` column (what happened to the cell).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from socdata.errors import DisclosureError, SocdataWarning
from socdata.rounding import round_half_up

__all__ = [
    "DEFAULT_RULE_SET",
    "MARGIN_LABELS",
    "RULE_SETS",
    "DisclosureOffWarning",
    "RuleSet",
    "apply_to_frame",
    "apply_to_table",
    "get_rule_set",
    "hidden_totals",
    "recoverable_cells",
    "round_to_base",
    "secondary_suppression",
]

#: Row or column labels that mark a margin (a total over the other rows or columns).
MARGIN_LABELS: frozenset[str] = frozenset({"total", "overall", "all", "all areas"})

#: Measures that are counts of people.
COUNT_MEASURES: frozenset[str] = frozenset({"n"})
#: Measures that are proportions of a base (their count is the ``numerator``).
PROPORTION_MEASURES: frozenset[str] = frozenset({"pct", "fraction", "proportion"})
#: Measures that are the value of one individual.
EXTREME_MEASURES: frozenset[str] = frozenset({"min", "max"})

#: Columns that name people or their birth dates: never written by the report.
IDENTIFIER_COLUMNS: frozenset[str] = frozenset(
    {
        "person_id",
        "referral_id",
        "participant_id",
        "plan_id",
        "event_id",
        "episode_id",
        "date_of_birth",
        "birth_month",
    }
)


class DisclosureOffWarning(SocdataWarning):
    """Disclosure control was switched off for outputs that may come from real data."""


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """A named set of disclosure-control rules.

    Attributes
    ----------
    name
        Name written into every output (``disclosure`` column, report, manifest).
    threshold
        Counts ``1 <= n < threshold`` are suppressed (primary suppression); ``0`` disables.
    rounding_base
        Published counts are rounded to the nearest multiple (``1`` = no rounding).
    secondary
        Whether to add secondary suppressions so that no suppressed count can be recovered
        from margins.
    min_base
        Percentages, means and other statistics need a base of at least this many people.
    extremes_min_base
        Minimum/maximum of individual values are published only on a base of at least this
        many people; ``None`` suppresses them always.
    pct_decimals, mean_decimals
        Decimal places of published percentages and of means and other statistics.
    safe_dof_threshold
        Models with fewer residual degrees of freedom are not released (ACRO's
        ``safe_dof_threshold``, default 10).
    safe_nk_n, safe_nk_k
        Dominance rule for magnitude tables: a cell fails when its ``safe_nk_n`` largest
        contributions make up more than ``safe_nk_k`` of its total (ACRO: 2, 0.9).
    safe_pratio_p
        p-ratio rule for magnitude tables: a cell fails when the total less the two largest
        contributions is under ``safe_pratio_p`` of the largest (ACRO: 0.1).
    survival_safe_threshold
        Every released step of a Kaplan-Meier curve, and every row of a survival table, is
        backed by at least this many people (events and people at risk; ACRO: 10).
    zeros_are_disclosive
        Whether a zero count is disclosive (ACRO's default ``True``: a zero says that
        nobody in a group has an attribute).  socdata's rule sets show zeros (they are
        mostly structural in these tables) and the output-checking request marks every
        table with zeros for review, so that the checker decides.
    description
        One line saying what the rule set does (printed in the report).
    """

    name: str
    threshold: int = 10
    rounding_base: int = 5
    secondary: bool = True
    min_base: int = 10
    extremes_min_base: int | None = None
    pct_decimals: int = 0
    mean_decimals: int = 1
    safe_dof_threshold: int = 10
    safe_nk_n: int = 2
    safe_nk_k: float = 0.9
    safe_pratio_p: float = 0.1
    survival_safe_threshold: int = 10
    zeros_are_disclosive: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if self.threshold < 0 or self.rounding_base < 1 or self.min_base < 0:
            raise DisclosureError(
                f"rule set {self.name!r}: threshold and min_base must be >= 0 and "
                f"rounding_base >= 1 (got threshold={self.threshold}, "
                f"rounding_base={self.rounding_base}, min_base={self.min_base})"
            )

    def acro_parameters(self) -> dict[str, object]:
        """The rule set in ACRO's vocabulary (``acro/default.yaml`` names).

        >>> get_rule_set("soceis-default-v1").acro_parameters()["safe_threshold"]
        10
        """
        return {
            "safe_threshold": self.threshold,
            "safe_dof_threshold": self.safe_dof_threshold,
            "safe_nk_n": self.safe_nk_n,
            "safe_nk_k": self.safe_nk_k,
            "safe_pratio_p": self.safe_pratio_p,
            "check_missing_values": False,
            "survival_safe_threshold": self.survival_safe_threshold,
            "zeros_are_disclosive": self.zeros_are_disclosive,
            "safe_round_base": self.rounding_base,
            "secondary_suppression": self.secondary,
            "min_base_for_statistics": self.min_base,
            "extremes_min_base": self.extremes_min_base,
        }

    @property
    def enabled(self) -> bool:
        """Whether the rule set changes anything (``False`` only for ``none``)."""
        return self.name != "none"

    def describe(self) -> str:
        """One readable paragraph for the report."""
        if not self.enabled:
            return "none: disclosure control switched off; every cell is published as computed."
        parts = [f"{self.name}:"]
        if self.threshold > 1:
            parts.append(f"counts of 1-{self.threshold - 1} people suppressed;")
        if self.rounding_base > 1:
            parts.append(f"other counts rounded to the nearest {self.rounding_base};")
        if self.secondary:
            parts.append(
                "secondary suppression so that no suppressed count can be recovered from totals;"
            )
        parts.append(f"no percentage, mean or other statistic on a base under {self.min_base};")
        parts.append(
            "percentages and intervals computed from the released counts; model counts "
            f"rounded, no model with under {self.safe_dof_threshold} residual degrees of "
            "freedom, estimates at the precision of their standard errors; Kaplan-Meier "
            f"steps backed by at least {self.survival_safe_threshold} people;"
        )
        if self.extremes_min_base is None:
            parts.append("minimum and maximum of individual values always suppressed.")
        else:
            parts.append(
                f"minimum and maximum only on a base of at least {self.extremes_min_base}."
            )
        return " ".join(parts)


#: Rule set applied when nothing else is asked for (safe by default).
DEFAULT_RULE_SET = RuleSet(
    name="soceis-default-v1",
    threshold=10,
    rounding_base=5,
    secondary=True,
    min_base=10,
    extremes_min_base=None,
    description="Counts 1-9 suppressed, others rounded to 5, secondary suppression, "
    "no statistic on a base under 10, min/max suppressed.",
)

#: The rule sets selectable by name (``socdata reproduce --disclosure NAME``).
RULE_SETS: dict[str, RuleSet] = {
    DEFAULT_RULE_SET.name: DEFAULT_RULE_SET,
    "soceis-strict-v1": RuleSet(
        name="soceis-strict-v1",
        threshold=10,
        rounding_base=10,
        secondary=True,
        min_base=20,
        extremes_min_base=None,
        description="Counts 1-9 suppressed, others rounded to 10, secondary suppression, "
        "no statistic on a base under 20, min/max suppressed.",
    ),
    "soceis-internal-v1": RuleSet(
        name="soceis-internal-v1",
        threshold=10,
        rounding_base=1,
        secondary=True,
        min_base=10,
        extremes_min_base=10,
        description="For sharing inside the data controller's organisation: counts 1-9 "
        "suppressed with secondary suppression, no rounding, min/max on a base of 10 or more.",
    ),
    "none": RuleSet(
        name="none",
        threshold=0,
        rounding_base=1,
        secondary=False,
        min_base=0,
        extremes_min_base=0,
        pct_decimals=15,
        mean_decimals=15,
        safe_dof_threshold=0,
        survival_safe_threshold=0,
        description="No disclosure control (synthetic data, or explicit request).",
    ),
}


def get_rule_set(rules: str | RuleSet) -> RuleSet:
    """Return the :class:`RuleSet` named ``rules`` (or ``rules`` itself).

    Raises
    ------
    DisclosureError
        When no rule set has that name; the message lists the names that exist.
    """
    if isinstance(rules, RuleSet):
        return rules
    key = str(rules).strip()
    if key in RULE_SETS:
        return RULE_SETS[key]
    raise DisclosureError(
        f"unknown disclosure rule set {rules!r}; choose one of "
        f"{', '.join(sorted(RULE_SETS))} (or 'auto' to pick from the data)"
    )


def round_to_base(value: float, base: int) -> float:
    """Round ``value`` to the nearest multiple of ``base``, halves away from zero.

    >>> round_to_base(12, 5), round_to_base(13, 5), round_to_base(15, 10)
    (10.0, 15.0, 20.0)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan")
    if base <= 1:
        return value
    q = abs(value) / base
    r = math.floor(q + 0.5) * base
    return math.copysign(r, value) if r else 0


def _round_half_up(value: float, decimals: int) -> float:
    if value is None or pd.isna(value) or decimals >= 15:
        return value
    return round_half_up(float(value), decimals)


def _is_margin(label: Any) -> bool:
    return isinstance(label, str) and label.strip().lower() in MARGIN_LABELS


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
    margin_rows = [r for r in rows if _is_margin(r)] if len(rows) > 1 else []
    margin_cols = [c for c in cols if _is_margin(c)] if len(cols) > 1 else []
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
    candidates = [r for r in rows if not _is_margin(r) or len(rows) == 1]
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


# --------------------------------------------------------------------------------------
# applying a rule set to a tidy table
# --------------------------------------------------------------------------------------

_KEY = ["row_label", "column_label", "measure"]
_DEN_ROW = "__denominators__"
_DEN_COL = "__denominators__"


def _denominator_margins(
    out: pd.DataFrame,
    measure: pd.Series,
    nums: Mapping[str, pd.Series],
    cells: Mapping[Cell, float],
) -> dict[Cell, float]:
    """Published bases that act as totals: one pseudo row (column) of denominators.

    Column percentages publish each column's base in ``denominator``; when the table has
    no ``Total`` row, that base is a total all the same (Open + Closed + ... = referrals
    in the area).  It joins the count grid as a pseudo row, so the search for totals and
    the secondary suppression see it.  Likewise row percentages give a pseudo column.
    """
    if "denominator" not in nums:
        return {}
    prop = measure.isin(PROPORTION_MEASURES) & nums["denominator"].notna()
    if not prop.any():
        return {}
    rows = {r for r, _ in cells}
    cols = {c for _, c in cells}
    sub = out.loc[prop, ["row_label", "column_label"]].assign(d=nums["denominator"][prop])
    pseudo: dict[Cell, float] = {}
    if not any(_is_margin(r) for r in rows) or len(rows) == 1:
        for c, g in sub.groupby("column_label", sort=False):
            if g["d"].nunique() == 1 and g["row_label"].nunique() > 1 and c in cols:
                pseudo[(_DEN_ROW, c)] = float(g["d"].iloc[0])
    if not any(_is_margin(c) for c in cols) or len(cols) == 1:
        for r, g in sub.groupby("row_label", sort=False):
            if g["d"].nunique() == 1 and g["column_label"].nunique() > 1 and r in rows:
                pseudo[(r, _DEN_COL)] = float(g["d"].iloc[0])
    return pseudo


def _base_of(row: pd.Series) -> float | None:
    for col in ("denominator", "n"):
        if col in row.index and not pd.isna(row[col]):
            try:
                return float(row[col])
            except (TypeError, ValueError):
                return None
    return None


def apply_to_table(
    table: pd.DataFrame, rules: str | RuleSet, *, protect: Iterable[tuple] = ()
) -> pd.DataFrame:
    """Apply a disclosure rule set to one tidy table.

    Parameters
    ----------
    table
        Tidy table with columns ``table_id, row_label, column_label, measure, value`` and
        optionally ``numerator``, ``denominator``, ``conf_low``, ``conf_high``.  Cells are
        unique on ``(row_label, column_label, measure)``.  ``measure == "n"`` cells are
        counts of people; ``Total``/``Overall`` rows and columns are margins.  The base of
        a percentage, mean or other statistic is its ``denominator`` (or an ``n`` column);
        a statistic without a base is suppressed (``base unknown``) unless the rule set is
        ``none``.
    rules
        A :class:`RuleSet` or its name.
    protect
        ``(row_label, column_label)`` count cells suppressed in another table of the same
        population (:class:`socdata.report.control.Registry`): suppressed here too
        ("suppressed (protected in another table)"), with secondary suppression around them.

    Returns
    -------
    pandas.DataFrame
        A new frame (the input is not modified) with suppressed values set to NA, counts
        rounded, and two more columns: ``disclosure`` (rule set name) and
        ``disclosure_status`` (``shown``, ``rounded``, ``suppressed (...)`` with the
        reason, ``not applied``).

    Raises
    ------
    DisclosureError
        When a count is negative or cells repeat.
    """
    rules = get_rule_set(rules)
    out = table.copy()
    missing = [c for c in ("row_label", "column_label", "measure", "value") if c not in out]
    if missing:
        raise DisclosureError(
            f"table lacks column(s) {missing}; a tidy table has table_id, row_label, "
            "column_label, measure, value"
        )
    out = out.reset_index(drop=True)
    dup = out.duplicated(subset=_KEY, keep=False)
    if dup.any():
        first = out.loc[dup, _KEY].iloc[0].to_dict()
        raise DisclosureError(
            f"table {_table_name(out)}: {int(dup.sum())} rows repeat the same "
            f"(row_label, column_label, measure), e.g. {first}; give each cell its own "
            "labels or write separate tables"
        )
    out["disclosure"] = rules.name
    if not rules.enabled:
        out["disclosure_status"] = "not applied"
        return out

    status = pd.Series("shown", index=out.index, dtype=object)
    value = pd.to_numeric(out["value"], errors="coerce").astype(float)
    measure = out["measure"].astype(str).str.strip().str.lower()
    num_cols = [c for c in ("numerator", "denominator", "n") if c in out]
    nums = {c: pd.to_numeric(out[c], errors="coerce").astype(float) for c in num_cols}

    # ---- counts: grid of n cells, or of percentage numerators when a table has no n cells
    count_idx = list(out.index[measure.isin(COUNT_MEASURES)])
    count_vals = {i: value[i] for i in count_idx}
    if not count_idx and "numerator" in out:
        count_idx = list(out.index[measure.isin(PROPORTION_MEASURES) & nums["numerator"].notna()])
        count_vals = {i: nums["numerator"][i] for i in count_idx}
    for i, v in count_vals.items():
        if not pd.isna(v) and v < 0:
            raise DisclosureError(
                f"table {_table_name(out)}: count cell ({out.at[i, 'row_label']!r}, "
                f"{out.at[i, 'column_label']!r}) is negative ({v:g}); counts of people "
                "cannot be negative"
            )
    cells = {(out.at[i, "row_label"], out.at[i, "column_label"]): v for i, v in count_vals.items()}
    index_of = {(out.at[i, "row_label"], out.at[i, "column_label"]): i for i in count_idx}
    pseudo = _denominator_margins(out, measure, nums, cells) if cells else {}
    grid = {**cells, **pseudo}
    primary = {k for k, v in grid.items() if not pd.isna(v) and 0 < v < rules.threshold}
    elsewhere = {tuple(k) for k in protect} & set(cells) - primary
    primary |= elsewhere
    secondary: set = set()
    if rules.secondary and primary:
        secondary = secondary_suppression(grid, primary)
    hidden_denominators = {k for k in (primary | secondary) if k in pseudo}
    primary -= hidden_denominators
    secondary -= hidden_denominators
    suppressed_cells = primary | secondary
    for k in primary:
        status[index_of[k]] = (
            "suppressed (protected in another table)"
            if k in elsewhere
            else f"suppressed (count 1-{rules.threshold - 1})"
        )
    for k in secondary:
        status[index_of[k]] = "suppressed (secondary)"

    count_rows = set(count_idx) if measure.isin(COUNT_MEASURES).any() else set()
    for i in out.index:
        key = (out.at[i, "row_label"], out.at[i, "column_label"])
        m = measure[i]
        if i in count_rows:
            if key in suppressed_cells:
                value[i] = np.nan
            elif pd.isna(value[i]):
                status[i] = "missing"
            elif rules.rounding_base > 1:
                value[i] = round_to_base(value[i], rules.rounding_base)
                status[i] = "rounded"
            continue
        if pd.isna(value[i]):
            status[i] = "missing"
            continue
        if str(status[i]).startswith("suppressed"):  # a numerator cell of the count grid
            value[i] = np.nan
            continue
        reason = None
        base = _base_of(out.loc[i])
        numerator = nums["numerator"][i] if "numerator" in nums else np.nan
        if key in suppressed_cells:
            reason = "count suppressed"
        elif (
            m in PROPORTION_MEASURES and not pd.isna(numerator) and 0 < numerator < rules.threshold
        ):
            reason = f"count 1-{rules.threshold - 1}"
        elif base is None:
            reason = "base unknown"
        elif m in EXTREME_MEASURES:
            if rules.extremes_min_base is None:
                reason = "min/max of individual values"
            elif base < rules.extremes_min_base:
                reason = f"base under {rules.extremes_min_base}"
        elif base < rules.min_base:
            reason = f"base under {rules.min_base}"
        if reason is not None:
            status[i] = f"suppressed ({reason})"
            value[i] = np.nan
            continue
        decimals = rules.pct_decimals if m in PROPORTION_MEASURES else rules.mean_decimals
        value[i] = _round_half_up(value[i], decimals)
        for c in ("conf_low", "conf_high"):
            if c in out and not pd.isna(out.at[i, c]):
                out.at[i, c] = _round_half_up(float(out.at[i, c]), decimals)

    # numerators / denominators are counts of people too
    hidden_den_cols = {c for r, c in hidden_denominators if r == _DEN_ROW}
    hidden_den_rows = {r for r, c in hidden_denominators if c == _DEN_COL}
    for c, col in nums.items():
        for i in out.index:
            v = col[i]
            if str(status[i]).startswith("suppressed"):
                col[i] = np.nan
            elif c == "denominator" and (
                out.at[i, "column_label"] in hidden_den_cols
                or out.at[i, "row_label"] in hidden_den_rows
            ):
                col[i] = np.nan  # the base would give a suppressed count back
            elif not pd.isna(v) and 0 < v < rules.threshold:
                col[i] = np.nan
            elif not pd.isna(v) and rules.rounding_base > 1:
                col[i] = round_to_base(v, rules.rounding_base)
        out[c] = col
    for c in ("conf_low", "conf_high"):
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
            out.loc[status.str.startswith("suppressed"), c] = np.nan
    out["value"] = value
    out["disclosure_status"] = status
    from socdata.report.control import rederive_proportions

    rederive_proportions(out, rules)
    return out


def apply_to_frame(
    frame: pd.DataFrame, rules: str | RuleSet, *, count_columns: Iterable[str] = ()
) -> pd.DataFrame:
    """Apply a rule set cell by cell to the count columns of a non-tidy frame.

    Counts ``1 <= n < threshold`` become NA and other counts are rounded.  There is no
    secondary suppression, because a free-form frame has no declared margins: use tidy
    tables (:func:`apply_to_table`) for cross-tabulations.

    Parameters
    ----------
    frame
        The frame to publish.  It must not hold identifier or date-of-birth columns
        (:data:`IDENTIFIER_COLUMNS`) unless the rule set is ``none``.
    rules
        A :class:`RuleSet` or its name.
    count_columns
        Columns holding counts of people.

    Returns
    -------
    pandas.DataFrame
        A new frame with ``disclosure`` and ``disclosure_status`` columns added.
    """
    rules = get_rule_set(rules)
    count_columns = list(count_columns)
    absent = [c for c in count_columns if c not in frame.columns]
    if absent:
        raise DisclosureError(
            f"count_columns {absent} are not columns of the frame "
            f"(columns: {list(frame.columns)[:20]})"
        )
    out = frame.copy().reset_index(drop=True)
    out["disclosure"] = rules.name
    if not rules.enabled:
        out["disclosure_status"] = "not applied"
        return out
    ident = sorted(IDENTIFIER_COLUMNS & {str(c) for c in out.columns})
    if ident:
        raise DisclosureError(
            f"frame has identifier column(s) {ident}: the report publishes aggregates, never "
            "person rows; aggregate first, or drop those columns"
        )
    status = pd.Series("shown", index=out.index, dtype=object)
    for c in count_columns:
        col = pd.to_numeric(out[c], errors="coerce")
        notes = []
        for i in out.index:
            v = col[i]
            if pd.isna(v):
                notes.append(None)
                continue
            if 0 < v < rules.threshold:
                col[i] = np.nan
                notes.append(f"suppressed ({c}: count 1-{rules.threshold - 1})")
            elif rules.rounding_base > 1:
                col[i] = round_to_base(float(v), rules.rounding_base)
                notes.append(None)
            else:
                notes.append(None)
        out[c] = col
        for i, note in enumerate(notes):
            if note:
                status[i] = note if status[i] == "shown" else f"{status[i]}; {note}"
    if count_columns and rules.rounding_base > 1:
        status[status == "shown"] = "rounded"
    out["disclosure_status"] = status
    return out


def _table_name(frame: pd.DataFrame) -> str:
    if "table_id" in frame and len(frame):
        return repr(str(frame["table_id"].iloc[0]))
    return "(unnamed)"
