"""Calendar arithmetic shared by every layer: month index, day number, completed years.

One implementation of each rule, so that the schema checks, the panels, the windows and
the report tables agree on what "the month of", "days between" and "age at" mean.

Examples
--------
>>> import pandas as pd
>>> month_index(pd.Series(pd.to_datetime(["2021-01-31", "2021-03-01"])), "2020-12-15").tolist()
[1, 3]
>>> completed_years(pd.Series(pd.to_datetime(["2005-03-02"])),
...                 pd.Series(pd.to_datetime(["2021-03-01"]))).tolist()
[15]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "NAT_INT",
    "completed_years",
    "day_number",
    "epoch_months",
    "month_index",
    "month_start",
]

#: int64 code of a missing date (NaT) in :func:`epoch_months` and :func:`day_number`.
NAT_INT = np.iinfo(np.int64).min
_DAY_NS = 86_400 * 10**9


def month_start(dates: pd.Series | pd.DatetimeIndex | pd.Timestamp | str):
    """First day of the calendar month of each date (NaT stays NaT)."""
    if isinstance(dates, (pd.Timestamp, str)):
        return pd.Timestamp(dates).to_period("M").to_timestamp()
    if isinstance(dates, pd.Series):
        return dates.dt.to_period("M").dt.to_timestamp()
    return pd.DatetimeIndex(dates).to_period("M").to_timestamp()


def month_index(
    dates: pd.Series | pd.DatetimeIndex | np.ndarray, origin: pd.Timestamp | str
) -> np.ndarray:
    """Calendar months from the month of ``origin`` to the month of each date.

    ``2021-01-31`` and ``2021-01-01`` are both month 1 from an origin in December 2020;
    days within the month do not matter. Dates must not be missing.
    """
    o = pd.Timestamp(origin)
    d = pd.DatetimeIndex(dates)
    return ((d.year - o.year) * 12 + (d.month - o.month)).to_numpy()


def epoch_months(values) -> np.ndarray:
    """Months since 1970-01 of datetime64 values (NaT gives the int64 minimum).

    Computed through whole days and a lookup table over the range of days present, which
    is an order of magnitude faster than ``astype("datetime64[M]")`` on tens of millions
    of rows.
    """
    ns = np.asarray(values, dtype="datetime64[ns]").view(np.int64)
    nat = ns == NAT_INT
    out = np.full(ns.shape, NAT_INT, dtype=np.int64)
    if nat.all():
        return out
    days = ns // _DAY_NS
    ok_days = days[~nat] if nat.any() else days
    d0, d1 = int(ok_days.min()), int(ok_days.max())
    table = np.arange(d0, d1 + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    if nat.any():
        out[~nat] = table[ok_days - d0]
    else:
        out = table[days - d0]
    return out


def day_number(dates) -> np.ndarray:
    """Days since 1970-01-01 as int64 (the time of day is dropped; NaT gives the int64 minimum)."""
    return pd.DatetimeIndex(dates).to_numpy().astype("datetime64[D]").astype(np.int64)


def completed_years(dob: pd.Series, at: pd.Series) -> pd.Series:
    """Age in completed years at a date (``Int64``; NA where either date is missing).

    The birthday counts on its day: born 2005-03-02, 15 on 2020-03-02 and still 14 on
    2020-03-01. Born on 29 February, a person turns a year older on 1 March in other years.
    """
    dob = pd.to_datetime(dob)
    at = pd.to_datetime(at)
    years = at.dt.year - dob.dt.year
    before_birthday = (at.dt.month < dob.dt.month) | (
        (at.dt.month == dob.dt.month) & (at.dt.day < dob.dt.day)
    )
    out = (years - before_birthday.astype(int)).astype("Int64")
    out[dob.isna() | at.isna()] = pd.NA
    return out
