"""ATT(g,t): brute-force oracles on toy panels, inference checks and the result contract.

The references here are computed inside the tests, independently of socdata's code path:
each ATT(g,t) as a 2x2 difference of mean changes with pandas, the simple aggregation as a
hand-weighted average, standard errors as hand-written sample variances and as a
delete-one-unit jackknife of a brute-force estimator.
"""

from __future__ import annotations

import pickle
import re

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from socdata.errors import (
    DataQualityWarning,
    EstimationError,
    ExcludedRowsWarning,
    SmallClusterWarning,
    SocdataError,
)
from socdata.results import TIDY_COLUMNS, TestResult


def toy_panel(
    n: int = 300,
    n_t: int = 6,
    *,
    seed: int = 0,
    cohorts=(0, 3, 4, 5),
    effect: float = 1.0,
    dynamic: float = 0.5,
    ids: str = "int",
) -> pd.DataFrame:
    """Staggered panel: cohort g treated from period g; effect + dynamic * (t - g)."""
    rng = np.random.default_rng(seed)
    g = rng.choice(np.asarray(cohorts), size=n)
    alpha = rng.normal(size=n)
    t = np.arange(1, n_t + 1)
    trend = 0.3 * t
    treated = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    te = np.where(treated, effect + dynamic * (t[None, :] - g[:, None]), 0.0)
    y = alpha[:, None] + trend[None, :] + 0.2 * g[:, None] * 0 + te + rng.normal(size=(n, n_t))
    unit = np.arange(n) if ids == "int" else np.array([f"YP-{i:06d}" for i in range(n)])
    return pd.DataFrame(
        {
            "unit": np.repeat(unit, n_t),
            "t": np.tile(t, n),
            "g": np.repeat(g, n_t),
            "y": y.ravel(),
            "x": np.repeat(rng.normal(size=n), n_t),
            "area": np.repeat(rng.integers(0, 40, size=n), n_t),
        }
    )


def fit(data, **kw):
    args = {"outcome": "y", "unit": "unit", "time": "t", "cohort": "g"} | kw
    return did.att_gt(data, **args)


# ------------------------------------------------------------------ brute-force oracles
def brute_cells(data, control_group, base_period, anticipation=0):
    """Every ATT(g,t) as a 2x2 difference in mean changes, computed with pandas."""
    wide = data.pivot(index="unit", columns="t", values="y")
    g = data.groupby("unit")["g"].first().reindex(wide.index)
    periods = list(wide.columns)
    out = {}
    for gg in sorted(v for v in g.unique() if v > 0):
        pre = [p for p in periods if p + anticipation < gg]
        last_pre = pre[-1]
        for i, t in enumerate(periods):
            if base_period == "varying":
                if i == 0:
                    continue
                base = periods[i - 1] if t < gg - anticipation else last_pre
            else:
                base = last_pre
            if t == base:
                out[(gg, t)] = (0.0, np.nan)
                continue
            if control_group == "never_treated":
                ctrl = g == 0
            else:
                ctrl = (g == 0) | ((g > max(t, base) + anticipation) & (g != gg))
            treat = g == gg
            d = wide[t] - wide[base]
            dt, dc = d[treat], d[ctrl]
            att = dt.mean() - dc.mean()
            # analytic variance of a difference of two independent means, ML variances
            se = np.sqrt(dt.var(ddof=0) / len(dt) + dc.var(ddof=0) / len(dc))
            out[(gg, t)] = (att, se)
    return out


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
@pytest.mark.parametrize("anticipation", [0, 1])
def test_each_cell_is_a_two_by_two_mean_difference(control_group, base_period, anticipation):
    data = toy_panel(seed=1)
    res = fit(data, control_group=control_group, base_period=base_period, anticipation=anticipation)
    ref = brute_cells(data, control_group, base_period, anticipation)
    got = {
        (g, t): (e, s)
        for g, t, e, s in res.cells[["group", "time", "estimate", "std_error"]].itertuples(False)
    }
    assert set(got) == set(ref)
    for key, (att, se) in ref.items():
        assert got[key][0] == pytest.approx(att, rel=1e-10, abs=1e-12), key
        if np.isnan(se):
            assert np.isnan(got[key][1])
        else:
            # without covariates the influence-function SE is exactly this
            assert got[key][1] == pytest.approx(se, rel=1e-10), key


