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

This module applies a rule set (:func:`apply_to_table`, :func:`apply_to_frame`); the rule
sets are declared in ``socdata.report.rule_sets`` and the search for secondary suppressions
is ``socdata.report.suppression``.  Their public names are documented here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from socdata.errors import DisclosureError
from socdata.report.control import rederive_proportions
from socdata.report.rule_sets import (
    COUNT_MEASURES,
    DEFAULT_RULE_SET,
    EXTREME_MEASURES,
    IDENTIFIER_COLUMNS,
    MARGIN_LABELS,
    PROPORTION_MEASURES,
    RULE_SETS,
    DisclosureOffWarning,
    RuleSet,
    get_rule_set,
    is_margin,
    round_to_base,
)
from socdata.report.suppression import (
    Cell,
    hidden_totals,
    recoverable_cells,
    secondary_suppression,
)
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

_KEY = ["row_label", "column_label", "measure"]
_DEN_ROW = "__denominators__"
_DEN_COL = "__denominators__"


def _round_half_up(value: float, decimals: int) -> float:
    if value is None or pd.isna(value) or decimals >= 15:
        return value
    return round_half_up(float(value), decimals)


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
    if not any(is_margin(r) for r in rows) or len(rows) == 1:
        for c, g in sub.groupby("column_label", sort=False):
            if g["d"].nunique() == 1 and g["row_label"].nunique() > 1 and c in cols:
                pseudo[(_DEN_ROW, c)] = float(g["d"].iloc[0])
    if not any(is_margin(c) for c in cols) or len(cols) == 1:
        for r, g in sub.groupby("row_label", sort=False):
            if g["d"].nunique() == 1 and g["column_label"].nunique() > 1 and r in rows:
                pseudo[(r, _DEN_COL)] = float(g["d"].iloc[0])
    return pseudo


def _base_of(row: pd.Series) -> float | None:
    """The base of a statistic: its ``denominator``, else its ``n`` (``None`` if neither)."""
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
    out = _checked_copy(table)
    out["disclosure"] = rules.name
    if not rules.enabled:
        out["disclosure_status"] = "not applied"
        return out
    t = _Table.of(out, rules)
    grid = _suppress_counts(t, protect)
    _control_cells(t, grid)
    _control_bases(t, grid)
    for c in ("conf_low", "conf_high"):
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
            out.loc[t.status.str.startswith("suppressed"), c] = np.nan
    out["value"] = t.value
    out["disclosure_status"] = t.status
    rederive_proportions(out, rules)
    return out


