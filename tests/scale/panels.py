"""Small staggered-adoption panels shared by the scale tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def staggered_panel(
    n: int = 240, n_t: int = 8, seed: int = 3, cohorts=(0, 3, 5, 6, 9), dates: bool = False
) -> pd.DataFrame:
    """Long panel sorted by unit and period: outcome ``y``, cohort ``g`` (0 = never),
    cluster ``area`` (40 areas), unit effects, period effects and a treatment effect that
    grows with event time."""
    rng = np.random.default_rng(seed)
    g = rng.choice(list(cohorts), size=n)
    t = np.tile(np.arange(1, n_t + 1), n)
    gg = np.repeat(g, n_t)
    treated = (gg > 0) & (t >= gg)
    y = (
        np.repeat(rng.normal(size=n), n_t)
        + 0.2 * t
        + rng.normal(size=n * n_t)
        + treated * (0.5 + 0.1 * (t - gg))
    )
    df = pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), n_t),
            "t": t,
            "g": gg,
            "y": y,
            "area": np.repeat(rng.integers(0, 40, n), n_t),
        }
    )
    if dates:
        months = pd.date_range("2020-01-01", periods=n_t + max(cohorts) + 1, freq="MS")
        df["t"] = months[df["t"].to_numpy() - 1]
        df["g"] = pd.Series(months[np.maximum(gg - 1, 0)]).where(gg > 0).to_numpy()
    return df


def assert_same_att(a, b, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """Cells and all four aggregations equal (estimates and standard errors)."""
    ta, tb = a.tidy(), b.tidy()
    assert list(ta["term"]) == list(tb["term"])
    np.testing.assert_allclose(ta["estimate"], tb["estimate"], rtol=rtol, atol=atol)
    np.testing.assert_allclose(ta["std_error"], tb["std_error"], rtol=rtol, atol=atol)
    assert list(ta["n"]) == list(tb["n"])
    for kind in ("simple", "group", "calendar", "dynamic"):
        xa, xb = a.aggregate(kind).tidy(), b.aggregate(kind).tidy()
        np.testing.assert_allclose(xa["estimate"], xb["estimate"], rtol=rtol, atol=atol)
        np.testing.assert_allclose(xa["std_error"], xb["std_error"], rtol=rtol, atol=atol)
