"""Event-time design of the event study: event times from calendar periods, the window and
its checks, and the event-time indicators (binned or trimmed), shared by the row path of
:func:`socdata.did.event_study` (the cohort-statistics path has its own reduction).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from socdata.dates import month_index
from socdata.errors import EstimationError, ExcludedRowsWarning
from socdata.provenance import FlowLog

__all__ = ["event_times"]


def _month_index(values: pd.Series) -> np.ndarray:
    """Calendar month of each date (:func:`socdata.dates.month_index` from 1970-01; NaN
    for a missing date)."""
    dt = pd.DatetimeIndex(values)
    out = np.full(len(dt), np.nan)
    ok = ~np.asarray(dt.isna())
    out[ok] = month_index(dt[ok], "1970-01-01")
    return out


def event_times(data: pd.DataFrame, *, time: str, cohort: str) -> np.ndarray:
    """Event time (periods since the first treated period) per row; NaN if never treated.

    Parameters
    ----------
    data
        Panel with ``time`` and ``cohort`` columns.
    time, cohort
        Column names; both datetime (event time in calendar months) or both numeric
        (``time - cohort``; a cohort of 0 means never treated).

    Returns
    -------
    numpy.ndarray
        Float array, NaN for never-treated rows.
    """
    t, c = data[time], data[cohort]
    t_dt = pd.api.types.is_datetime64_any_dtype(t.dtype)
    c_dt = pd.api.types.is_datetime64_any_dtype(c.dtype)
    if t_dt != c_dt:
        raise EstimationError(
            f"event_study: {time!r} ({t.dtype}) and {cohort!r} ({c.dtype}) must both be "
            "dates or both be numbers so that event time = time - cohort is defined. Convert "
            "one of them (e.g. pd.to_datetime, or use integer period numbers for both)."
        )
    if t_dt:
        return _month_index(t) - _month_index(c)
    for col, s in ((time, t), (cohort, c)):
        if not pd.api.types.is_numeric_dtype(s.dtype):
            raise EstimationError(
                f"event_study: {col!r} has dtype {s.dtype}; event time needs dates "
                "(datetime64, counted in calendar months) or period numbers. Convert it, e.g. "
                f"pd.to_datetime(data[{col!r}])."
            )
    tv = pd.to_numeric(t, errors="coerce").to_numpy(dtype=np.float64)
    cv = pd.to_numeric(c, errors="coerce").to_numpy(dtype=np.float64)
    cv = np.where(cv == 0, np.nan, cv)
    return tv - cv


def _check_window(
    fn: str, window: tuple[int, int], reference: int, bin_endpoints: bool
) -> tuple[int, int]:
    """Window and reference consistent."""
    lo, hi = (int(window[0]), int(window[1]))
    if not lo < 0 <= hi:
        raise EstimationError(
            f"{fn}: window must satisfy first < 0 <= last (e.g. (-12, 12)), got {window!r}."
        )
    if not lo <= reference <= hi or (bin_endpoints and reference in (lo, hi)):
        raise EstimationError(
            f"{fn}: reference={reference} must lie inside window {window!r}"
            + (" and not on a binned endpoint" if bin_endpoints else "")
            + "; the usual choice is -1 (the month before treatment)."
        )
    return lo, hi


def _check_design(
    data: pd.DataFrame,
    fn: str,
    unit: str,
    cohort: str,
    window: tuple[int, int],
    reference: int,
    bin_endpoints: bool,
) -> tuple[int, int]:
    """Window and reference consistent; the cohort constant within unit."""
    lo, hi = _check_window(fn, window, reference, bin_endpoints)
    coh_key = data[cohort]
    if pd.api.types.is_datetime64_any_dtype(coh_key.dtype):
        coh_num = coh_key.astype("int64").where(coh_key.notna(), -1)
    else:
        coh_num = pd.to_numeric(coh_key, errors="coerce").fillna(0)
    varies = coh_num.groupby(data[unit], sort=False).nunique(dropna=False)
    if (varies > 1).any():
        raise EstimationError(
            f"{fn}: {int((varies > 1).sum())} units have more than one {cohort!r} value; the "
            "cohort (first treated period) must be constant within a unit (rule: treatment "
            "is irreversible and starts once). Recompute it as the unit's first referral."
        )
    return lo, hi


def _event_dummies(
    data: pd.DataFrame,
    fn: str,
    *,
    time: str,
    cohort: str,
    window: tuple[int, int],
    reference: int,
    bin_endpoints: bool,
) -> tuple[pd.DataFrame, dict[str, np.ndarray], FlowLog]:
    """Event-time indicators (endpoints binned, or treated rows outside the window dropped
    and counted); the reference period is left out."""
    lo, hi = window
    et = event_times(data, time=time, cohort=cohort)
    treated_rows = np.isfinite(et)
    if not treated_rows.any():
        raise EstimationError(
            f"{fn}: no unit has a cohort (first treated period); an event study needs "
            "treated units. Check the cohort column (0 or missing means never treated)."
        )
    n_in = len(data)
    pre_flow = FlowLog()
    frame = data
    if not bin_endpoints:
        outside = treated_rows & ((et < lo) | (et > hi))
        if outside.any():
            n_out = int(outside.sum())
            pre_flow = pre_flow.add(
                "drop treated observations outside the event window",
                n_in,
                n_in - n_out,
                {f"event time outside [{lo}, {hi}] (bin_endpoints=False)": n_out},
            )
            warnings.warn(
                f"{fn}: excluded {n_out} treated observations outside the window "
                f"[{lo}, {hi}] (bin_endpoints=False).",
                ExcludedRowsWarning,
                stacklevel=4,
            )
            frame = data.loc[~outside]
            et = et[~outside]
    e = np.clip(et, lo, hi) if bin_endpoints else et
    dummies: dict[str, np.ndarray] = {}
    for k in range(lo, hi + 1):
        if k == reference:
            continue
        col = (e == k).astype(np.float64)
        if col.any():
            dummies[f"event_time::{k}"] = col
    return frame, dummies, pre_flow
