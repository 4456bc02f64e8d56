"""The one encoder of DiD input: column checks, layout detection, identifier codes (private).

Every DiD estimator reads its long panel (one row per unit and period) through two steps
of this module, whatever it does next:

1. :func:`check_input` checks the columns named by the shared keyword vocabulary
   (:class:`Columns`: ``outcome, unit, time, treatment | cohort, covariates, cluster,
   weights``, and ``exposure``): a frame with rows, every named column present, the
   outcome not also a regressor, numbers where numbers are needed.
2. :func:`encode_layout` recognises the common layout "sorted by unit then period,
   balanced" (no codes are materialised then), or codes units and periods, and enforces
   one row per unit and period with one message.

The estimator-specific parts are small steps on top: the fixed-effects estimators drop
and count rows with missing values and stack the regressors
(:func:`socdata.did._panel.build_panel`); ATT(g,t) checks unit-level columns and reshapes
to unit-by-period matrices (:func:`socdata.did._att_gt_prep.build_panel`).  Errors are
:class:`~socdata.errors.DiDInputError` (an :class:`~socdata.errors.EstimationError`;
``att_gt`` passes its subclass :class:`~socdata.errors.AttGtInputError`) and name the
function, the column and the rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from socdata.errors import DiDInputError

#: A dense (units x periods) grid is used when it is at most this many times the rows
#: (plus a constant), otherwise sums go through ``np.bincount`` on codes.
GRID_SLACK = 2.5


def mask_id(value: object) -> str:
    """Mask an identifier for an error message (first character kept)."""
    s = str(value)
    return (s[:1] + "*" * max(len(s) - 1, 2)) if s else "''"


def check_columns(
    data: pd.DataFrame,
    columns: dict[str, str | None],
    function: str,
    error: type[DiDInputError] = DiDInputError,
) -> None:
    """Raise a clear error when ``data`` is not a frame or lacks a named column."""
    if not isinstance(data, pd.DataFrame):
        raise error(
            f"{function}: data must be a pandas DataFrame (one row per unit and period), "
            f"got {type(data).__name__}."
        )
    for role, col in columns.items():
        if col is None:
            continue
        if not isinstance(col, str):
            raise error(f"{function}: {role}= must be a column name (str), got {col!r}.")
        if col not in data.columns:
            cols = ", ".join(map(str, list(data.columns)[:25]))
            raise error(
                f"{function}: {role}={col!r} is not a column of the data. "
                f"Columns in the data: [{cols}{', ...' if data.shape[1] > 25 else ''}]."
            )


@dataclasses.dataclass(frozen=True)
class Columns:
    """The columns a DiD estimator reads, by the shared keyword vocabulary.

    ``treatment`` (a time-varying 0/1 indicator) or ``cohort`` (the unit's first treated
    period); ``regressors`` are further regressors named by the caller (e.g. the event
    study's covariates); ``exposure`` is a positive column whose log is an offset.
    """

    outcome: str
    unit: str
    time: str
    treatment: str | None = None
    cohort: str | None = None
    covariates: tuple[str, ...] = ()
    cluster: str | None = None
    weights: str | None = None
    exposure: str | None = None
    regressors: tuple[str, ...] = ()

    def roles(self) -> dict[str, str | None]:
        """Keyword name of each column (``covariates[0]``, ...), in the signature's order."""
        roles: dict[str, str | None] = {
            "outcome": self.outcome,
            "unit": self.unit,
            "time": self.time,
            "treatment": self.treatment,
            "cohort": self.cohort,
        }
        roles |= {f"covariates[{i}]": c for i, c in enumerate(self.covariates)}
        roles |= {f"regressors[{i}]": c for i, c in enumerate(self.regressors)}
        roles |= {"cluster": self.cluster, "weights": self.weights, "exposure": self.exposure}
        return roles

    @property
    def slopes(self) -> tuple[str, ...]:
        """Regressor columns in model order: treatment, covariates, further regressors."""
        first = (self.treatment,) if self.treatment is not None else ()
        return (*first, *self.covariates, *self.regressors)


def check_input(
    data: pd.DataFrame,
    columns: Columns,
    function: str,
    error: type[DiDInputError] = DiDInputError,
    *,
    extra_names: Sequence[str] = (),
) -> dict[str, np.ndarray]:
    """The checks every DiD estimator makes before reading a value; the numeric columns.

    ``data`` is a frame with rows; every column of ``columns`` is present; the regressors
    (slopes and the caller's ``extra_names``) are distinct and do not include the outcome;
    the outcome and the regressors are numeric.  Returns them as float64 arrays by column
    name (:func:`numeric_column`: NaN for missing).
    """
    check_columns(data, columns.roles(), function, error)
    if len(data) == 0:
        raise error(f"{function}: the data has no rows.")
    names = (*columns.slopes, *extra_names)
    if len(set(names)) != len(names):
        raise error(f"{function}: regressor names repeat: {names}.")
    if columns.outcome in names:
        raise error(
            f"{function}: the outcome {columns.outcome!r} is also a regressor; choose different "
            "columns."
        )
    out = {columns.outcome: numeric_column(data, columns.outcome, "outcome", function, error)}
    for col in columns.slopes:
        role = "treatment" if col == columns.treatment else "covariate"
        out[col] = numeric_column(data, col, role, function, error)
    return out


def numeric_column(
    data: pd.DataFrame,
    col: str,
    role: str,
    function: str,
    error: type[DiDInputError] = DiDInputError,
) -> np.ndarray:
    """Column as float64 (NaN for missing); clear error for non-numeric values."""
    s = data[col]
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    if not pd.api.types.is_numeric_dtype(s.dtype):
        bad = pd.to_numeric(s, errors="coerce").isna() & s.notna()
        idx = np.flatnonzero(bad.to_numpy())
        example = f" e.g. row {data.index[idx[0]]!r} has {s.iloc[idx[0]]!r}" if idx.size else ""
        raise error(
            f"{function}: {role} column {col!r} must be numeric (dtype {s.dtype});{example}. "
            "Rule: outcomes, treatments and covariates are numbers (0/1 for indicators). "
            "Recode labels to numbers first."
        )
    if isinstance(s.dtype, np.dtype):  # plain numpy column: no NA other than NaN, no copy
        return s.to_numpy(dtype=np.float64)
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def weight_column(
    data: pd.DataFrame,
    col: str,
    function: str,
    error: type[DiDInputError] = DiDInputError,
) -> np.ndarray:
    """Observation weights as float64; raise for missing, infinite or negative weights.

    Weights are analytic (e.g. matching) weights: each row's contribution to the sums of
    squares (or the Poisson score) is multiplied by its weight.  Zero is allowed (the row is
    then dropped by :func:`build_panel` and counted); negative, missing or infinite weights
    have no meaning and raise :class:`~socdata.errors.DiDInputError`.
    """
    w = numeric_column(data, col, "weights", function, error)
    missing = ~np.isfinite(w)
    if missing.any():
        raise error(
            f"{function}: weights column {col!r} has {int(missing.sum())} missing or "
            "non-finite values. Rule: every row needs a finite non-negative weight. Fill them "
            "(e.g. 0 to exclude the row, 1 for an unweighted row) or drop those rows first."
        )
    negative = w < 0
    if negative.any():
        raise error(
            f"{function}: weights column {col!r} has {int(negative.sum())} negative values "
            f"(e.g. {w[negative][0]:g}). Rule: weights are non-negative (0 excludes a row). "
            "Check how the weights were computed (matching weights are counts of uses)."
        )
    return w


def sorted_balanced_shape(
    units: np.ndarray | None, times: np.ndarray, *, units_increasing: bool = True
) -> tuple[int, int] | None:
    """``(n_units, n_times)`` when the rows are in the common layout, else ``None``.

    The layout: rows are unit blocks of equal length, every block holds the same strictly
    increasing periods, and the units of the blocks are distinct (strictly increasing when
    ``units_increasing``, as the fixed-effects encoder needs for its codes).  Two vectorised
    passes; no codes are materialised and nothing is hashed except one value per unit.
    """
    if units is None or units.size < 2:
        return None
    n = units.size
    change = np.flatnonzero(units[: min(n, 1_000_000)] != units[0])
    n_times = int(change[0]) if change.size else n
    if n % n_times:
        return None
    n_units = n // n_times
    u = units.reshape(n_units, n_times)
    first = u[:, 0]
    if not bool((u == first[:, None]).all()):
        return None
    # strictly increasing units are distinct (the common case: no hashing)
    if not np.all(first[1:] > first[:-1]) and (units_increasing or not pd.Index(first).is_unique):
        return None
    block = times[:n_times]
    if n_times > 1 and not np.all(block[1:] > block[:-1]):
        return None
    if not bool((times.reshape(n_units, n_times) == block).all()):
        return None
    return n_units, n_times


def factorize(values: pd.Series | np.ndarray, *, sort: bool) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (int64) and the levels; with ``sort`` the levels are sorted.

    Sorted integer and datetime identifiers on a compact range (e.g. months, years, day
    grids) are coded without hashing.
    """
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    numpy_backed = not isinstance(values, pd.Series) or isinstance(values.dtype, np.dtype)
    kind = arr.dtype.kind
    if sort and numpy_backed and kind in "iuM" and len(arr):
        ints = arr.view(np.int64) if kind == "M" else arr.astype(np.int64, copy=False)
        lo, hi = int(ints.min()), int(ints.max())
        step = 1
        if kind == "M" and hi > lo:
            # periods on a regular grid (e.g. days): divide by the gcd of the offsets
            step = int(np.gcd.reduce(np.unique(ints[: min(len(ints), 100_000)] - lo)))
            step = step if step > 0 and not np.any((ints - lo) % step) else 0
        if step and (hi - lo) // step <= 4 * len(arr):
            off = (ints - lo) // step if step > 1 else ints - lo
            seen = np.zeros(off.max() + 1, dtype=bool)
            seen[off] = True
            rank = np.cumsum(seen) - 1
            uniq = (np.flatnonzero(seen) * step + lo).astype(np.int64)
            uniq = uniq.view(arr.dtype) if kind == "M" else uniq.astype(arr.dtype)
            return rank[off].astype(np.int64, copy=False), uniq
    codes, levels = pd.factorize(values, sort=sort)
    return codes.astype(np.int64, copy=False), np.asarray(levels)


def per_unit_constant(values: np.ndarray, n: int, n_t: int) -> np.ndarray:
    """Per unit of a sorted balanced panel: is the column constant over its rows (NaN == NaN)?"""
    m = values.reshape(n, n_t)
    first = m[:, :1]
    same = m == first
    if same.all():  # the common case: one reduction over the whole matrix
        return np.ones(n, dtype=bool)
    if m.dtype.kind == "f":
        same |= np.isnan(m) & np.isnan(first)
    elif m.dtype.kind == "M":
        same |= np.isnat(m) & np.isnat(first)
    return same.all(axis=1)


def as_comparable(s: pd.Series) -> np.ndarray | None:
    """A numeric view of an identifier column for fast paths (None for other dtypes)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return None
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return s.to_numpy().view(np.int64)
    if pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_extension_array_dtype(
        s.dtype
    ):
        return s.to_numpy()
    if pd.api.types.is_float_dtype(s.dtype):
        return s.to_numpy()
    return None


def _codes_sorted(values: np.ndarray) -> np.ndarray | None:
    """Codes for a monotone non-decreasing numeric array (None when not monotone)."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    change = values[1:] != values[:-1]
    if not np.all(values[1:] >= values[:-1]):
        return None
    codes = np.empty(values.size, dtype=np.int64)
    codes[0] = 0
    np.cumsum(change, out=codes[1:])
    return codes


@dataclasses.dataclass
class Layout:
    """Where each row sits in the unit x period grid (from :func:`encode_layout`).

    ``unit_codes is None`` is the sorted balanced layout: row ``r`` is unit ``r // n_times``
    in period ``r % n_times`` and no codes exist.  Otherwise ``unit_codes``/``time_codes``
    are integer codes per row and ``cell = unit * n_times + time`` the flat grid position;
    ``counts`` the rows per cell when the dense grid was small enough to count.
    """

    n_units: int
    n_times: int
    time_levels: np.ndarray
    unit_codes: np.ndarray | None = None
    time_codes: np.ndarray | None = None
    cell: np.ndarray | None = None
    counts: np.ndarray | None = None
    unit_levels: np.ndarray | None = None

    @property
    def sorted_balanced(self) -> bool:
        """Rows are unit-major, period-minor, and every unit has every period."""
        return self.unit_codes is None

    def first_rows(self) -> np.ndarray:
        """One row of each unit (its representative for unit-level columns)."""
        if self.unit_codes is None:
            return np.arange(self.n_units, dtype=np.int64) * self.n_times
        first_row = np.empty(self.n_units, dtype=np.int64)
        first_row[self.unit_codes] = np.arange(len(self.unit_codes))
        return first_row

    def present(self) -> np.ndarray | None:
        """``(n_units, n_times)`` flags of the cells that have a row (None = all of them)."""
        if self.unit_codes is None:
            return None
        counts = self.counts
        if counts is None:
            counts = np.bincount(self.cell, minlength=self.n_units * self.n_times)
        return (counts == 1).reshape(self.n_units, self.n_times)


def _fast_values(values: pd.Series | np.ndarray) -> np.ndarray | None:
    """Values the sorted-balanced check can compare (None: use codes)."""
    if isinstance(values, np.ndarray):
        return values
    comparable = as_comparable(values)
    if comparable is not None or isinstance(values.dtype, pd.CategoricalDtype):
        return comparable
    return values.to_numpy()


def _show(value: object) -> str:
    """A period value for a message (dates as dates, numpy scalars as Python values)."""
    if isinstance(value, (np.datetime64, pd.Timestamp)):
        ts = pd.Timestamp(value)
        return str(ts.date() if ts == ts.normalize() else ts)
    return repr(value.item() if isinstance(value, np.generic) else value)


def duplicate_rows_message(
    unit_id: Any,
    period: Any = None,
    *,
    detail: str = "",
    columns: tuple[str, str] | None = None,
    hint: str = "GROUP BY unit, period",
) -> str:
    """The one message for rows that break "one row per unit and period", in memory
    (:func:`encode_layout`) and on table sources (:mod:`socdata.scale`).

    The unit is masked (:func:`mask_id`); ``period`` ``None`` when the engine does not say
    which; ``detail`` follows the period (e.g. the row labels); ``columns`` names the unit
    and period columns; ``hint`` is how to aggregate.
    """
    where = "a period" if period is None else f"period {_show(period)}"
    named = f" ({columns[0]!r}, {columns[1]!r})" if columns else ""
    return (
        f"unit {mask_id(unit_id)} has more than one row in {where}{detail}; rule: one row per "
        f"unit and period{named}. Aggregate the rows first (e.g. {hint})."
    )


def encode_layout(
    units: pd.Series | np.ndarray,
    times: pd.Series | np.ndarray,
    *,
    function: str,
    unit: str,
    time: str,
    sort_units: bool,
    error: type[DiDInputError] = DiDInputError,
    row_labels: pd.Index | None = None,
    kept: np.ndarray | None = None,
) -> Layout:
    """The :class:`Layout` of the rows; one row per unit and period is enforced.

    The sorted balanced layout is recognised in two vectorised passes
    (:func:`sorted_balanced_shape`); otherwise units are coded in order of appearance
    (``sort_units=False``; monotone numeric identifiers without hashing) or sorted, and
    periods sorted.  Duplicate unit-period rows raise ``error`` with a masked unit, the
    period and two row labels (``row_labels``: the data's index; ``kept``: the mask of the
    data's rows that ``units`` and ``times`` hold, when some were dropped).
    """
    n = len(units)
    uvals, tvals = _fast_values(units), _fast_values(times)
    shape = (
        sorted_balanced_shape(uvals, tvals, units_increasing=False) if tvals is not None else None
    )
    if shape is not None:
        n_units, n_times = shape
        levels = np.asarray(times)[:n_times]
        return Layout(n_units, n_times, levels, unit_levels=np.asarray(units)[::n_times])
    ucodes = _codes_sorted(uvals) if uvals is not None and uvals.dtype.kind in "iufM" else None
    unit_levels = None
    if ucodes is not None:
        unit_codes, n_units = ucodes, int(ucodes[-1]) + 1 if n else 0
    else:
        unit_codes, unit_levels = factorize(units, sort=sort_units)
        n_units = len(unit_levels)
    time_codes, time_levels = factorize(times, sort=True)
    n_times = len(time_levels)
    cell = unit_codes * n_times + time_codes
    counts = None
    if n_units * n_times <= GRID_SLACK * n + 1_000_000:
        counts = np.bincount(cell, minlength=n_units * n_times)
        dup = counts[cell] > 1 if counts.max(initial=0) > 1 else None
    else:
        dup = pd.Series(cell).duplicated(keep=False).to_numpy()
        dup = dup if dup.any() else None
    if dup is not None:
        rows = np.flatnonzero(dup)
        r0 = int(rows[0])
        r1 = int(rows[1:][cell[rows[1:]] == cell[r0]][0])
        n_pairs = int(np.unique(cell[rows]).size)
        pos = [r0, r1] if kept is None else np.flatnonzero(kept)[[r0, r1]].tolist()
        labels = [row_labels[r] for r in pos] if row_labels is not None else pos
        raise error(
            f"{function}: "
            + duplicate_rows_message(
                np.asarray(units)[r0],
                np.asarray(times)[r0],
                detail=f" (rows {_show(labels[0])} and {_show(labels[1])}; {n_pairs} "
                f"unit-period pair{'s' * (n_pairs > 1)} in all)",
                columns=(unit, time),
                hint="sum counts by person and month",
            )
        )
    return Layout(
        n_units,
        n_times,
        np.asarray(time_levels),
        unit_codes,
        time_codes,
        cell,
        counts,
        unit_levels,
    )
