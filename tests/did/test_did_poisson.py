"""Poisson FE: agreement with pyfixest fepois on public data, statsmodels GLM with dummies as
a brute-force oracle, exclusions of all-zero units, exposure offset, rate ratios."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from benchmarks._common import TRUE_RATE_RATIO, make_panel
from socdata.errors import EstimationError, ExcludedRowsWarning, SmallClusterWarning

EST_RTOL = 1e-6
SE_RTOL = 1e-5

pf = pytest.importorskip("pyfixest")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.reference
def test_poisson_matches_pyfixest_jobtraining() -> None:
    from linearmodels.datasets import jobtraining

    data = jobtraining.load()
    res = _quiet(
        did.poisson_twfe, data, outcome="hrsemp", unit="fcode", time="year", treatment="grant"
    )
    m = _quiet(
        pf.fepois,
        "hrsemp ~ grant | fcode + year",
        data=data,
        vcov={"CRV1": "fcode"},
        iwls_tol=1e-12,
        fixef_tol=1e-12,
    )
    np.testing.assert_allclose(res.coef, m.coef().to_numpy(), rtol=EST_RTOL)
    np.testing.assert_allclose(res.std_errors, m.se().to_numpy(), rtol=SE_RTOL)
    assert res.n_obs == m._N


@pytest.mark.reference
@pytest.mark.parametrize("exposure", [None, "exposure_days"])
@pytest.mark.parametrize("balanced", [True, False])
def test_poisson_matches_pyfixest_generated(exposure: str | None, balanced: bool) -> None:
    f = make_panel(300, 12, balanced=balanced, shuffle=not balanced, drop_share=0.3, seed=3)
    f["log_exposure"] = np.log(f["exposure_days"])
    res = _quiet(
        did.poisson_twfe,
        f,
        outcome="arrests",
        unit="person_id",
        time="month",
        treatment="treatment",
        exposure=exposure,
    )
    m = _quiet(
        pf.fepois,
        "arrests ~ treatment | person_id + month",
        data=f,
        vcov={"CRV1": "person_id"},
        iwls_tol=1e-12,
        fixef_tol=1e-12,
        offset="log_exposure" if exposure else None,
    )
    np.testing.assert_allclose(res.coef, m.coef().to_numpy(), rtol=EST_RTOL)
    np.testing.assert_allclose(res.std_errors, m.se().to_numpy(), rtol=SE_RTOL)
    assert res.n_obs == m._N


def test_poisson_matches_statsmodels_glm_with_dummies() -> None:
    """Brute force: Poisson GLM with explicit unit and period dummies, hand-coded CRV1."""
    import statsmodels.api as sm

    f = make_panel(50, 8, balanced=False, drop_share=0.2, seed=8)
    f["x2"] = np.random.default_rng(1).normal(size=len(f)) * 0.3
    res = _quiet(
        did.poisson_twfe,
        f,
        outcome="arrests",
        unit="person_id",
        time="month",
        treatment="treatment",
        covariates=["x2"],
        exposure="exposure_days",
    )
    # drop what carries no information (all-zero persons) as the estimator does
    tot = f.groupby("person_id")["arrests"].transform("sum")
    g = f[tot > 0].reset_index(drop=True)
    u = pd.get_dummies(g["person_id"]).to_numpy(float)
    t = pd.get_dummies(g["month"]).to_numpy(float)[:, 1:]
    z = np.column_stack([g[["treatment", "x2"]].to_numpy(float), u, t])
    glm = sm.GLM(
        g["arrests"].to_numpy(float),
        z,
        family=sm.families.Poisson(),
        offset=np.log(g["exposure_days"].to_numpy()),
    ).fit(tol=1e-13, maxiter=200)
    np.testing.assert_allclose(res.coef, glm.params[:2], rtol=1e-7)
    # CRV1 by person with the fixest convention: K = slopes + periods
    mu = glm.fittedvalues
    bread = np.linalg.pinv(z.T @ (z * mu[:, None]))
    scores = z * (g["arrests"].to_numpy() - mu)[:, None]
    codes = pd.factorize(g["person_id"])[0]
    meat = np.zeros((z.shape[1], z.shape[1]))
    for c in range(codes.max() + 1):
        s = scores[codes == c].sum(axis=0)
        meat += np.outer(s, s)
    n, G = len(g), codes.max() + 1
    big_k = 2 + g["month"].nunique()
    v = G / (G - 1) * (n - 1) / (n - big_k) * bread @ meat @ bread
    np.testing.assert_allclose(res.std_errors, np.sqrt(np.diag(v)[:2]), rtol=1e-6)


def test_poisson_drops_all_zero_units_and_counts_them() -> None:
    f = make_panel(200, 10, seed=5)
    zero_units = f.groupby("person_id")["arrests"].sum().eq(0).sum()
    assert zero_units > 0
    with pytest.warns(ExcludedRowsWarning, match="zero outcome in every period"):
        res = did.poisson_twfe(
            f, outcome="arrests", unit="person_id", time="month", treatment="treatment"
        )
    flow = res.provenance.flow.to_frame()
    n_excl = flow.loc[flow["excluded_reason"].str.contains("zero outcome"), "n_excluded"].sum()
    assert n_excl == zero_units * 10
    assert res.n_obs == len(f) - zero_units * 10


def test_poisson_tidy_has_rate_ratio_on_ratio_scale() -> None:
    f = make_panel(400, 12, seed=6)
    res = _quiet(
        did.poisson_twfe,
        f,
        outcome="arrests",
        unit="person_id",
        time="month",
        treatment="treatment",
    )
    row = res.tidy().iloc[0]
    assert row["term"] == "treatment"
    np.testing.assert_allclose(row["rate_ratio"], np.exp(row["estimate"]), rtol=1e-12)
    np.testing.assert_allclose(row["rate_ratio_conf_low"], np.exp(row["conf_low"]), rtol=1e-12)
    assert row["rate_ratio_conf_low"] < row["rate_ratio"] < row["rate_ratio_conf_high"]
    assert "rate_ratio" in res.summary()
    assert len(pickle.dumps(res)) < 20_000


def test_poisson_recovers_rate_ratio_in_simulation() -> None:
    est, cover = [], []
    for seed in range(100):
        f = make_panel(300, 8, seed=seed, columns=["person_id", "month", "treatment", "arrests"])
        row = (
            _quiet(
                did.poisson_twfe,
                f,
                outcome="arrests",
                unit="person_id",
                time="month",
                treatment="treatment",
            )
            .tidy()
            .iloc[0]
        )
        est.append(row["estimate"])
        cover.append(row["conf_low"] <= np.log(TRUE_RATE_RATIO) <= row["conf_high"])
    est_arr = np.asarray(est)
    mc_se = est_arr.std(ddof=1) / np.sqrt(len(est_arr))
    assert abs(est_arr.mean() - np.log(TRUE_RATE_RATIO)) < 4 * mc_se
    assert 0.88 <= np.mean(cover) <= 0.99


def test_poisson_errors_and_few_clusters() -> None:
    f = make_panel(100, 8, seed=2)
    with pytest.raises(EstimationError, match="negative"):
        did.poisson_twfe(
            f.assign(y=f["y"]), outcome="y", unit="person_id", time="month", treatment="treatment"
        )
    with pytest.raises(EstimationError, match="bootstrap"):
        did.poisson_twfe(
            f,
            outcome="arrests",
            unit="person_id",
            time="month",
            treatment="treatment",
            inference="bootstrap",
        )
    with pytest.warns(SmallClusterWarning):
        res = _quiet_except_small(f)
    assert "should not be trusted" in res.summary()


def _quiet_except_small(f: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        return did.poisson_twfe(
            f,
            outcome="arrests",
            unit="person_id",
            time="month",
            treatment="treatment",
            cluster="area",
        )


def test_poisson_does_not_mutate_input() -> None:
    f = make_panel(80, 6, seed=9)
    before = f.copy(deep=True)
    _quiet(
        did.poisson_twfe,
        f,
        outcome="arrests",
        unit="person_id",
        time="month",
        treatment="treatment",
        exposure="exposure_days",
    )
    pd.testing.assert_frame_equal(f, before)