def test_simple_aggregation_is_the_cohort_size_weighted_average():
    data = toy_panel(seed=2)
    res = fit(data)
    c = res.cells
    n_g = data.groupby("unit")["g"].first().value_counts()
    post = c[c["time"] >= c["group"]]
    w = post["group"].map(n_g).to_numpy(float)
    expected = float(np.sum(w * post["estimate"]) / w.sum())
    got = res.aggregate("simple").tidy()
    assert got["term"].tolist() == ["overall"]
    assert got["estimate"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_group_dynamic_calendar_are_hand_averages():
    data = toy_panel(seed=3)
    res = fit(data)
    c = res.cells
    n_g = data.groupby("unit")["g"].first().value_counts()
    post = c[c["time"] >= c["group"]].assign(w=lambda f: f["group"].map(n_g).astype(float))
    grp = res.aggregate("group").tidy()
    by_g = post.groupby("group")["estimate"].mean()
    np.testing.assert_allclose(grp["estimate"].iloc[1:], by_g.to_numpy(), rtol=1e-12)
    overall = float((by_g * n_g.reindex(by_g.index)).sum() / n_g.reindex(by_g.index).sum())
    assert grp["estimate"].iloc[0] == pytest.approx(overall, rel=1e-12)

    dyn = res.aggregate("dynamic").tidy()
    c2 = c.assign(w=c["group"].map(n_g).astype(float), e=c["time"] - c["group"])
    by_e = c2.groupby("e").apply(
        lambda f: np.sum(f.w * f.estimate) / f.w.sum(), include_groups=False
    )
    np.testing.assert_allclose(dyn["estimate"].iloc[1:], by_e.to_numpy(), rtol=1e-12)
    assert dyn["event_time"].iloc[1:].tolist() == by_e.index.tolist()
    assert dyn["estimate"].iloc[0] == pytest.approx(by_e[by_e.index >= 0].mean(), rel=1e-12)

    cal = res.aggregate("calendar").tidy()
    by_t = post.groupby("time").apply(
        lambda f: np.sum(f.w * f.estimate) / f.w.sum(), include_groups=False
    )
    np.testing.assert_allclose(cal["estimate"].iloc[1:], by_t.to_numpy(), rtol=1e-12)
    assert cal["estimate"].iloc[0] == pytest.approx(by_t.mean(), rel=1e-12)


def _brute_simple(y: np.ndarray, g: np.ndarray, periods: np.ndarray) -> float:
    """Simple aggregation from scratch: never-treated controls, varying base."""
    cohorts = np.unique(g[g > 0])
    ctrl = g == 0
    num = den = 0.0
    for gg in cohorts:
        treat = g == gg
        base = np.flatnonzero(periods < gg)[-1]
        for ti in np.flatnonzero(periods >= gg):
            d = y[:, ti] - y[:, base]
            att = d[treat].mean() - d[ctrl].mean()
            num += treat.sum() * att
            den += treat.sum()
    return num / den


def test_influence_function_se_agrees_with_a_jackknife_of_a_brute_force_estimator():
    data = toy_panel(n=1500, n_t=5, seed=4, cohorts=(0, 3, 4))
    res = fit(data)
    agg = res.aggregate("simple").tidy()
    wide = data.pivot(index="unit", columns="t", values="y")
    y = wide.to_numpy()
    g = data.groupby("unit")["g"].first().reindex(wide.index).to_numpy()
    periods = wide.columns.to_numpy()
    assert agg["estimate"].iloc[0] == pytest.approx(_brute_simple(y, g, periods), rel=1e-12)
    n = len(g)
    loo = np.array([_brute_simple(np.delete(y, i, 0), np.delete(g, i), periods) for i in range(n)])
    jack_se = np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2))
    # the jackknife and the influence-function variance agree to O(1/n)
    assert agg["std_error"].iloc[0] == pytest.approx(jack_se, rel=0.01)


