"""TWFE estimator: agreement with pyfixest and linearmodels on public panels, brute-force
dummy-variable oracles (balanced, unbalanced, disconnected), contract and error checks."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from benchmarks._common import make_panel
from socdata.errors import EstimationError, ExcludedRowsWarning, SmallClusterWarning
from socdata.results import TIDY_COLUMNS

EST_RTOL = 1e-6  # estimates vs an established implementation
SE_RTOL = 1e-5  # analytic standard errors under the same small-sample convention
ORACLE_RTOL = 1e-9  # vs brute-force dummy-variable regressions (exact algebra)

pf = pytest.importorskip("pyfixest")


def _wage_panel() -> pd.DataFrame:
    from linearmodels.datasets import wage_panel

    return wage_panel.load()


def _jobtraining() -> pd.DataFrame:
    from linearmodels.datasets import jobtraining

    return jobtraining.load()


def _tidy_row(res, term: str) -> pd.Series:
    t = res.tidy()
    return t.loc[t["term"] == term].iloc[0]


# ---- brute-force oracle -----------------------------------------------------------------
def dummy_ols_crv1(
    y: np.ndarray,
    x: np.ndarray,
    unit: np.ndarray,
    time: np.ndarray,
    cluster: np.ndarray,
    k_nested_fe: int,
) -> tuple[np.ndarray, np.ndarray]:
    """OLS with explicit unit and time dummies via lstsq and a hand-coded CRV1 sandwich.

    ``k_nested_fe``: number of dummy columns nested in the clusters, excluded from K
    (plus one back per fully nested FE), the fixest convention.
    """
    u_codes, u_lev = pd.factorize(unit)
    t_codes, t_lev = pd.factorize(time)
    du = np.eye(len(u_lev))[u_codes]
    dt = np.eye(len(t_lev))[t_codes][:, 1:]
    z = np.column_stack([x, du, dt])
    coef, *_ = np.linalg.lstsq(z, y, rcond=None)
    e = y - z @ coef
    zz_inv = np.linalg.pinv(z.T @ z)
    g_codes, g_lev = pd.factorize(cluster)
    meat = np.zeros((z.shape[1], z.shape[1]))
    for g in range(len(g_lev)):
        s = z[g_codes == g].T @ e[g_codes == g]
        meat += np.outer(s, s)
    n, k = len(y), x.shape[1]
    big_k = k + len(u_lev) + len(t_lev) - 1 - k_nested_fe
    G = len(g_lev)
    v = G / (G - 1) * (n - 1) / (n - big_k) * zz_inv @ meat @ zz_inv
    return coef[:k], np.sqrt(np.diag(v)[:k])


@pytest.mark.parametrize("balanced", [True, False])
@pytest.mark.parametrize("shuffle", [False, True])
def test_twfe_matches_dummy_variable_oracle(balanced: bool, shuffle: bool) -> None:
    f = make_panel(60, 9, balanced=balanced, shuffle=shuffle, drop_share=0.25, seed=11)
    f["x2"] = np.random.default_rng(0).normal(size=len(f))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = did.twfe(
            f,
            outcome="y",
            unit="person_id",
            time="month",
            treatment="treatment",
            covariates=["x2"],
        )
    # person FE nested in person clusters: K excludes n_units - 1 of them
    n_units = f["person_id"].nunique()
    b, se = dummy_ols_crv1(
        f["y"].to_numpy(),
        f[["treatment", "x2"]].to_numpy(float),
        f["person_id"].to_numpy(),
        f["month"].to_numpy(),
        f["person_id"].to_numpy(),
        k_nested_fe=n_units - 1,
    )
    np.testing.assert_allclose(res.coef, b, rtol=ORACLE_RTOL)
    np.testing.assert_allclose(res.std_errors, se, rtol=ORACLE_RTOL)


def test_twfe_disconnected_design_matches_oracle() -> None:
    """Two groups of units observed in disjoint periods: the FE graph is disconnected."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(40):
        periods = range(0, 5) if i < 20 else range(5, 10)
        for t in periods:
            d = int(i % 2 == 0 and t % 5 >= 2)
            rows.append((i, t, d, rng.normal() + 0.3 * d + 0.1 * t))
    f = pd.DataFrame(rows, columns=["id", "t", "d", "y"])
    res = did.twfe(f, outcome="y", unit="id", time="t", treatment="d")
    b, _se = dummy_ols_crv1(
        f["y"].to_numpy(),
        f[["d"]].to_numpy(float),
        f["id"].to_numpy(),
        f["t"].to_numpy(),
        f["id"].to_numpy(),
        k_nested_fe=39,
    )
    np.testing.assert_allclose(res.coef, b, rtol=ORACLE_RTOL)
    # the disconnected design has one more redundant dummy than K counts; the convention
    # (fixest's) ignores that, and so do we: compare with pyfixest
    m = pf.feols("y ~ d | id + t", data=f, vcov={"CRV1": "id"})
    np.testing.assert_allclose(res.std_errors, m.se().to_numpy(), rtol=SE_RTOL)


