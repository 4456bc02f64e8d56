"""Observation (analytic/matching) weights in twfe, poisson_twfe and event_study.

References: pyfixest ``feols``/``fepois(..., weights=...)`` on public panels (linearmodels'
wage_panel with random positive integer weights, pyfixest's df_het), a weighted
dummy-variable least-squares oracle with a hand CRV1 sandwich, the frequency-weight
equivalence of point estimates, zero weights versus dropped rows, error messages, and
``weights=None`` leaving results unchanged.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from benchmarks._common import make_panel
from socdata.errors import EstimationError, ExcludedRowsWarning, SocdataError

EST_RTOL = 1e-6  # estimates vs an established implementation
SE_RTOL = 1e-5  # analytic standard errors under the same small-sample convention
ORACLE_RTOL = 1e-9  # vs brute-force dummy-variable regressions (exact algebra)

pf = pytest.importorskip("pyfixest")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _wage_panel(seed: int = 1) -> pd.DataFrame:
    from linearmodels.datasets import wage_panel

    df = wage_panel.load()
    rng = np.random.default_rng(seed)
    df["w"] = rng.integers(1, 6, len(df)).astype(float)
    # a count outcome from public data for the Poisson model
    df["cnt"] = np.round(np.exp(df["lwage"]))
    return df


def _df_het(seed: int = 2) -> pd.DataFrame:
    import pyfixest

    df = pd.read_csv(Path(pyfixest.__file__).parent / "did" / "data" / "df_het.csv")
    rng = np.random.default_rng(seed)
    df["w"] = rng.integers(1, 6, len(df)).astype(float)
    return df


def _small_unbalanced(seed: int = 5) -> pd.DataFrame:
    f = make_panel(40, 8, balanced=False, shuffle=True, drop_share=0.25, seed=seed)
    rng = np.random.default_rng(seed)
    f["x2"] = rng.normal(size=len(f))
    f["w"] = rng.integers(1, 5, len(f)).astype(float)
    return f


# ---- pyfixest references -----------------------------------------------------------------


@pytest.mark.reference
@pytest.mark.parametrize("frac", [1.0, 0.8])
def test_twfe_weights_match_pyfixest_wage_panel(frac: float) -> None:
    df = _wage_panel()
    if frac < 1:
        df = df.sample(frac=frac, random_state=3).sort_index()
    res = _quiet(
        did.twfe,
        df,
        outcome="lwage",
        unit="nr",
        time="year",
        treatment="union",
        covariates=["hours"],
        weights="w",
    )
    m = _quiet(
        pf.feols, "lwage ~ union + hours | nr + year", data=df, weights="w", vcov={"CRV1": "nr"}
    )
    np.testing.assert_allclose(res.coef, m.coef().to_numpy(), rtol=EST_RTOL)
    np.testing.assert_allclose(res.std_errors, m.se().to_numpy(), rtol=SE_RTOL)
    assert res.weights == "w"
    assert res.provenance.parameters["weights"] == "w"
    assert "Weighted by 'w'" in res.summary()


@pytest.mark.reference
@pytest.mark.parametrize("frac", [1.0, 0.8])
def test_poisson_weights_match_pyfixest_wage_panel(frac: float) -> None:
    df = _wage_panel()
    if frac < 1:
        df = df.sample(frac=frac, random_state=4).sort_index()
    res = _quiet(
        did.poisson_twfe,
        df,
        outcome="cnt",
        unit="nr",
        time="year",
        treatment="union",
        covariates=["hours"],
        weights="w",
    )
    m = _quiet(
        pf.fepois,
        "cnt ~ union + hours | nr + year",
        data=df,
        weights="w",
        vcov={"CRV1": "nr"},
        fixef_tol=1e-12,
        iwls_tol=1e-12,
    )
    np.testing.assert_allclose(res.coef, m.coef().to_numpy(), rtol=EST_RTOL)
    np.testing.assert_allclose(res.std_errors, m.se().to_numpy(), rtol=SE_RTOL)
    assert res.provenance.parameters["weights"] == "w"
    assert "Weighted by 'w'" in res.summary()


@pytest.mark.reference
def test_event_study_weights_match_pyfixest_df_het() -> None:
    data = _df_het()
    res = did.event_study(
        data,
        outcome="dep_var",
        unit="unit",
        time="year",
        cohort="g",
        window=(-20, 20),
        reference=-1,
        weights="w",
    )
    m = _quiet(
        pf.feols,
        "dep_var ~ i(rel_year, ref=-1.0) | unit + year",
        data=data,
        weights="w",
        vcov={"CRV1": "unit"},
    )
    coef = m.coef()
    ref = pd.DataFrame(
        {
            "event_time": [float(n.split("::")[1]) for n in coef.index],
            "b": coef.to_numpy(),
            "se": m.se().to_numpy(),
        }
    )
    ref = ref[np.isfinite(ref["event_time"])].astype({"event_time": int})
    t = res.tidy()
    t = t[~t["reference"]].merge(ref, on="event_time", how="outer", validate="1:1")
    assert len(t) == 40 and t["estimate"].notna().all() and t["b"].notna().all()
    np.testing.assert_allclose(t["estimate"], t["b"], rtol=EST_RTOL)
    np.testing.assert_allclose(t["std_error"], t["se"], rtol=SE_RTOL)
    assert res.provenance.parameters["weights"] == "w"
    assert "Weighted by 'w'" in res.summary()


# ---- brute-force oracles -----------------------------------------------------------------


def _dummy_design(f: pd.DataFrame, regs: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Regressors, then unit dummies, then period dummies (first period dropped)."""
    units = pd.get_dummies(f["person_id"], dtype=float).to_numpy()
    periods = pd.get_dummies(f["period"], dtype=float).to_numpy()[:, 1:]
    x = np.column_stack([f[regs].to_numpy(dtype=float), units, periods])
    return x, f["y"].to_numpy(dtype=float), f["person_id"].to_numpy()