def test_aggregated_se_equals_delta_method_from_the_cell_covariance_when_weights_are_fixed():
    # the group aggregation of one cohort is a fixed average of cells: its variance is
    # w' V w with V the cell covariance (brute force from the per-unit influence functions)
    data = toy_panel(n=400, n_t=5, seed=5, cohorts=(0, 3))
    res = fit(data)
    wide = data.pivot(index="unit", columns="t", values="y")
    g = data.groupby("unit")["g"].first().reindex(wide.index).to_numpy()
    y = wide.to_numpy()
    n = len(g)
    cells = res.cells
    ifs = np.zeros((n, len(cells)))
    for k, (t, b) in enumerate(
        zip(cells["time"].to_numpy() - 1, cells["base_time"].to_numpy() - 1, strict=True)
    ):
        d = y[:, t] - y[:, b]
        tr, ct = g == 3, g == 0
        ifs[tr, k] = n / tr.sum() * (d[tr] - d[tr].mean())
        ifs[ct, k] = -n / ct.sum() * (d[ct] - d[ct].mean())
    v = ifs.T @ ifs / n**2
    np.testing.assert_allclose(res.vcov(), v, rtol=1e-9, atol=1e-14)
    post = (cells["time"] >= 3).to_numpy()
    w = post / post.sum()
    grp = res.aggregate("group").tidy()
    assert grp["std_error"].iloc[1] == pytest.approx(np.sqrt(w @ v @ w), rel=1e-9)


@pytest.mark.parametrize("est_method", ["dr", "ipw", "reg"])
def test_methods_coincide_without_covariates_and_are_unbiased_with_them(est_method):
    data = toy_panel(n=600, seed=6)
    base = fit(data)
    other = fit(data, est_method=est_method)
    np.testing.assert_allclose(other.cells["estimate"], base.cells["estimate"], rtol=1e-12)
    # a time-invariant covariate unrelated to treatment: estimates stay near the no-cov ones
    cov = fit(data, covariates=["x"], est_method=est_method)
    simple = cov.aggregate("simple").tidy()
    ref = base.aggregate("simple").tidy()
    assert abs(simple["estimate"].iloc[0] - ref["estimate"].iloc[0]) < 2 * ref["std_error"].iloc[0]


# ------------------------------------------------------------------ simulation, bootstrap
@pytest.mark.slow
def test_simulation_bias_and_coverage_of_simple_and_dynamic_aggregations():
    # truth: cohort g effect 1 + 0.5 (t - g).  Simple aggregation: the cohort-size weighted
    # mean over post cells (depends on the drawn cohort sizes).  Dynamic overall: the mean
    # over event times 0..3 of 1 + 0.5 e = 1.75 whatever the cohort sizes.
    cohorts, n_t = (0, 3, 4, 5), 6
    truth_cells = {(g, t): 1 + 0.5 * (t - g) for g in cohorts[1:] for t in range(g, n_t + 1)}
    reps = 500
    hits = {"simple": 0, "dynamic": 0}
    errs: dict[str, list[float]] = {"simple": [], "dynamic": []}
    for r in range(reps):
        data = toy_panel(n=200, n_t=n_t, seed=1000 + r, cohorts=cohorts)
        n_g = data.groupby("unit")["g"].first().value_counts()
        num = sum(n_g.get(g, 0) * v for (g, _), v in truth_cells.items())
        den = sum(n_g.get(g, 0) for (g, _) in truth_cells)
        res = fit(data)
        for kind, truth in (("simple", num / den), ("dynamic", 1.75)):
            row = res.aggregate(kind).tidy().iloc[0]
            errs[kind].append(row["estimate"] - truth)
            hits[kind] += row["conf_low"] <= truth <= row["conf_high"]
    for kind in hits:
        e = np.asarray(errs[kind])
        assert abs(e.mean()) < 3 * e.std() / np.sqrt(reps), kind
        # 95% interval: coverage within +-3 binomial standard errors of 0.95
        assert abs(hits[kind] / reps - 0.95) < 3 * np.sqrt(0.95 * 0.05 / reps), kind


