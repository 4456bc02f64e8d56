"""One encoder of DiD input: column checks, layout detection and identifier codes (private).

Every DiD estimator reads its long panel (one row per unit and period) through these
functions, so a column is checked, a missing value counted, an identifier masked and a
layout recognised the same way whether the estimator then works on long arrays
(:func:`socdata.did._panel.build_panel`, for the fixed-effects estimators) or on
unit-by-period matrices (:func:`socdata.did._att_gt_prep.build_panel`, for ATT(g,t)).
Errors are :class:`~socdata.errors.EstimationError` (``att_gt`` passes its subclass
:class:`~socdata.errors.AttGtInputError`) and name the function, the column and the rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socdata.errors import EstimationError


def mask_id(value: object) -> str:
    """Mask an identifier for an error message (first character kept)."""
    s = str(value)
    return (s[:1] + "*" * max(len(s) - 1, 2)) if s else "''"


def check_columns(
    data: pd.DataFrame,
    columns: dict[str, str | None],
    function: str,
    error: type[EstimationError] = EstimationError,
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


def numeric_column(
    data: pd.DataFrame,
    col: str,
    role: str,
    function: str,
    error: type[EstimationError] = EstimationError,
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
    error: type[EstimationError] = EstimationError,
) -> np.ndarray:
    """Observation weights as float64; raise for missing, infinite or negative weights.

    Weights are analytic (e.g. matching) weights: each row's contribution to the sums of
    squares (or the Poisson score) is multiplied by its weight.  Zero is allowed (the row is
    then dropped by :func:`build_panel` and counted); negative, missing or infinite weights
    have no meaning and raise :class:`~socdata.errors.EstimationError`.
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
    if units_increasing:
        if not np.all(first[1:] > first[:-1]):
            return None
    elif not pd.Index(first).is_unique:
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
