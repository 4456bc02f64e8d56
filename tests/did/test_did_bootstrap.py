"""Wild cluster restricted bootstrap: full enumeration against wildboottest on the explicit
dummy-variable regression, test inversion, weights, coverage with four clusters."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from benchmarks._common import TRUE_EFFECT, make_panel
from socdata.did._linear import fit_linear
from socdata.did._panel import build_panel
from socdata.did._prune import drop_uninformative
from socdata.did.bootstrap import _p_value, _wcr_parts, _weight_matrix, bootstrap_t_draws
from socdata.errors import EstimationError, SmallClusterWarning

wbt = pytest.importorskip("wildboottest.wildboottest")


def _panel_fit(f: pd.DataFrame):
    panel = build_panel(
        f,
        function="t",
        outcome="y",
        unit="person_id",
        time="month",
        regressors=["treatment"],
        cluster="area",
    )
    panel = drop_uninformative(panel, function="t")
    return panel, fit_linear(panel, function="t", need_arrays=True)


def _wildboottest_tboot(f: pd.DataFrame, v: np.ndarray | None) -> tuple[float, np.ndarray]:
    """wildboottest on OLS with explicit unit and period dummies (the full FE model)."""
    u = pd.get_dummies(f["person_id"]).to_numpy(float)
    t = pd.get_dummies(f["month"]).to_numpy(float)[:, 1:]
    x = np.column_stack([f["treatment"].to_numpy(float), u, t])
    r = np.zeros(x.shape[1])
    r[0] = 1.0
    boot = wbt.WildboottestCL(
        X=x,
        Y=f["y"].to_numpy(),
        cluster=f["area"].cat.codes.to_numpy(),
        R=r,
        B=99_999,
        seed=1,
        parallel=False,
    )
    boot.get_scores(bootstrap_type="11", impose_null=True, adj=True, cluster_adj=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot.get_weights(weights_type="rademacher")
    if v is not None:
        boot.v = v
        boot.B = v.shape[1]
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    return float(np.ravel(boot.t_stat)[0]), np.ravel(boot.t_boot)


@pytest.mark.reference
@pytest.mark.parametrize("balanced", [True, False])
def test_enumerated_rademacher_matches_wildboottest(balanced: bool) -> None:
    f = make_panel(36, 6, n_areas=6, seed=21, balanced=balanced, drop_share=0.2)
    panel, fit = _panel_fit(f)
    assert panel.n_clusters == 6
    v, enumerated = _weight_matrix(6, "rademacher", 9999, np.random.default_rng(0))
    assert enumerated and v.shape == (6, 64)
    t_obs, t_star = bootstrap_t_draws(panel, fit, "treatment", v)
    ref_t, ref_star = _wildboottest_tboot(f, None)
    assert ref_star.size == 64
    # small-sample factors cancel in t*/t; the multiset of ratios must agree
    np.testing.assert_allclose(np.sort(t_star / t_obs), np.sort(ref_star / ref_t), rtol=1e-8)


@pytest.mark.reference
def test_webb_draws_match_wildboottest_given_same_weights() -> None:
    f = make_panel(40, 6, n_areas=4, seed=5)
    panel, fit = _panel_fit(f)
    v, enumerated = _weight_matrix(4, "webb", 9999, np.random.default_rng(0))
    assert enumerated and v.shape == (4, 6**4)
    # our cluster codes follow first appearance, wildboottest's the sorted codes: map rows
    order = pd.factorize(f["area"].cat.codes)[1]  # our cluster code -> area code
    t_obs, t_star = bootstrap_t_draws(panel, fit, "treatment", v)
    ref_t, ref_star = _wildboottest_tboot(f, _rows_by_sorted_code(v, order))
    np.testing.assert_allclose(t_star / t_obs, ref_star / ref_t, rtol=1e-8)


def _rows_by_sorted_code(v: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Reorder weight rows from our cluster order (first appearance) to sorted codes."""
    out = np.empty_like(v)
    for ours, code in enumerate(order):
        out[np.searchsorted(np.sort(order), code)] = v[ours]
    return out