def test_bootstrap_se_close_to_analytic_and_uniform_band_wider():
    data = toy_panel(n=800, seed=7)
    ana = fit(data)
    boot = fit(data, inference="bootstrap", bootstrap_draws=1999, seed=11)
    # Monte Carlo error of the IQR-based bootstrap SE: about 1.17 / sqrt(1999) = 2.6% per cell
    np.testing.assert_allclose(boot.cells["std_error"], ana.cells["std_error"], rtol=0.12)
    k = int(np.isfinite(boot.cells["std_error"]).sum())
    assert 1.96 < boot.crit_value < 3.9  # between pointwise and Bonferroni over k cells
    from scipy.stats import norm

    assert boot.crit_value < norm.ppf(1 - 0.025 / k) + 0.1
    assert (boot.tidy()["ci_type"] == "uniform (multiplier bootstrap, sup-t)").all()
    dyn = boot.aggregate("dynamic").tidy()
    assert dyn["ci_type"].iloc[0].startswith("pointwise")
    assert dyn["ci_type"].iloc[1:].str.startswith("uniform").all()
    # same seed, same draws
    again = fit(data, inference="bootstrap", bootstrap_draws=1999, seed=11)
    np.testing.assert_array_equal(again.cells["std_error"], boot.cells["std_error"])


@pytest.mark.parametrize("weights", ["rademacher", "mammen"])
def test_bootstrap_clustered_and_weight_types(weights):
    data = toy_panel(n=600, seed=8)
    res = fit(
        data,
        cluster="area",
        inference="bootstrap",
        bootstrap_draws=999,
        seed=1,
        bootstrap_weights=weights,
    )
    ana = fit(data, cluster="area")
    # the bootstrap SE is an IQR-based Monte Carlo estimate: relative sd about
    # 1.17 / sqrt(999) = 3.7% per cell, so 15% is about 4 sd for the worst of 15 cells
    np.testing.assert_allclose(res.cells["std_error"], ana.cells["std_error"], rtol=0.15)
    assert "clustered by 'area'" in res.summary()
    assert weights.capitalize() in res.summary()
    with pytest.warns(SmallClusterWarning, match="only 4 clusters"):
        fit(data.assign(area=data["area"] % 4), cluster="area")


def test_clustering_by_unit_equals_default():
    data = toy_panel(n=200, seed=9)
    data["cl"] = data["unit"]
    a, b = fit(data), fit(data, cluster="cl")
    np.testing.assert_allclose(a.cells["std_error"], b.cells["std_error"], rtol=1e-10)


def test_pretrend_test_states_its_null_and_does_not_reject_under_parallel_trends():
    res = fit(toy_panel(n=500, seed=10))
    pt = res.pretrend_test("chi2")  # R did's large-sample W; small-n tests: test_did_pretrend
    assert isinstance(pt, TestResult) and pt.computed
    assert "pre-treatment" in pt.null and pt.distribution == f"chi2({int(pt.df)})"
    assert pt.p_value > 0.001
    # the statistic itself, brute force: pre-treatment cells as 2x2 mean changes (varying
    # base, never-treated controls), their covariance from hand-written influence
    # functions, then b' V^-1 b against scipy's chi2
    from scipy.stats import chi2

    data0 = toy_panel(n=500, seed=10)
    wide = data0.pivot(index="unit", columns="t", values="y")
    g = data0.groupby("unit")["g"].first().reindex(wide.index).to_numpy()
    y, periods, n = wide.to_numpy(), list(wide.columns), len(g)
    ctrl = g == 0
    b, ifs = [], []
    for gg in sorted(set(g[g > 0])):
        tr = g == gg
        for t in [p for p in periods if p < gg and p > periods[0]]:
            ti = periods.index(t)
            d = y[:, ti] - y[:, ti - 1]
            b.append(d[tr].mean() - d[ctrl].mean())
            psi = np.zeros(n)
            psi[tr] = n / tr.sum() * (d[tr] - d[tr].mean())
            psi[ctrl] = -n / ctrl.sum() * (d[ctrl] - d[ctrl].mean())
            ifs.append(psi)
    b, ifs = np.asarray(b), np.asarray(ifs)
    v = ifs @ ifs.T / n**2
    wald = float(b @ np.linalg.solve(v, b))
    assert pt.df == len(b) == 6
    assert pt.statistic == pytest.approx(wald, rel=1e-9)
    assert pt.p_value == pytest.approx(chi2.sf(wald, len(b)), rel=1e-9)
    # a pre-trend in cohort 5 is detected
    data = toy_panel(n=500, seed=10)
    data.loc[data["g"] == 5, "y"] += 0.8 * data.loc[data["g"] == 5, "t"]
    assert fit(data).pretrend_test("chi2").p_value < 1e-6


