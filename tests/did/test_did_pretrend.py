"""Pre-trend tests that hold their size at small n (80 units x 24 months), their reasons
when they cannot be trusted, and the stacked DiD's Hotelling test.

The full simulation (1000 replications) is scripts/pretrend_size.py, its results in
scripts/pretrend_size_results.csv; here a smaller run keeps the suite fast.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from socdata.did import att_gt
from socdata.did.pretrend import hotelling_test, parametric_bootstrap_test, wald_chi2_test
from tests.did.pretrend_dgp import parallel_panel


def _fit(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return att_gt(parallel_panel(seed), outcome="y", unit="id", time="t", cohort="g")


def test_size_at_80_units_by_24_months():
    reps = 100
    chi2 = new = 0
    for seed in range(reps):
        r = _fit(seed)
        chi2 += r.pretrend_test("chi2").p_value < 0.05
        new += r.pretrend_test(draws=99, seed=seed).p_value < 0.05
    assert chi2 >= 80  # the large-sample test: badly oversized (the 58 of 60)
    # 5% +- 2.6 Monte Carlo standard errors (sqrt(.05 * .95 / 100) = 2.2 points)
    assert new <= 11


def test_stored_size_simulation_holds_its_size():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "pretrend_size_results.csv"
    res = pd.read_csv(path)
    n = len(res)
    rate = (res["p_default"] < 0.05).mean()
    assert n >= 1000
    assert abs(rate - 0.05) <= 2.6 * np.sqrt(0.05 * 0.95 / n)
    assert (res["p_chi2"] < 0.05).mean() > 0.8


def test_default_detects_a_pre_trend():
    d = parallel_panel(1)
    d.loc[d["g"] == 18, "y"] += 1.5 * d.loc[d["g"] == 18, "t"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = att_gt(d, outcome="y", unit="id", time="t", cohort="g")
    assert r.pretrend_test(draws=199).p_value < 0.01


def test_too_many_cells_falls_back_to_event_time_averages_and_says_so():
    rng = np.random.default_rng(3)
    n, t = 40, 24
    g = np.where(rng.random(n) < 0.4, 0, rng.integers(12, 23, n))
    d = pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), t),
            "t": np.tile(np.arange(1, t + 1), n),
            "g": np.repeat(g, t),
            "y": rng.normal(size=n * t),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = att_gt(d, outcome="y", unit="id", time="t", cohort="g")
    pt = r.pretrend_test(draws=99)
    assert pt.computed and "event-time averages" in pt.name
    assert "more pre-period cells than the data can support" in pt.name
    cells_only = r.pretrend_test("cells", draws=99)
    assert not cells_only.computed
    assert "more pre-period cells than the data can support" in cells_only.reason
    assert "Caveat" in r.summary()


def test_hotelling_equals_its_formula_and_refuses_too_many_coefficients():
    rng = np.random.default_rng(0)
    b = rng.normal(size=4)
    a = rng.normal(size=(4, 4))
    v = a @ a.T + np.eye(4)
    t = hotelling_test(b, v, 50)
    w = b @ np.linalg.solve(v, b)
    assert t.statistic == pytest.approx(w * 46 / (4 * 49), rel=1e-12)
    assert t.p_value == pytest.approx(stats.f.sf(w * 46 / (4 * 49), 4, 46), rel=1e-12)
    assert wald_chi2_test(b, v).p_value == pytest.approx(stats.chi2.sf(w, 4), rel=1e-12)
    assert not hotelling_test(b, v, 12).computed  # 12 - 4 < 10 residual df


def test_parametric_bootstrap_with_one_part_is_hotelling():
    """One part on df degrees of freedom: the Wald statistic's null law is Hotelling's
    T2, so the bootstrap p-value approaches the F p-value."""
    rng = np.random.default_rng(1)
    q, df = 3, 20
    a = rng.normal(size=(q, q))
    v = a @ a.T + np.eye(q)
    b = rng.multivariate_normal(np.zeros(q), v) * 1.5
    boot = parametric_bootstrap_test(b, [v], [df], draws=4000, seed=2, statistic="wald")
    exact = hotelling_test(b, v, df + 1)
    assert boot.p_value == pytest.approx(exact.p_value, abs=0.02)


def test_stacked_pretrend_is_hotelling_on_the_pre_period_coefficients():
    from socdata.did import stacked_did
    from tests.did.stacked_data import stacked_frame

    r = stacked_did(
        stacked_frame(60, seed=4),
        outcome="y",
        unit="person",
        time="month",
        index_time="index",
        matched_set="set",
        treated="treated",
        window=(-6, 6),
    )
    pt = r.pretrend_test()
    idx = r.pre_periods()
    ref = hotelling_test(r.event_coef[idx], r.event_vcov[np.ix_(idx, idx)], r.n_clusters)
    assert pt.statistic == pytest.approx(ref.statistic) and pt.df == (5.0, 55.0)


def test_sup_t_bootstrap_with_one_coefficient_matches_the_t_test():
    """One coefficient, G clusters: the bootstrap-t p-value approaches the t-test's."""
    from socdata.did.pretrend import sup_t_test

    rng = np.random.default_rng(5)
    x = rng.normal(0.15, 1.0, size=200)
    psi = (x - x.mean())[:, None] / len(x)  # influence-function sums per cluster
    est = np.array([x.mean()])
    boot = sup_t_test(est, psi, draws=4000, seed=1)
    ref = stats.ttest_1samp(x, 0.0).pvalue
    assert boot.p_value == pytest.approx(ref, abs=0.02)