def test_interval_inverts_the_test() -> None:
    f = make_panel(200, 12, seed=7)
    with pytest.warns(SmallClusterWarning):
        res = did.twfe(
            f, outcome="y", unit="person_id", time="month", treatment="treatment", cluster="area"
        )
    b = res.bootstrap[0]
    panel, fit = _panel_fit(f)
    parts = _wcr_parts(panel, fit, 0, 200)
    v, _ = _weight_matrix(4, "webb", 9999, np.random.default_rng(0))
    se = float(np.sqrt(fit.vcov[0, 0]))
    for lim in (b.conf_low, b.conf_high):
        assert np.isfinite(lim)
        inside = lim + (1e-3 * se if lim == b.conf_low else -1e-3 * se)
        outside = lim - (1e-3 * se if lim == b.conf_low else -1e-3 * se)
        assert _p_value(parts, v, inside) >= 0.05
        assert _p_value(parts, v, outside) < 0.05
    np.testing.assert_allclose(b.p_value, _p_value(parts, v, 0.0))


def test_rademacher_with_four_clusters_gives_unbounded_interval() -> None:
    """2^4 = 16 patterns: no p-value below 1/8, so a 95% interval cannot be bounded."""
    f = make_panel(200, 12, seed=7)
    with pytest.warns(SmallClusterWarning):
        res = did.twfe(
            f,
            outcome="y",
            unit="person_id",
            time="month",
            treatment="treatment",
            cluster="area",
            bootstrap_weights="rademacher",
        )
    row = res.tidy().iloc[0]
    assert np.isinf(row["conf_low"]) and np.isinf(row["conf_high"])
    assert row["p_value"] >= 2 / 16


def test_public_wild_cluster_bootstrap_result() -> None:
    f = make_panel(150, 10, n_areas=15, seed=3)
    res = did.wild_cluster_bootstrap(
        f,
        outcome="y",
        unit="person_id",
        time="month",
        treatment="treatment",
        cluster="area",
        bootstrap_draws=999,
    )
    t = res.tidy()
    assert t.loc[0, "term"] == "treatment"
    assert t.loc[0, "draws"] == 999 and not t.loc[0, "enumerated"]  # 2^15 > 999
    assert "Rademacher".lower() in t.loc[0, "ci_type"].lower()
    assert "wild cluster restricted bootstrap" in res.summary()
    with pytest.raises(EstimationError, match="bootstrap_weights='gauss' is not allowed"):
        did.wild_cluster_bootstrap(
            f,
            outcome="y",
            unit="person_id",
            time="month",
            treatment="treatment",
            cluster="area",
            bootstrap_weights="gauss",
        )


def test_wcr_coverage_with_four_clusters() -> None:
    """The WCR interval with Webb weights covers the true effect about 95% of the time."""
    cover = []
    for seed in range(60):
        f = make_panel(
            60, 8, seed=100 + seed, columns=["person_id", "area", "month", "treatment", "y"]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallClusterWarning)
            row = (
                did.twfe(
                    f,
                    outcome="y",
                    unit="person_id",
                    time="month",
                    treatment="treatment",
                    cluster="area",
                )
                .tidy()
                .iloc[0]
            )
        cover.append(row["conf_low"] <= TRUE_EFFECT <= row["conf_high"])
    assert np.mean(cover) >= 0.85


@pytest.mark.reference
def test_enumeration_with_a_covariate_matches_wildboottest() -> None:
    f = make_panel(36, 6, n_areas=5, seed=31)
    f["x2"] = np.random.default_rng(4).normal(size=len(f))
    panel = build_panel(
        f,
        function="t",
        outcome="y",
        unit="person_id",
        time="month",
        regressors=["treatment", "x2"],
        cluster="area",
    )
    fit = fit_linear(panel, function="t", need_arrays=True)
    v, _ = _weight_matrix(5, "rademacher", 9999, np.random.default_rng(0))
    t_obs, t_star = bootstrap_t_draws(panel, fit, "treatment", v)
    u = pd.get_dummies(f["person_id"]).to_numpy(float)
    t = pd.get_dummies(f["month"]).to_numpy(float)[:, 1:]
    x = np.column_stack([f[["treatment", "x2"]].to_numpy(float), u, t])
    r = np.zeros(x.shape[1])
    r[0] = 1.0
    boot = wbt.WildboottestCL(
        X=x,
        Y=f["y"].to_numpy(),
        cluster=f["area"].cat.codes.to_numpy(),
        R=r,
        B=99_999,
        seed=1,
        parallel=False,
    )
    boot.get_scores(bootstrap_type="11", impose_null=True, adj=True, cluster_adj=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot.get_weights(weights_type="rademacher")
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    ref_t = float(np.ravel(boot.t_stat)[0])
    np.testing.assert_allclose(
        np.sort(t_star / t_obs), np.sort(np.ravel(boot.t_boot) / ref_t), rtol=1e-8
    )