# ------------------------------------------------------------------ layouts and labels
def test_row_order_ids_and_datetime_periods_do_not_change_results():
    data = toy_panel(n=200, seed=12)
    ref = fit(data)
    shuffled = data.sample(frac=1.0, random_state=1)
    months = pd.date_range("2021-01-01", periods=6, freq="MS")
    dated = data.assign(
        t=months[data["t"] - 1],
        g=pd.Series(months[np.maximum(data["g"], 1) - 1]).where(data["g"].to_numpy() > 0),
    )
    strings = toy_panel(n=200, seed=12, ids="str")
    for other in (fit(shuffled), fit(dated), fit(strings)):
        np.testing.assert_allclose(other.cells["estimate"], ref.cells["estimate"], rtol=1e-12)
        np.testing.assert_allclose(other.cells["std_error"], ref.cells["std_error"], rtol=1e-10)
    np.testing.assert_allclose(
        fit(dated, anticipation=1, control_group="not_yet_treated").cells["estimate"],
        fit(data, anticipation=1, control_group="not_yet_treated").cells["estimate"],
        rtol=1e-12,
    )
    dyn = fit(dated).aggregate("dynamic").tidy()
    assert dyn["event_time"].iloc[1:].tolist() == list(range(-3, 4))
    cal = fit(dated).aggregate("calendar").tidy()
    assert cal["period"].iloc[1] == pd.Timestamp("2021-03-01")


def test_missing_cohort_means_never_treated():
    data = toy_panel(n=200, seed=13)
    alt = data.assign(g=data["g"].where(data["g"] > 0).astype(float))
    np.testing.assert_allclose(fit(alt).cells["estimate"], fit(data).cells["estimate"])


# ------------------------------------------------------------------ contract
def test_input_not_mutated_and_result_frozen():
    data = toy_panel(n=100, seed=14)
    before = data.copy()
    res = fit(data, covariates=["x"])
    res.aggregate("dynamic")
    pd.testing.assert_frame_equal(data, before)
    with pytest.raises(AttributeError):
        res.cells = None  # type: ignore[misc]