@pytest.mark.reference
@pytest.mark.parametrize("cluster", [None, "occupation"])
def test_twfe_matches_pyfixest_wage_panel(cluster: str | None) -> None:
    data = _wage_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallClusterWarning)
        res = did.twfe(
            data,
            outcome="lwage",
            unit="nr",
            time="year",
            treatment="union",
            covariates=["expersq", "married"],
            cluster=cluster,
            inference="analytic",
        )
    m = pf.feols(
        "lwage ~ union + expersq + married | nr + year",
        data=data,
        vcov={"CRV1": cluster or "nr"},
    )
    np.testing.assert_allclose(res.coef, m.coef().to_numpy(), rtol=EST_RTOL)
    np.testing.assert_allclose(res.std_errors, m.se().to_numpy(), rtol=SE_RTOL)
    t = res.tidy()
    np.testing.assert_allclose(t["p_value"], m.pvalue().to_numpy(), rtol=SE_RTOL)
    np.testing.assert_allclose(t["conf_low"], m.confint().iloc[:, 0].to_numpy(), rtol=SE_RTOL)


@pytest.mark.reference
def test_twfe_matches_pyfixest_unbalanced_jobtraining() -> None:
    """Firm panel with missing outcomes (unbalanced after dropping them), grant DiD."""
    data = _jobtraining()
    with (
        pytest.warns(ExcludedRowsWarning, match="missing"),
        pytest.warns(ExcludedRowsWarning, match=r"singleton\): 4"),
    ):
        res = did.twfe(data, outcome="hrsemp", unit="fcode", time="year", treatment="grant")
    with pytest.warns(UserWarning, match="4 singleton fixed effect"):
        m = pf.feols("hrsemp ~ grant | fcode + year", data=data, vcov={"CRV1": "fcode"})
    np.testing.assert_allclose(res.coef, m.coef().to_numpy(), rtol=EST_RTOL)
    np.testing.assert_allclose(res.std_errors, m.se().to_numpy(), rtol=SE_RTOL)
    assert res.n_obs == m._N
    # the flow log counts the rows dropped for missing outcomes and singletons
    flow = res.provenance.flow.to_frame()
    assert flow["n_excluded"].iloc[0] == data["hrsemp"].isna().sum()
    assert res.provenance.n_in == len(data)


@pytest.mark.reference
def test_twfe_matches_pyfixest_staggered_df_het() -> None:
    import pyfixest

    path = Path(pyfixest.__file__).parent / "did" / "data" / "df_het.csv"
    data = pd.read_csv(path)
    res = did.twfe(data, outcome="dep_var", unit="unit", time="year", treatment="treat")
    m = pf.feols("dep_var ~ treat | unit + year", data=data, vcov={"CRV1": "unit"})
    np.testing.assert_allclose(res.coef, m.coef().to_numpy(), rtol=EST_RTOL)
    np.testing.assert_allclose(res.std_errors, m.se().to_numpy(), rtol=SE_RTOL)
    # state clusters (50 states, unit nested in state): K drops the unit FE as well
    res_s = did.twfe(
        data, outcome="dep_var", unit="unit", time="year", treatment="treat", cluster="state"
    )
    m_s = pf.feols("dep_var ~ treat | unit + year", data=data, vcov={"CRV1": "state"})
    np.testing.assert_allclose(res_s.std_errors, m_s.se().to_numpy(), rtol=SE_RTOL)


@pytest.mark.reference
def test_twfe_matches_linearmodels_panelols() -> None:
    from linearmodels.panel import PanelOLS

    data = _wage_panel()
    res = did.twfe(
        data, outcome="lwage", unit="nr", time="year", treatment="union", covariates=["married"]
    )
    panel = data.set_index(["nr", "year"])
    lm = PanelOLS(
        panel["lwage"], panel[["union", "married"]], entity_effects=True, time_effects=True
    ).fit(cov_type="clustered", cluster_entity=True)
    np.testing.assert_allclose(res.coef, lm.params.to_numpy(), rtol=EST_RTOL)
    # linearmodels' default clustered covariance scales the raw sandwich by N/(N-K) with K
    # counting every fixed-effect level (its df_model) and no G/(G-1): convert ours (raw
    # sandwich times G/(G-1)(N-1)/(N-K_nested)) to that convention before comparing
    n, g = res.n_obs, res.n_clusters
    raw_var = res.std_errors**2 / res.ssc
    ours_in_lm = np.sqrt(raw_var * n / (n - lm.df_model))
    np.testing.assert_allclose(ours_in_lm, lm.std_errors.to_numpy(), rtol=SE_RTOL)
    assert g == data["nr"].nunique()


