"""Power and MDE: the analytic formula against simulation of its own model, the MDE as its
inverse, and the summary of simulation records."""

import numpy as np
import pandas as pd
import pytest

from socdata.did.power import (
    analytic_power,
    minimum_detectable_effect,
    power_from_replications,
)


def test_analytic_power_equals_monte_carlo_of_its_model():
    rng = np.random.default_rng(0)
    se0, rr = 0.2, 0.65
    se = se0 * np.sqrt(0.75 + 0.25 / rr)
    draws = rng.normal(np.log(rr), se, 200_000)
    mc = np.mean(np.abs(draws / se) > 1.959963984540054)
    assert analytic_power(rr, se0) == pytest.approx(mc, abs=0.005)


def test_mde_inverts_power():
    for se0 in (0.1, 0.2, 0.35):
        mde = minimum_detectable_effect(se0)
        assert 0 < mde < 1
        assert analytic_power(mde, se0) == pytest.approx(0.8, abs=1e-8)
    assert np.isnan(minimum_detectable_effect(np.nan))


def test_power_from_replications():
    rows = []
    for seed in range(10):
        for rr, p in ((1.0, 0.5), (0.7, 0.01 if seed < 9 else 0.2)):
            rows.append(
                {
                    "seed": seed,
                    "outcome": "arrests",
                    "n_engagers": 170,
                    "fraction": 1.0,
                    "rate_ratio": rr,
                    "p_value": p,
                    "se": 0.2,
                }
            )
    res = power_from_replications(pd.DataFrame(rows))
    t = res.table.set_index("rate_ratio")
    assert t.loc[0.7, "power"] == pytest.approx(0.9) and t.loc[1.0, "power"] == 0.0
    assert t.loc[0.7, "power_analytic"] == pytest.approx(analytic_power(0.7, 0.2))
    mde = res.mde().iloc[0]
    assert 0.7 < mde["mde_simulated"] < 1 and mde["mde_analytic"] == pytest.approx(
        minimum_detectable_effect(0.2)
    )
    assert "Minimum detectable" in res.summary()