def test_tidy_and_summary():
    res = fit(toy_panel(n=200, seed=15), control_group="not_yet_treated")
    tidy = res.tidy()
    assert list(tidy.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert tidy["term"].iloc[0] == "ATT(3,2)"
    for kind, col in [("group", "group"), ("dynamic", "event_time"), ("calendar", "period")]:
        agg = res.aggregate(kind).tidy()
        assert agg["term"].iloc[0] == "overall"
        assert list(agg.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
        assert agg[col].iloc[1:].notna().all()
    text = res.summary()
    for phrase in [
        "Control group: Not yet treated",
        "anticipation periods: 0",
        "base period: varying",
        "unconditional",
        "analytic standard errors",
        "joint pre-trend",
        "Produced by socdata.did.att_gt",
    ]:
        assert phrase in text, phrase
    assert "Overall ATT" in res.aggregate("simple").summary()


def test_pickled_result_is_small_and_holds_no_person_rows():
    small = fit(toy_panel(n=200, seed=16, ids="str"))
    large = fit(toy_panel(n=4000, seed=16, ids="str"), covariates=None)
    b_small, b_large = pickle.dumps(small), pickle.dumps(large)
    assert len(b_large) < 1.2 * len(b_small) + 2000  # does not grow with the number of people
    assert len(b_large) < 100_000
    assert b"YP-0" not in b_large
    cov = fit(toy_panel(n=4000, seed=16, ids="str"), covariates=["x"])
    assert len(pickle.dumps(cov)) < 100_000
    back = pickle.loads(b_large)
    pd.testing.assert_frame_equal(
        back.aggregate("dynamic").tidy(), large.aggregate("dynamic").tidy()
    )


# ------------------------------------------------------------------ errors and exclusions
def test_unbalanced_panel_error_names_count_and_fix():
    data = toy_panel(n=100, seed=17)
    drop = data.index[(data["unit"].isin([3, 5, 8])) & (data["t"] == 4)]
    holes = data.drop(drop)
    with pytest.raises(EstimationError, match=r"3 of 100 units .*balance='drop_incomplete'"):
        fit(holes)
    with pytest.warns(ExcludedRowsWarning, match="incomplete.*: 3"):
        res = fit(holes, balance="drop_incomplete")
    flow = res.provenance.flow.to_frame()
    assert flow["n_excluded"].iloc[0] == 3
    assert res.n_units == 97
    ref = fit(data[~data["unit"].isin([3, 5, 8])])
    np.testing.assert_allclose(res.cells["estimate"], ref.cells["estimate"])
    missing_y = data.copy()
    missing_y.loc[missing_y.index[5], "y"] = np.nan
    with pytest.raises(EstimationError, match="1 of 100 units"):
        fit(missing_y)


def test_units_treated_in_the_first_period_are_dropped_counted_and_warned():
    data = toy_panel(n=200, seed=18, cohorts=(0, 1, 3, 4))
    n_first = data.loc[data["g"] == 1, "unit"].nunique()
    with pytest.warns(ExcludedRowsWarning, match=f"already treated in the first period: {n_first}"):
        res = fit(data)
    assert res.n_units == 200 - n_first
    assert 1 not in set(res.cells["group"])
    assert "already treated" in res.summary()


def test_cohort_after_last_period_is_never_treated():
    data = toy_panel(n=200, seed=19)
    late = data.assign(g=data["g"].replace(0, 99))
    res = fit(late)
    np.testing.assert_allclose(res.cells["estimate"], fit(data).cells["estimate"])
    assert any("after the last period" in n for n in res.provenance.notes)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda d: d.assign(g=np.where(d.index == 2, 4, d["g"])), "changes within 1 units"),
        (
            lambda d: d.assign(g=np.where(d.index == 2, 4, d["g"])).sample(frac=1, random_state=0),
            "changes within 1 units",
        ),
        (
            lambda d: (
                d.assign(area=np.where(d.index == 2, -1, d["area"]))
                .sample(frac=1, random_state=0)
                .pipe(lambda f: fit(f, cluster="area"))
            ),
            "area.*changes within 1 units",
        ),
        (lambda d: pd.concat([d, d.iloc[[0]]]), "more than one row"),
        (lambda d: d.assign(y=d["y"].astype(str)), "must be numeric"),
        (lambda d: d.assign(g=-d["g"]), "negative"),
        (lambda d: d.rename(columns={"y": "z"}), "not a column"),
    ],
)
def test_bad_input_raises_clear_errors(mutate, match):
    data = toy_panel(n=60, seed=20, cohorts=(0, 3))
    with pytest.raises(SocdataError, match=match):
        fit(mutate(data))


def test_bad_options_list_allowed_values():
    data = toy_panel(n=60, seed=21)
    with pytest.raises(SocdataError, match="'never_treated', 'not_yet_treated'"):
        fit(data, control_group="nevertreated")
    with pytest.raises(SocdataError, match="'simple', 'group', 'dynamic', 'calendar'"):
        fit(data).aggregate("event")
    with pytest.raises(SocdataError, match="conf_level"):
        fit(data, conf_level=5)
    with pytest.raises(SocdataError, match="widen the event-time window"):
        fit(data).aggregate("dynamic", min_e=50)
    with pytest.raises(SocdataError, match="dynamic' aggregation only"):
        fit(data).aggregate("group", balance_e=1)


def test_no_never_treated_group():
    data = toy_panel(n=200, seed=22, cohorts=(3, 4, 5))
    with pytest.raises(EstimationError, match="not_yet_treated"):
        fit(data)
    res = fit(data, control_group="not_yet_treated")
    assert set(res.cells["group"]) == {3, 4}
    assert res.cells["time"].max() == 4  # periods from the last cohort's start are dropped


def test_small_cohort_warns():
    data = toy_panel(n=200, seed=23, cohorts=(0, 3))
    one = data[data["unit"] == data.loc[data["g"] == 0, "unit"].iloc[0]].assign(g=5, unit=-1)
    with pytest.warns(DataQualityWarning, match="fewer than 5 units: 5"):
        fit(pd.concat([data, one], ignore_index=True))


