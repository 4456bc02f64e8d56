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

import dataclasses

import numpy as np
import pandas as pd

from socdata.errors import EstimationError

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


def compose_masks(keep: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """Row mask on the original frame from ``keep`` followed by ``sub`` on the kept rows."""
    out = keep.copy()
    out[np.flatnonzero(keep)[~sub]] = False
    return out


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
class Rows:
    """The row-aligned columns of a panel while rows are being dropped."""

    frame_u: pd.Series
    frame_t: pd.Series
    frame_c: pd.Series | None
    y: np.ndarray
    cols: list[np.ndarray]
    off: np.ndarray | None
    wts: np.ndarray | None
    extra: dict[str, np.ndarray]

    def take(self, m: np.ndarray) -> Rows:
        return Rows(
            self.frame_u[m],
            self.frame_t[m],
            self.frame_c[m] if self.frame_c is not None else None,
            self.y[m],
            [c[m] for c in self.cols],
            self.off[m] if self.off is not None else None,
            self.wts[m] if self.wts is not None else None,
            {k: v[m] for k, v in self.extra.items()},
        )


def missing_rows(
    data: pd.DataFrame,
    y: np.ndarray,
    regressors: dict[str, np.ndarray],
    off: np.ndarray | None,
    *,
    outcome: str,
    unit: str,
    time: str,
    cluster: str | None,
    offset_column: str | None,
) -> tuple[np.ndarray, dict[str, int]]:
    """Rows with a missing or non-finite value, counted by the first column that is."""
    missing: dict[str, int] = {}
    bad = np.zeros(len(data), dtype=bool)

    def _flag(name: str, m: np.ndarray) -> None:
        nonlocal bad
        cnt = int(np.count_nonzero(m & ~bad))
        if cnt:
            missing[f"missing or non-finite {name}"] = cnt
            bad |= m

    _flag(outcome, ~np.isfinite(y))
    for name, v in regressors.items():
        _flag(name, ~np.isfinite(v))
    for col in (unit, time):
        if not (isinstance(data[col].dtype, np.dtype) and data[col].dtype.kind in "iub"):
            _flag(col, data[col].isna().to_numpy())
    if cluster is not None and cluster != unit:
        _flag(cluster, data[cluster].isna().to_numpy())
    if off is not None:
        _flag(f"{offset_column} (must be > 0)", ~(np.isfinite(off) & (off > 0)))
    # extra columns may be missing by design (e.g. the cohort of the never treated)
    return bad, missing


def encode_identifiers(
    data: pd.DataFrame,
    frame_u: pd.Series,
    frame_t: pd.Series,
    frame_c: pd.Series | None,
    keep: np.ndarray | None,
    *,
    unit: str,
    time: str,
    cluster: str | None,
    function: str,
) -> tuple:
    """Unit, period and cluster codes of the kept rows (none for the sorted balanced
    layout); one row per (unit, period) is enforced with masked examples."""
    n = len(frame_u)
    ucodes = None
    cell = None
    unit_codes: np.ndarray | None
    time_codes: np.ndarray | None
    uvals = as_comparable(frame_u)
    tvals = as_comparable(frame_t)
    sorted_balanced = sorted_balanced_shape(uvals, tvals) if tvals is not None else None
    if sorted_balanced is not None:
        n_units, n_times = sorted_balanced
        time_levels = frame_t.to_numpy()[:n_times]
        sorted_balanced = True
    else:
        sorted_balanced = False
        ucodes = _codes_sorted(uvals) if uvals is not None else None
    if sorted_balanced:
        unit_codes = None
        time_codes = None
    else:
        if ucodes is not None:
            unit_codes, n_units = ucodes, int(ucodes[-1]) + 1
        else:
            unit_codes, levels = factorize(frame_u, sort=False)
            n_units = len(levels)
        time_codes, time_levels = factorize(frame_t, sort=True)
        n_times = len(time_levels)
        cell = unit_codes * n_times + time_codes
        if n_units * n_times <= GRID_SLACK * n + 1_000_000:
            counts = np.bincount(cell, minlength=n_units * n_times)
            dup = counts[cell] > 1 if counts.max(initial=0) > 1 else np.zeros(n, dtype=bool)
            del counts
        else:
            dup = pd.Series(cell).duplicated(keep=False).to_numpy()
        if dup.any():
            rows = np.flatnonzero(dup)[:2]
            idx = (np.flatnonzero(keep)[rows] if keep is not None else rows).tolist()
            labels = [data.index[i] for i in idx]
            raise EstimationError(
                f"{function}: {int(dup.sum())} rows share a ({unit}, {time}) pair with another "
                f"row, e.g. rows {labels[0]!r} and {labels[1]!r} ({unit} value masked, "
                f"{time} = {frame_t.iloc[rows[0]]!r}). Rule: a panel has one row per unit and "
                "period. Aggregate duplicate rows (e.g. sum counts by person and month) first."
            )
    if frame_c is None or cluster == unit:
        cluster_codes, n_clusters = None, n_units
    else:
        cluster_codes, c_levels = factorize(frame_c, sort=False)
        n_clusters = len(c_levels)

    return (
        n_units,
        n_times,
        time_levels,
        unit_codes,
        time_codes,
        cluster_codes,
        n_clusters,
        cell,
    )