def test_twfe_weights_match_weighted_dummy_variable_oracle_with_hand_crv1() -> None:
    f = _small_unbalanced()
    regs = ["treatment", "x2"]
    res = did.twfe(
        f,
        outcome="y",
        unit="person_id",
        time="period",
        treatment="treatment",
        covariates=["x2"],
        weights="w",
    )
    assert res.n_obs == len(f)  # no singletons in this panel
    x, y, cl = _dummy_design(f, regs)
    w = f["w"].to_numpy()
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(x * sw[:, None], y * sw, rcond=None)
    np.testing.assert_allclose(res.coef, beta[:2], rtol=ORACLE_RTOL)
    # hand CRV1: full weighted dummy-variable sandwich, scores w x e summed by person
    e = y - x @ beta
    bread = np.linalg.pinv((x * w[:, None]).T @ x)
    s = pd.DataFrame(x * (w * e)[:, None]).groupby(cl).sum().to_numpy()
    n, g = len(f), len(np.unique(cl))
    big_k = len(regs) + f["period"].nunique()  # unit effects nested in the person clusters
    vcov = (g / (g - 1)) * (n - 1) / (n - big_k) * bread @ (s.T @ s) @ bread
    np.testing.assert_allclose(res.std_errors, np.sqrt(np.diag(vcov))[:2], rtol=ORACLE_RTOL)
    assert res.df_k == big_k


def test_integer_weights_equal_repeated_rows_for_point_estimates() -> None:
    """Integer weights act as frequency weights for the point estimate: the weighted fit
    equals the unweighted dummy-variable regression on the data with each row repeated
    ``w`` times.  Standard errors differ by design (analytic weights: N counts rows and the
    repeated rows are not independent observations), so only estimates are compared."""
    f = _small_unbalanced(seed=11)
    res = did.twfe(
        f,
        outcome="y",
        unit="person_id",
        time="period",
        treatment="treatment",
        covariates=["x2"],
        weights="w",
    )
    rep = f.loc[f.index.repeat(f["w"].astype(int))]
    x, y, _ = _dummy_design(rep, ["treatment", "x2"])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    np.testing.assert_allclose(res.coef, beta[:2], rtol=ORACLE_RTOL)
    # Poisson: repeated rows give the same pseudo-likelihood, hence the same estimate
    rp = _quiet(
        did.poisson_twfe,
        f,
        outcome="arrests",
        unit="person_id",
        time="period",
        treatment="treatment",
        weights="w",
    )
    m = _quiet(
        pf.fepois,
        "arrests ~ treatment | person_id + period",
        data=rep,
        fixef_tol=1e-12,
        iwls_tol=1e-12,
    )
    np.testing.assert_allclose(rp.coef, m.coef().to_numpy(), rtol=EST_RTOL)


# ---- zero and bad weights ----------------------------------------------------------------


