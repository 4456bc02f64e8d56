"""TWFE with covariates on a table source (two streamed passes) equals the row-level fit.

The reference is socdata's row-level ``did.twfe`` on a pandas frame (checked against
pyfixest in tests/did) and, on a tiny panel, least squares on explicit unit and period
dummies with the CRV1 sandwich written out.  Small batches force units to be split
between Arrow batches and many chunks per pass.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from socdata.errors import DiDInputError, EstimationError, SmallClusterWarning
from socdata.scale import cohort_moments, units
from tests.scale.panels import staggered_panel

duckdb = pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")

KW = dict(outcome="y", unit="id", time="t", cohort="g", covariates=["x1", "x2"])
TOL = dict(rtol=1e-10, atol=1e-12)


def _with_covariates(df: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """Two time-varying covariates, one correlated with the period and the unit effect."""
    rng = np.random.default_rng(seed)
    n_t = int(df.groupby("id").size().iloc[0])
    x1 = np.repeat(rng.normal(size=len(df) // n_t), n_t) + 0.2 * rng.normal(size=len(df))
    out = df.assign(x1=x1 + 0.1 * df["t"].rank(method="dense"), x2=rng.normal(size=len(df)))
    out["y"] = out["y"] + 0.5 * out["x1"] - 0.3 * out["x2"]
    return out


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def assert_same_fit(ref, got) -> None:
    """Terms, coefficients, covariance, standard errors and counts equal."""
    assert got.terms == ref.terms
    np.testing.assert_allclose(got.coef, ref.coef, **TOL)
    np.testing.assert_allclose(got.vcov, ref.vcov, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(got.tidy()["std_error"], ref.tidy()["std_error"], **TOL)
    assert (got.n_obs, got.n_units, got.n_times) == (ref.n_obs, ref.n_units, ref.n_times)
    assert (got.n_clusters, got.cluster, got.df_t, got.df_k) == (
        ref.n_clusters,
        ref.cluster,
        ref.df_t,
        ref.df_k,
    )
    assert got.ssc == pytest.approx(ref.ssc, rel=1e-14)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """300 units x 8 periods; cohorts never, first period, 3, 5, 6 and after the window."""
    return _with_covariates(staggered_panel(n=300, n_t=8, cohorts=(0, 1, 3, 5, 6, 9)))


@pytest.fixture(scope="module")
def sources(panel, tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("fe_cov")
    panel.to_parquet(d / "sorted.parquet")
    panel.sample(frac=1.0, random_state=2).to_parquet(d / "shuffled.parquet")
    return {
        "duckdb": lambda: duckdb.from_df(panel),
        "parquet sorted": lambda: str(d / "sorted.parquet"),
        "parquet shuffled": lambda: str(d / "shuffled.parquet"),
        "arrow": lambda: pa.Table.from_pandas(panel),
    }


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(units, "BATCH_ROWS", 101)  # units split across batches, many chunks


@pytest.mark.parametrize("source", ["duckdb", "parquet sorted", "parquet shuffled", "arrow"])
@pytest.mark.parametrize("cluster", [None, "area"])
def test_streamed_twfe_equals_rows(panel, sources, source, cluster):
    kw = dict(KW, cluster=cluster)
    ref = did.twfe(panel, **kw)
    got = did.twfe(sources[source](), **kw)
    assert_same_fit(ref, got)
    assert got.terms == ("treated", "x1", "x2")
    assert "covariates streamed in chunks of units" in got.provenance.inputs["data"]
    assert got.provenance.n_in == len(panel) and got.provenance.n_out == len(panel)
    assert "two passes" in got.summary()


def test_one_covariate_dates_and_cluster_equal_to_unit():
    df = _with_covariates(staggered_panel(n=120, n_t=6, cohorts=(0, 3, 4, 6), dates=True))
    kw = dict(KW, covariates=["x2"])
    assert_same_fit(did.twfe(df, **kw), did.twfe(pa.Table.from_pandas(df), **kw))
    es = dict(kw, window=(-3, 2))  # event time in calendar months
    assert_same_event_study(did.event_study(df, **es), did.event_study(duckdb.from_df(df), **es))
    kw = dict(KW, cluster="id")
    assert_same_fit(did.twfe(df, **kw), did.twfe(duckdb.from_df(df), **kw))


def test_brute_force_dummies():
    """Slopes and CRV1 by unit from least squares on explicit unit and period dummies."""
    df = _with_covariates(staggered_panel(n=36, n_t=5, seed=11, cohorts=(0, 2, 4)))
    got = did.twfe(duckdb.from_df(df), **KW)
    n, n_t = 36, 5
    treated = ((df["g"] > 0) & (df["t"] >= df["g"])).to_numpy(float)
    slopes = np.column_stack([treated, df["x1"], df["x2"]])
    unit_d = (df["id"].to_numpy()[:, None] == np.arange(n)).astype(float)
    time_d = (df["t"].to_numpy()[:, None] == np.arange(2, n_t + 1)).astype(float)
    z = np.column_stack([slopes, unit_d, time_d])
    beta, *_ = np.linalg.lstsq(z, df["y"].to_numpy(), rcond=None)
    np.testing.assert_allclose(got.coef, beta[:3], rtol=1e-10)
    resid = df["y"].to_numpy() - z @ beta
    zz_inv = np.linalg.inv(z.T @ z)
    scores = np.stack([z[df["id"] == i].T @ resid[df["id"] == i] for i in range(n)])
    k = 3 + n_t  # slopes and period effects; the unit effects are nested in the clusters
    ssc = n / (n - 1) * (len(df) - 1) / (len(df) - k)
    vcov = ssc * zz_inv @ scores.T @ scores @ zz_inv
    np.testing.assert_allclose(got.vcov, vcov[:3, :3], rtol=1e-9)


def test_unbalanced_or_bad_covariate_is_an_error(panel):
    """The row path drops such rows and fits the unbalanced panel; here: a clear error."""
    ref = _quiet(did.twfe, panel.drop(index=[5]), **KW)
    assert ref.n_obs == len(panel) - 1
    for bad in (
        panel.drop(index=[5]),
        panel.assign(x1=panel["x1"].where(panel.index != 17)),
        panel.assign(x2=panel["x2"].where(panel.index != 17, np.inf)),
        panel.assign(y=panel["y"].where(panel.index != 17, -np.inf)),
    ):
        with pytest.raises(EstimationError, match="1 units lack a row, an outcome or a finite"):
            did.twfe(duckdb.from_df(bad), **KW)


def test_refusals_and_few_clusters(panel):
    src = duckdb.from_df(panel)
    with pytest.raises(EstimationError, match="does not support weights"):
        did.twfe(src, **KW, weights="x2")
    with pytest.raises(EstimationError, match="inference='bootstrap'"):
        did.twfe(src, **KW, inference="bootstrap")
    few = panel.assign(region=panel["area"] % 8)
    with pytest.raises(EstimationError, match="8 clusters call for the wild cluster bootstrap"):
        did.twfe(duckdb.from_df(few), **KW, cluster="region")
    kw = dict(KW, cluster="region", inference="analytic")
    with pytest.warns(SmallClusterWarning, match="only 8 clusters"):
        got = did.twfe(duckdb.from_df(few), **kw)
    assert_same_fit(_quiet(did.twfe, few, **kw), got)
    spark_like = type("DataFrame", (), {"__module__": "pyspark.sql.dataframe"})()
    with pytest.raises(EstimationError, match="Write the table to Parquet"):
        did.twfe(spark_like, **KW)
    m = cohort_moments(panel, outcome="y", unit="id", time="t", cohort="g")
    with pytest.raises(EstimationError, match="needs the unit rows"):
        did.twfe(m, **KW)
    with pytest.raises(DiDInputError, match="covariate column 'name' must be numeric"):
        did.twfe(duckdb.from_df(panel.assign(name="a")), **dict(KW, covariates=["name"]))
    with pytest.raises(DiDInputError, match=r"twfe: covariates\[1\]='nope' is not a column"):
        did.twfe(src, **dict(KW, covariates=["x1", "nope"]))


def test_collinear_covariate_is_an_error(panel):
    """A covariate constant within units is absorbed by the unit effects (as in memory)."""
    df = panel.assign(const=panel["id"] % 3)
    kw = dict(KW, covariates=["x1", "const"])
    with pytest.raises(EstimationError, match="collinear"):
        did.twfe(df, **kw)
    with pytest.raises(EstimationError, match=r"\['const'\] are collinear"):
        did.twfe(duckdb.from_df(df), **kw)


def assert_same_event_study(ref, got) -> None:
    """The fit, the event times dropped as collinear and the pre-trend test equal."""
    assert_same_fit(ref, got)
    assert got.event_times == ref.event_times
    assert got.dropped_event_times == ref.dropped_event_times
    assert got.window == ref.window
    assert got.pretrend.statistic == pytest.approx(ref.pretrend.statistic, rel=1e-10)
    assert got.pretrend.df == ref.pretrend.df
    tr, tg = ref.tidy(), got.tidy()
    np.testing.assert_allclose(tg["estimate"], tr["estimate"], **TOL)


@pytest.mark.parametrize(
    ("source", "extra"),
    [
        ("duckdb", dict(window=(-3, 3))),
        ("parquet shuffled", dict(window=(-2, 2), cluster="area")),
        ("arrow", dict(window=(-8, 8), reference=-2)),
    ],
)
def test_streamed_event_study_equals_rows(panel, sources, source, extra):
    kw = dict(KW, **extra)
    got = did.event_study(sources[source](), **kw)
    assert_same_event_study(did.event_study(panel, **kw), got)
    assert "two passes" in got.summary()


def test_event_study_without_never_treated_drops_an_event_time():
    """Without never-treated units one more event time is collinear (dropped, as in memory)."""
    df = _with_covariates(staggered_panel(n=150, n_t=8, cohorts=(3, 5, 6), seed=4))
    kw = dict(KW, window=(-8, 8), covariates=["x2"])
    ref = did.event_study(df, **kw)
    assert ref.dropped_event_times
    assert_same_event_study(ref, did.event_study(pa.Table.from_pandas(df), **kw))


def test_event_study_refusals(panel):
    src = duckdb.from_df(panel)
    with pytest.raises(EstimationError, match="needs bin_endpoints=True"):
        did.event_study(src, **KW, bin_endpoints=False)
    with pytest.raises(EstimationError, match="does not support weights"):
        did.event_study(src, **KW, weights="x2")
    with pytest.raises(EstimationError, match="1 units lack a row"):
        did.event_study(duckdb.from_df(panel.drop(index=[3])), **KW)
    few = panel.assign(region=panel["area"] % 8)
    with pytest.raises(EstimationError, match="8 clusters call for the wild cluster bootstrap"):
        did.event_study(duckdb.from_df(few), **KW, cluster="region")
    kw = dict(KW, covariates=["x1", "const"])
    df = panel.assign(const=panel["id"] % 3)
    with pytest.raises(EstimationError, match="collinear with the fixed effects or the event"):
        did.event_study(df, **kw)
    with pytest.raises(EstimationError, match=r"\['const'\] are collinear"):
        did.event_study(duckdb.from_df(df), **kw)


def test_large_levels_absorbed_by_the_fixed_effects(panel):
    """Levels and period effects far larger than the within variation (absorbed exactly by
    the fixed effects) leave the fit unchanged: the streamed sums are centred within unit
    and period, so nothing of size 1e8 is differenced away."""
    truth = did.twfe(panel, **KW)
    big = panel.assign(
        y=panel["y"] + 1e8 + 1e5 * panel["t"],
        x1=panel["x1"] + 1e3,
        x2=panel["x2"] + 3e3 * panel["t"],
    )
    got = did.twfe(duckdb.from_df(big), **KW)
    np.testing.assert_allclose(got.coef, truth.coef, rtol=1e-8)
    np.testing.assert_allclose(got.vcov, truth.vcov, rtol=1e-6)


def test_order_taken_as_stored_is_rechecked(panel, sources, monkeypatch):
    """A shuffled table wrongly taken as stored unit by unit is caught in the first pass and
    the fit restarts with ordered scans (same estimates)."""
    monkeypatch.setattr(units.UnitStream, "_stored_in_order", lambda self, rel: True)
    for fn, extra in ((did.twfe, {}), (did.event_study, dict(window=(-3, 3)))):
        kw = dict(KW, cluster="area", **extra)
        assert_same_fit(fn(panel, **kw), fn(sources["parquet shuffled"](), **kw))
