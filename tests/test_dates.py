"""The two age rules of socdata.dates against brute-force calendar arithmetic."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from socdata.dates import DAYS_PER_YEAR, NAT_INT, age_years, completed_years


def _dates(n: int, seed: int, lo: str, hi: str) -> pd.DatetimeIndex:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, (pd.Timestamp(hi) - pd.Timestamp(lo)).days, size=n)
    return pd.Timestamp(lo) + pd.to_timedelta(days, unit="D")


def test_age_years_is_days_over_the_julian_year():
    birth, at = (
        _dates(200, 1, "1995-01-01", "2012-12-31"),
        _dates(200, 2, "2013-01-01", "2024-12-31"),
    )
    expected = [(a.date() - b.date()).days / 365.25 for b, a in zip(birth, at, strict=True)]
    got = age_years(birth, at)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert DAYS_PER_YEAR == 365.25
    # int64 nanoseconds (the risk-set matcher's arrays) give the same floats
    assert np.array_equal(age_years(birth.as_unit("ns").asi8, at.as_unit("ns").asi8), got)
    # completed years: the largest whole number of birthdays reached, brute force
    whole = completed_years(pd.Series(birth), pd.Series(at)).to_numpy(dtype=int)
    for b, a, w in zip(birth, at, whole, strict=True):
        n = a.year - b.year - ((a.month, a.day) < (b.month, b.day))
        assert w == n
    # a continuous age is never below the completed years by more than the leap-day slack
    assert (got - whole > -0.01).all() and (got - whole < 1.0).all()


def test_age_years_takes_any_datetime_unit():
    # pandas 3 reads dates as microseconds; the matcher's arrays are nanoseconds
    birth = np.array(["2005-03-02", "2007-12-31"], dtype="datetime64[us]")
    at = np.array(["2021-03-02", "2020-02-29"], dtype="datetime64[s]")
    expected = age_years(birth.astype("datetime64[ns]"), at.astype("datetime64[ns]"))
    assert np.array_equal(age_years(birth, at), expected)


def test_age_years_missing_and_broadcasting():
    birth = np.array(["2005-03-02", "NaT"], dtype="datetime64[ns]")
    months = np.array(["2020-01-01", "2021-03-02", "2022-06-01"], dtype="datetime64[ns]")
    out = age_years(birth[:, None], months[None, :])
    assert out.shape == (2, 3) and np.isnan(out[1]).all()
    assert out[0, 1] == pytest.approx((dt.date(2021, 3, 2) - dt.date(2005, 3, 2)).days / 365.25)
    ns = np.array([NAT_INT, birth[0].astype("datetime64[ns]").view(np.int64)])
    assert np.isnan(age_years(ns, months[0])[0])