def test_zero_weights_equal_dropping_rows_and_are_counted() -> None:
    f = _small_unbalanced(seed=7)
    rng = np.random.default_rng(0)
    zero = rng.random(len(f)) < 0.1
    f.loc[zero, "w"] = 0.0
    kw = dict(outcome="y", unit="person_id", time="period", treatment="treatment")
    with pytest.warns(ExcludedRowsWarning, match=f"excluded {int(zero.sum())} of {len(f)} rows"):
        a = did.twfe(f, weights="w", **kw)
    b = _quiet(did.twfe, f.loc[~zero], weights="w", **kw)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12)
    np.testing.assert_allclose(a.vcov, b.vcov, rtol=1e-10)
    step = a.provenance.flow.steps[0]
    assert step.n_in - step.n_out == int(zero.sum())
    assert a.provenance.n_in == len(f)
    pkw = dict(kw, outcome="arrests")
    pa = _quiet(did.poisson_twfe, f, weights="w", **pkw)
    pb = _quiet(did.poisson_twfe, f.loc[~zero], weights="w", **pkw)
    np.testing.assert_allclose(pa.coef, pb.coef, rtol=1e-9)
    np.testing.assert_allclose(pa.vcov, pb.vcov, rtol=1e-8)
    ekw = dict(outcome="y", unit="person_id", time="period", cohort="cohort", window=(-3, 3))
    ea = _quiet(did.event_study, f, weights="w", **ekw)
    eb = _quiet(did.event_study, f.loc[~zero], weights="w", **ekw)
    np.testing.assert_allclose(ea.coef, eb.coef, rtol=1e-10)
    np.testing.assert_allclose(ea.vcov, eb.vcov, rtol=1e-8)


@pytest.mark.parametrize(
    ("value", "match"),
    [(-1.0, r"'w' has 2 negative values"), (np.nan, r"'w' has 2 missing or non-finite")],
)
def test_bad_weights_raise_clear_error(value: float, match: str) -> None:
    f = _small_unbalanced()
    f.loc[f.index[:2], "w"] = value
    kw = dict(outcome="y", unit="person_id", time="period", treatment="treatment", weights="w")
    for fn in (did.twfe, did.poisson_twfe):
        with pytest.raises(EstimationError, match=match) as info:
            fn(f, **kw)
        assert isinstance(info.value, SocdataError)
        assert "Rule:" in str(info.value)
    with pytest.raises(EstimationError, match=match):
        did.event_study(
            f, outcome="y", unit="person_id", time="period", cohort="cohort", weights="w"
        )


def test_weights_column_missing_or_non_numeric() -> None:
    f = _small_unbalanced()
    kw = dict(outcome="y", unit="person_id", time="period", treatment="treatment")
    with pytest.raises(EstimationError, match="weights='nope' is not a column"):
        did.twfe(f, weights="nope", **kw)
    f["wl"] = "a"
    with pytest.raises(EstimationError, match="must be numeric"):
        did.twfe(f, weights="wl", **kw)


def test_weights_with_wild_bootstrap_not_supported_yet() -> None:
    f = _small_unbalanced()
    kw = dict(outcome="y", unit="person_id", time="period", treatment="treatment", weights="w")
    with pytest.raises(EstimationError, match="not supported yet"):
        _quiet(did.twfe, f, cluster="area", **kw)
    with pytest.raises(EstimationError, match="not supported yet"):
        _quiet(did.twfe, f, inference="bootstrap", **kw)
    # analytic inference with few clusters is allowed (and warned about)
    res = _quiet(did.twfe, f, cluster="area", inference="analytic", **kw)
    assert res.few_clusters and not res.bootstrap


# ---- weights=None unchanged --------------------------------------------------------------


@pytest.mark.parametrize("balanced", [True, False])
def test_weights_none_is_unchanged(balanced: bool) -> None:
    f = make_panel(60, 12, balanced=balanced, seed=3)
    kw = dict(outcome="y", unit="person_id", time="period", treatment="treatment")
    for fn, extra in ((did.twfe, {}), (did.poisson_twfe, {"outcome": "arrests"})):
        a = _quiet(fn, f, **{**kw, **extra})
        b = _quiet(fn, f, weights=None, **{**kw, **extra})
        np.testing.assert_array_equal(a.coef, b.coef)
        np.testing.assert_array_equal(a.vcov, b.vcov)
        assert b.weights is None and b.provenance.parameters["weights"] is None
        assert "Weighted" not in b.summary()
    ekw = dict(outcome="y", unit="person_id", time="period", cohort="cohort", window=(-3, 3))
    a = _quiet(did.event_study, f, **ekw)
    b = _quiet(did.event_study, f, weights=None, **ekw)
    np.testing.assert_array_equal(a.coef, b.coef)
    np.testing.assert_array_equal(a.vcov, b.vcov)


def test_unit_weights_equal_unweighted_fit() -> None:
    f = make_panel(60, 12, seed=4)
    f["one"] = 1.0
    kw = dict(outcome="y", unit="person_id", time="period", treatment="treatment")
    a = did.twfe(f, **kw)
    b = did.twfe(f, weights="one", **kw)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)
    np.testing.assert_allclose(a.vcov, b.vcov, rtol=1e-9)