def _checked_copy(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of a tidy table with a fresh index, after checking its columns and cells."""
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
    return out


@dataclasses.dataclass
class _Table:
    """A tidy table under control: its values, measures, counts and per-cell status."""

    out: pd.DataFrame
    rules: RuleSet
    status: pd.Series
    value: pd.Series
    measure: pd.Series
    nums: dict[str, pd.Series]

    @classmethod
    def of(cls, out: pd.DataFrame, rules: RuleSet) -> _Table:
        num_cols = [c for c in ("numerator", "denominator", "n") if c in out]
        return cls(
            out=out,
            rules=rules,
            status=pd.Series("shown", index=out.index, dtype=object),
            value=pd.to_numeric(out["value"], errors="coerce").astype(float),
            measure=out["measure"].astype(str).str.strip().str.lower(),
            nums={c: pd.to_numeric(out[c], errors="coerce").astype(float) for c in num_cols},
        )

    def key(self, i: int) -> Cell:
        return (self.out.at[i, "row_label"], self.out.at[i, "column_label"])


@dataclasses.dataclass(frozen=True)
class _Grid:
    """The count grid of a table after primary and secondary suppression."""

    count_rows: set[int]  # rows of n cells (empty when the grid is of numerators)
    suppressed: set[Cell]
    hidden_denominators: set[Cell]


def _suppress_counts(t: _Table, protect: Iterable[tuple]) -> _Grid:
    """Primary and secondary suppression on the grid of counts, statuses set.

    The grid is of the ``n`` cells, or of the percentage numerators when a table has no
    ``n`` cells; published bases that act as totals join it (:func:`_denominator_margins`).
    """
    out, rules = t.out, t.rules
    count_idx = list(out.index[t.measure.isin(COUNT_MEASURES)])
    count_vals = {i: t.value[i] for i in count_idx}
    if not count_idx and "numerator" in out:
        numerator = t.nums["numerator"]
        count_idx = list(out.index[t.measure.isin(PROPORTION_MEASURES) & numerator.notna()])
        count_vals = {i: numerator[i] for i in count_idx}
    for i, v in count_vals.items():
        if not pd.isna(v) and v < 0:
            raise DisclosureError(
                f"table {_table_name(out)}: count cell ({out.at[i, 'row_label']!r}, "
                f"{out.at[i, 'column_label']!r}) is negative ({v:g}); counts of people "
                "cannot be negative"
            )
    cells = {t.key(i): v for i, v in count_vals.items()}
    index_of = {t.key(i): i for i in count_idx}
    pseudo = _denominator_margins(out, t.measure, t.nums, cells) if cells else {}
    grid = {**cells, **pseudo}
    primary = {k for k, v in grid.items() if rules.is_small(v)}
    elsewhere = {tuple(k) for k in protect} & set(cells) - primary
    primary |= elsewhere
    secondary: set = set()
    if rules.secondary and primary:
        secondary = secondary_suppression(grid, primary)
    hidden_denominators = {k for k in (primary | secondary) if k in pseudo}
    primary -= hidden_denominators
    secondary -= hidden_denominators
    for k in primary:
        t.status[index_of[k]] = (
            "suppressed (protected in another table)"
            if k in elsewhere
            else f"suppressed ({rules.small_count_reason})"
        )
    for k in secondary:
        t.status[index_of[k]] = "suppressed (secondary)"
    count_rows = set(count_idx) if t.measure.isin(COUNT_MEASURES).any() else set()
    return _Grid(count_rows, primary | secondary, hidden_denominators)


def _control_cells(t: _Table, grid: _Grid) -> None:
    """Counts rounded or withheld; statistics withheld on small or unknown bases, rounded."""
    out, rules, value, status = t.out, t.rules, t.value, t.status
    for i in out.index:
        key = t.key(i)
        if i in grid.count_rows:
            if key in grid.suppressed:
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
        reason = _statistic_reason(t, i, key in grid.suppressed)
        if reason is not None:
            status[i] = f"suppressed ({reason})"
            value[i] = np.nan
            continue
        m = t.measure[i]
        decimals = rules.pct_decimals if m in PROPORTION_MEASURES else rules.mean_decimals
        value[i] = _round_half_up(value[i], decimals)
        for c in ("conf_low", "conf_high"):
            if c in out and not pd.isna(out.at[i, c]):
                out.at[i, c] = _round_half_up(float(out.at[i, c]), decimals)


def _statistic_reason(t: _Table, i: int, count_suppressed: bool) -> str | None:
    """Why a percentage, mean or other statistic is withheld (``None``: it is published)."""
    rules, m = t.rules, t.measure[i]
    base = _base_of(t.out.loc[i])
    numerator = t.nums["numerator"][i] if "numerator" in t.nums else np.nan
    if count_suppressed:
        return "count suppressed"
    if m in PROPORTION_MEASURES and rules.is_small(numerator):
        return rules.small_count_reason
    if base is None:
        return "base unknown"
    if m in EXTREME_MEASURES:
        if rules.extremes_min_base is None:
            return "min/max of individual values"
        if base < rules.extremes_min_base:
            return f"base under {rules.extremes_min_base}"
        return None
    if base < rules.min_base:
        return f"base under {rules.min_base}"
    return None


def _control_bases(t: _Table, grid: _Grid) -> None:
    """Numerators, denominators and ``n`` are counts of people too."""
    out, rules, status = t.out, t.rules, t.status
    hidden_den_cols = {c for r, c in grid.hidden_denominators if r == _DEN_ROW}
    hidden_den_rows = {r for r, c in grid.hidden_denominators if c == _DEN_COL}
    for c, col in t.nums.items():
        for i in out.index:
            v = col[i]
            if str(status[i]).startswith("suppressed"):
                col[i] = np.nan
            elif c == "denominator" and (
                out.at[i, "column_label"] in hidden_den_cols
                or out.at[i, "row_label"] in hidden_den_rows
            ):
                col[i] = np.nan  # the base would give a suppressed count back
            elif rules.is_small(v):
                col[i] = np.nan
            elif not pd.isna(v) and rules.rounding_base > 1:
                col[i] = round_to_base(v, rules.rounding_base)
        out[c] = col


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
            if rules.is_small(v):
                col[i] = np.nan
                notes.append(f"suppressed ({c}: {rules.small_count_reason})")
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