def test_twfe_few_clusters_uses_wild_bootstrap_and_says_so() -> None:
    f = make_panel(200, 12, seed=2)
    with pytest.warns(SmallClusterWarning, match="only 4 clusters"):
        res = did.twfe(
            f, outcome="y", unit="person_id", time="month", treatment="treatment", cluster="area"
        )
    row = _tidy_row(res, "treatment")
    assert "wild cluster bootstrap" in row["ci_type"]
    assert row["conf_low"] < row["estimate"] < row["conf_high"]
    assert "unreliable with so few clusters" in res.summary()
    assert res.bootstrap[0].weights == "webb" and res.bootstrap[0].enumerated
    assert res.bootstrap[0].draws == 6**4
    # analytic inference on request still warns
    with pytest.warns(SmallClusterWarning):
        res2 = did.twfe(
            f,
            outcome="y",
            unit="person_id",
            time="month",
            treatment="treatment",
            cluster="area",
            inference="analytic",
        )
    assert "CRV1" in _tidy_row(res2, "treatment")["ci_type"]


def test_twfe_contract_tidy_columns_no_mutation_small_pickle() -> None:
    f = make_panel(300, 12, seed=4)
    before = f.copy(deep=True)
    res = did.twfe(f, outcome="y", unit="person_id", time="month", treatment="treatment")
    pd.testing.assert_frame_equal(f, before)
    t = res.tidy()
    assert list(t.columns[:9]) == list(TIDY_COLUMNS)
    assert t.loc[0, "term"] == "treatment"
    assert len(pickle.dumps(res)) < 20_000  # aggregates only, no person rows
    with pytest.raises(dataclasses_frozen_error()):
        res.coef = np.zeros(1)  # type: ignore[misc]
    assert "CRV1" in res.summary() and "person_id" in res.summary()


def dataclasses_frozen_error() -> type[Exception]:
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_twfe_recovers_effect_in_simulation() -> None:
    """Bias and 95% coverage over replications of a DGP with a known effect."""
    from benchmarks._common import TRUE_EFFECT

    est, cover = [], []
    for seed in range(200):
        f = make_panel(150, 10, seed=seed, columns=["person_id", "month", "treatment", "y"])
        row = (
            did.twfe(f, outcome="y", unit="person_id", time="month", treatment="treatment")
            .tidy()
            .iloc[0]
        )
        est.append(row["estimate"])
        cover.append(row["conf_low"] <= TRUE_EFFECT <= row["conf_high"])
    est_arr = np.asarray(est)
    mc_se = est_arr.std(ddof=1) / np.sqrt(len(est_arr))
    assert abs(est_arr.mean() - TRUE_EFFECT) < 4 * mc_se
    assert 0.91 <= np.mean(cover) <= 0.985


def test_twfe_errors_are_clear() -> None:
    f = make_panel(30, 6, seed=1)
    with pytest.raises(EstimationError, match="not a column"):
        did.twfe(f, outcome="nope", unit="person_id", time="month", treatment="treatment")
    dup = pd.concat([f, f.iloc[[3]]], ignore_index=True)
    with pytest.raises(EstimationError, match="one row per unit and period"):
        did.twfe(dup, outcome="y", unit="person_id", time="month", treatment="treatment")
    f2 = f.assign(ever=(f["cohort"] > 0).astype(int))
    with pytest.raises(EstimationError, match="collinear"):
        did.twfe(f2, outcome="y", unit="person_id", time="month", treatment="ever")
    with pytest.raises(EstimationError, match="numeric"):
        did.twfe(f.assign(lab="a"), outcome="y", unit="person_id", time="month", treatment="lab")
    with pytest.raises(EstimationError, match="inference"):
        did.twfe(
            f,
            outcome="y",
            unit="person_id",
            time="month",
            treatment="treatment",
            inference="magic",
        )