def test_inverse_probability_tilting_balances_covariates_exactly():
    from socdata.did._att_gt_drdid import fit_ipt

    rng = np.random.default_rng(24)
    x = np.column_stack([np.ones(500), rng.normal(size=(500, 2))])
    d = (rng.random(500) < 1 / (1 + np.exp(-(x @ [-0.5, 0.8, -0.4])))).astype(float)
    odds = np.exp(x @ fit_ipt(d, x))
    # comparison units reweighted by the fitted odds reproduce the treated covariate sums
    np.testing.assert_allclose(((1 - d) * odds) @ x, d @ x, rtol=1e-9)
    data = toy_panel(n=600, seed=25)
    res = fit(data, covariates=["x"], est_method="dr_imp")
    base = fit(data)
    diff = res.aggregate("simple").tidy()["estimate"].iloc[0]
    ref = base.aggregate("simple").tidy()
    assert abs(diff - ref["estimate"].iloc[0]) < 2 * ref["std_error"].iloc[0]
    assert "improved doubly robust" in res.summary()


@pytest.mark.parametrize("kind", ["dynamic", "group", "calendar"])
def test_aggregate_plot_draws_rows_with_intervals(kind):
    import matplotlib.pyplot as plt

    agg = fit(toy_panel(n=200, seed=26)).aggregate(kind)
    ax = agg.plot()
    n_rows = len(agg.tidy()) - 1
    drawn = sum(len(line.get_xdata()) for line in ax.lines if line.get_marker() == "o")
    assert drawn == n_rows
    plt.close(ax.figure)


def test_integer_weights_equal_repeated_units_for_the_estimates():
    data = toy_panel(n=300, seed=27)
    rng = np.random.default_rng(1)
    reps = pd.Series(rng.integers(1, 4, 300), index=np.arange(300))
    weighted = fit(data.assign(w=data["unit"].map(reps).astype(float)), weights="w")
    copies = pd.concat(
        [
            data[data["unit"].map(reps) > k].assign(unit=lambda f, k=k: f["unit"] + 1000 * k)
            for k in range(3)
        ],
        ignore_index=True,
    )
    repeated = fit(copies)
    np.testing.assert_allclose(
        weighted.cells["estimate"], repeated.cells["estimate"], rtol=1e-10, atol=1e-12
    )
    for kind in ("simple", "group", "dynamic", "calendar"):
        np.testing.assert_allclose(
            weighted.aggregate(kind).tidy()["estimate"],
            repeated.aggregate(kind).tidy()["estimate"],
            rtol=1e-10,
            atol=1e-12,
        )
    # unit weights of 1 change nothing at all
    ones = fit(data.assign(w=1.0), weights="w")
    assert "unit weights: 'w'" in ones.summary()
    np.testing.assert_allclose(ones.cells["std_error"], fit(data).cells["std_error"], rtol=1e-12)


def test_bad_weights_are_rejected():
    data = toy_panel(n=60, seed=28)
    with pytest.raises(SocdataError, match="negative"):
        fit(data.assign(w=-1.0), weights="w")
    with pytest.raises(SocdataError, match="changes within"):
        fit(data.assign(w=data["t"].astype(float)), weights="w")
    with pytest.raises(SocdataError, match="not implemented"):
        fit(data.assign(w=1.0), weights="w", covariates=["x"])


def test_unbalanced_panel_message_is_the_same_from_rows_and_cohort_statistics():
    from socdata.scale import cohort_moments

    data = toy_panel(n=80, seed=31).reset_index(drop=True)
    holes = data.drop(index=[5, 17]).reset_index(drop=True)
    kw = dict(outcome="y", unit="unit", time="t", cohort="g")
    messages = []
    for source in (holes, cohort_moments(holes, **kw)):
        with pytest.raises(EstimationError, match="the panel is unbalanced: 2 of 80 units") as e:
            did.att_gt(source, **kw)
        messages.append(re.sub(r" \(e\.g\. unit [^)]*\)", "", str(e.value)))
    assert messages[0] == messages[1]
    assert "balance='drop_incomplete'" in messages[0]
