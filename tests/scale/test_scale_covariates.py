"""ATT(g,t) with covariates on a table source (chunked passes) equals the row-level fit.

The reference is socdata's row-level 2x2 estimators (checked against R DRDID / did in
tests/did).  The streamed path sums the same quantities over chunks of units in another
order, and iterates the propensity logit to the same tolerance, so estimates and standard
errors agree to 1e-8 (in practice about 1e-14).  Small batches force units to be split
between batches and many chunks per pass.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from socdata.errors import AttGtInputError, EstimationError
from socdata.scale import CohortMoments, cohort_moments, units
from tests.scale.panels import assert_same_att, staggered_panel

duckdb = pytest.importorskip("duckdb")

KW = dict(outcome="y", unit="id", time="t", cohort="g", covariates=["x1", "x2"])
TOL = dict(rtol=1e-8, atol=1e-10)


def _with_covariates(df: pd.DataFrame, seed: int = 5) -> pd.DataFrame:
    """Covariates that shift treatment take-up (x1 constant in unit) and the trend (x2)."""
    rng = np.random.default_rng(seed)
    n_t = df.groupby("id").size().iloc[0]
    n = len(df) // n_t
    x1 = np.repeat(rng.normal(size=n), n_t) + 0.1 * rng.normal(size=len(df))
    out = df.assign(x1=x1, x2=rng.normal(size=len(df)))
    out["y"] = out["y"] + 0.3 * out["x1"] * out["t"].rank(method="dense").to_numpy() / n_t
    return out


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _with_covariates(staggered_panel(n=200, n_t=6, cohorts=(0, 3, 4, 6)))


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(units, "BATCH_ROWS", 97)  # units split across batches, many chunks


@pytest.mark.parametrize("est_method", ["dr", "ipw", "reg", "dr_imp"])
@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_streamed_covariates_equal_rows(panel, est_method, control_group):
    kw = dict(KW, est_method=est_method, control_group=control_group, cluster="area")
    ref = _quiet(did.att_gt, panel, **kw)
    got = _quiet(did.att_gt, duckdb.from_df(panel), **kw)
    assert_same_att(ref, got, **TOL)
    assert got.settings["est_method"] == est_method
    assert "covariates streamed in chunks" in got.provenance.inputs["data"]


def test_sources_dates_universal_base_and_unit_clusters(panel, tmp_path):
    import pyarrow as pa

    ref = _quiet(did.att_gt, panel, **KW)
    path = tmp_path / "shuffled.parquet"
    panel.sample(frac=1.0, random_state=1).to_parquet(path)
    for src in (str(path), pa.Table.from_pandas(panel)):
        assert_same_att(ref, _quiet(did.att_gt, src, **KW), **TOL)
    df = _with_covariates(staggered_panel(n=200, n_t=6, cohorts=(0, 3, 4, 6), dates=True))
    kw = dict(KW, base_period="universal", anticipation=1, control_group="not_yet_treated")
    assert_same_att(
        _quiet(did.att_gt, df, **kw), _quiet(did.att_gt, duckdb.from_df(df), **kw), **TOL
    )


def test_stored_order_is_used_and_rechecked(panel, tmp_path, monkeypatch):
    # a sorted table is scanned as stored; a table whose order changes between scans (taken
    # as sorted by the first check) is detected and the fit restarts with ordered scans
    ref = _quiet(did.att_gt, panel, **KW)
    seen = []
    orig = units.UnitStream._stored_in_order

    def spy(self, rel):
        seen.append(orig(self, rel))
        return seen[-1]

    monkeypatch.setattr(units.UnitStream, "_stored_in_order", spy)
    assert_same_att(ref, _quiet(did.att_gt, duckdb.from_df(panel), **KW), **TOL)
    path = tmp_path / "shuffled.parquet"
    panel.sample(frac=1.0, random_state=2).to_parquet(path)
    assert_same_att(ref, _quiet(did.att_gt, str(path), **KW), **TOL)
    assert seen == [True, False]
    monkeypatch.setattr(units.UnitStream, "_stored_in_order", lambda self, rel: True)
    assert_same_att(ref, _quiet(did.att_gt, str(path), **KW), **TOL)


def test_no_never_treated_and_late_cohort():
    df = _with_covariates(staggered_panel(n=240, n_t=6, cohorts=(3, 4, 5, 20)))
    kw = dict(KW, control_group="not_yet_treated")
    assert_same_att(
        _quiet(did.att_gt, df, **kw), _quiet(did.att_gt, duckdb.from_df(df), **kw), **TOL
    )


def test_missing_covariate_is_incomplete(panel):
    holes = panel.drop(index=[7]).reset_index(drop=True)
    holes.loc[50, "x2"] = np.nan
    holes.loc[90, "y"] = np.nan
    with pytest.raises(EstimationError, match="unbalanced: 3 of 200 units"):
        did.att_gt(duckdb.from_df(holes), **KW)
    kw = dict(KW, balance="drop_incomplete")
    a = _quiet(did.att_gt, holes, **kw)
    b = _quiet(did.att_gt, duckdb.from_df(holes), **kw)
    assert_same_att(a, b, **TOL)
    assert b.provenance.flow.steps[0].n_out == a.provenance.flow.steps[0].n_out == 197


def test_streamed_fit_is_the_brute_force_logit(panel):
    # an independent check of one cell: the propensity logit by scipy's optimiser and the
    # normalised IPW estimate computed directly from the rows
    from scipy.optimize import minimize
    from scipy.special import expit

    res = _quiet(did.att_gt, duckdb.from_df(panel), **dict(KW, est_method="ipw"))
    wide = panel.pivot(index="id", columns="t")
    g = panel.groupby("id")["g"].first().to_numpy()
    sub = (g == 4) | (g == 0)
    x = np.column_stack([np.ones(sub.sum()), wide["x1"][3][sub], wide["x2"][3][sub]])
    d = (g[sub] == 4).astype(float)

    def nll(b):
        eta = x @ b
        return -(d * eta - np.logaddexp(0, eta)).sum()

    beta = minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-10}).x
    ps = expit(x @ beta)
    w = ps * (1 - d) / (1 - ps)
    dy = (wide["y"][5] - wide["y"][3]).to_numpy()[sub]
    att = dy[d == 1].mean() - (w * dy).sum() / w.sum()
    cell = res.tidy().set_index("term").loc["ATT(4,5)", "estimate"]
    assert cell == pytest.approx(att, rel=1e-6)


def test_unsupported_are_clear_errors(panel):
    m = cohort_moments(duckdb.from_df(panel), outcome="y", unit="id", time="t", cohort="g")
    assert isinstance(m, CohortMoments)
    with pytest.raises(AttGtInputError, match="needs the unit rows"):
        did.att_gt(m, **KW)
    with pytest.raises(AttGtInputError, match="bootstrap"):
        did.att_gt(duckdb.from_df(panel), **KW, inference="bootstrap")
    with pytest.raises(AttGtInputError, match="not in the table"):
        did.att_gt(duckdb.from_df(panel), **dict(KW, covariates=["nope"]))


@pytest.mark.parametrize("est_method", ["reg", "dr_imp"])
def test_cells_that_cannot_be_fitted_are_left_missing_as_in_memory(est_method):
    # a covariate constant among the never treated: the outcome regression of the cells
    # compared with them alone is singular; they are warned about and left missing
    df = staggered_panel(n=200, n_t=6, cohorts=(0, 3, 4, 6))
    rng = np.random.default_rng(1)
    df = df.assign(
        x1=rng.normal(size=len(df)), x2=np.where(df["g"] == 0, 0.0, rng.normal(size=len(df)))
    )
    kw = dict(KW, est_method=est_method, control_group="not_yet_treated")
    with pytest.warns(Warning, match="could not be estimated") as rec:
        got = did.att_gt(duckdb.from_df(df), **kw)
    ref = _quiet(did.att_gt, df, **kw)
    missing = got.tidy()["estimate"].isna()
    assert missing.sum() == 5 == sum("could not be estimated" in str(w.message) for w in rec)
    ta, tb = ref.tidy(), got.tidy()
    np.testing.assert_array_equal(ta["estimate"].isna(), missing)
    np.testing.assert_allclose(tb["estimate"], ta["estimate"], **TOL)
    np.testing.assert_allclose(tb["std_error"], ta["std_error"], **TOL)


def test_a_text_covariate_gets_the_covariate_rule_not_the_period_rule():
    data = staggered_panel(120, 5, seed=3).assign(label="a")
    with pytest.raises(
        AttGtInputError, match="covariate 'label' has type VARCHAR; covariates must be numeric"
    ):
        did.att_gt(
            duckdb.from_df(data), outcome="y", unit="id", time="t", cohort="g", covariates=["label"]
        )