def test_twfe_missing_values_counted_and_warned() -> None:
    f = make_panel(40, 6, seed=1)
    f.loc[[0, 5, 9], "y"] = np.nan
    with pytest.warns(ExcludedRowsWarning, match="excluded 3 of 240 rows"):
        res = did.twfe(f, outcome="y", unit="person_id", time="month", treatment="treatment")
    flow = res.provenance.flow.to_frame()
    assert int(flow.loc[flow["excluded_reason"].str.contains("missing"), "n_excluded"].sum()) == 3
    assert res.n_obs == 237


def test_package_attributes_stay_functions_after_module_import() -> None:
    """``socdata.did.twfe`` is the function even after ``socdata.did.twfe`` (the module) has
    been imported: each public function shares its module's name."""
    import importlib

    module_of = {
        "att_gt": "att_gt",
        "did_2x2": "twobytwo",
        "event_study": "event_study",
        "poisson_twfe": "poisson",
        "twfe": "twfe",
        "wild_cluster_bootstrap": "bootstrap",
        "stacked_did": "stacked",
        "stack_matched_sets": "stacked",
        "honest_sensitivity": "honest",
    }
    assert set(module_of) == set(did.__all__)
    for name, mod in module_of.items():
        module = importlib.import_module(f"socdata.did.{mod}")
        assert getattr(did, name) is getattr(module, name)


def test_weighted_demeaning_is_an_orthogonal_projection_property() -> None:
    """Property (hypothesis): for random unbalanced panels and weights, the demeaned column
    is weighted-orthogonal to every unit and period indicator and demeaning is idempotent."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from socdata.did._demean import TwoWayDemeaner
    from socdata.did._panel import build_panel

    @settings(max_examples=40, deadline=None)
    @given(
        n_units=st.integers(2, 12),
        n_times=st.integers(2, 9),
        seed=st.integers(0, 10_000),
        weighted=st.booleans(),
    )
    def check(n_units: int, n_times: int, seed: int, weighted: bool) -> None:
        rng = np.random.default_rng(seed)
        uu, tt = np.meshgrid(np.arange(n_units), np.arange(n_times), indexing="ij")
        keep = rng.random(uu.size) < 0.7
        if keep.sum() < 3:
            return
        f = pd.DataFrame({"u": uu.ravel()[keep], "t": tt.ravel()[keep]})
        f["x"] = rng.normal(size=len(f))
        panel = build_panel(f, function="t", outcome="x", unit="u", time="t", regressors=[])
        w = rng.uniform(0.1, 3.0, panel.n) if weighted else None
        dm = TwoWayDemeaner(panel, w)
        r = dm.demean(panel.y)
        ww = np.ones(panel.n) if w is None else w
        np.testing.assert_allclose(
            np.bincount(panel.units(), weights=ww * r), 0, atol=1e-9 * (1 + np.abs(panel.y).sum())
        )
        np.testing.assert_allclose(
            np.bincount(panel.times(), weights=ww * r), 0, atol=1e-9 * (1 + np.abs(panel.y).sum())
        )
        np.testing.assert_allclose(dm.demean(r), r, atol=1e-9)

    check()


@pytest.mark.parametrize("shift", [0.0, 1e7])
def test_moments_fast_path_equals_explicit_demeaning(shift: float) -> None:
    """Sorted balanced panels use per-unit moments without demeaning; with a huge outcome
    mean the precision guard falls back to explicit demeaning. Both equal the oracle."""
    from socdata.did._linear import _grid_moments, fit_linear
    from socdata.did._panel import build_panel

    f = make_panel(80, 10, seed=13)
    f["x2"] = np.random.default_rng(2).normal(size=len(f))
    f["y"] = f["y"] + shift
    panel = build_panel(
        f, function="t", outcome="y", unit="person_id", time="month", regressors=["treatment", "x2"]
    )
    assert panel.sorted_balanced
    fast = fit_linear(panel, function="t")
    slow = fit_linear(panel, function="t", need_arrays=True)
    assert (fast.xt is None) == (shift == 0.0)
    assert (_grid_moments(panel) is None) == (shift != 0.0)
    np.testing.assert_allclose(fast.coef, slow.coef, rtol=1e-10)
    np.testing.assert_allclose(fast.vcov, slow.vcov, rtol=1e-8)
    b, se = dummy_ols_crv1(
        f["y"].to_numpy() - shift,
        f[["treatment", "x2"]].to_numpy(float),
        f["person_id"].to_numpy(),
        f["month"].to_numpy(),
        f["person_id"].to_numpy(),
        k_nested_fe=79,
    )
    np.testing.assert_allclose(fast.coef, b, rtol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(fast.vcov)), se, rtol=1e-8)
