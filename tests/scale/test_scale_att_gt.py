"""ATT(g,t), event study and TWFE from cohort statistics equal the row-level estimates.

The reference is socdata's own row-level implementation (itself checked against R did,
csdid and pyfixest in tests/did); here every table source (pandas through DuckDB, a
DuckDB relation, a Parquet file, a shuffled Parquet file, an Arrow table) must give the
same numbers to 1e-10.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from socdata.errors import AttGtInputError, EstimationError
from socdata.scale import CohortMoments, cohort_moments, combine
from tests.scale.panels import assert_same_att, staggered_panel

duckdb = pytest.importorskip("duckdb")

KW = dict(outcome="y", unit="id", time="t", cohort="g")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return staggered_panel()


@pytest.fixture(scope="module")
def parquet(panel, tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("parquet")
    paths = {"sorted": str(d / "panel.parquet"), "shuffled": str(d / "shuffled.parquet")}
    panel.to_parquet(paths["sorted"], row_group_size=500)
    panel.sample(frac=1.0, random_state=1).to_parquet(paths["shuffled"])
    return paths


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("cluster", [None, "area"])
def test_att_gt_sources_equal_rows(panel, parquet, control_group, cluster):
    import pyarrow as pa

    kw = dict(KW, control_group=control_group, cluster=cluster)
    ref = _quiet(did.att_gt, panel, **kw)
    sources = [
        duckdb.from_df(panel),
        parquet["sorted"],
        parquet["shuffled"],
        pa.Table.from_pandas(panel),
    ]
    for src in sources:
        assert_same_att(ref, _quiet(did.att_gt, src, **kw))


def test_att_gt_universal_base_anticipation_and_dates(parquet):
    df = staggered_panel(dates=True)
    kw = dict(KW, base_period="universal", anticipation=1, control_group="not_yet_treated")
    assert_same_att(_quiet(did.att_gt, df, **kw), _quiet(did.att_gt, duckdb.from_df(df), **kw))


def test_att_gt_without_never_treated_and_late_cohort():
    # no never-treated units (R did drops the last cohort's periods) and a cohort after
    # the last period (recoded never treated)
    df = staggered_panel(cohorts=(3, 5, 7), n_t=6)
    kw = dict(KW, control_group="not_yet_treated")
    assert_same_att(_quiet(did.att_gt, df, **kw), _quiet(did.att_gt, duckdb.from_df(df), **kw))
    df2 = staggered_panel(cohorts=(0, 3, 5, 20), n_t=6)
    assert_same_att(_quiet(did.att_gt, df2, **KW), _quiet(did.att_gt, duckdb.from_df(df2), **KW))


def test_unbalanced_rules_match_rows(panel):
    holes = panel.drop(index=[5, 17, 400]).reset_index(drop=True)
    holes.loc[100, "y"] = np.nan
    with pytest.raises(EstimationError, match="unbalanced: 4 of 240 units"):
        did.att_gt(duckdb.from_df(holes), **KW)
    kw = dict(KW, balance="drop_incomplete")
    with pytest.warns(Warning, match="incomplete"):
        a = did.att_gt(holes, **kw)
    with pytest.warns(Warning, match="incomplete"):
        b = did.att_gt(duckdb.from_df(holes), **kw)
    assert_same_att(a, b)
    assert b.provenance.flow.steps[0].n_out == a.provenance.flow.steps[0].n_out


def test_bad_tables_are_clear_errors(panel):
    dup = pd.concat([panel, panel.iloc[[3]]]).sort_values(["id", "t"], kind="stable")
    with pytest.raises(AttGtInputError, match="more than one row in period"):
        did.att_gt(duckdb.from_df(dup), **KW)
    moving = panel.copy()
    moving.loc[2, "g"] = 5
    with pytest.raises(AttGtInputError, match="changes within unit"):
        did.att_gt(duckdb.from_df(moving), **KW)
    with pytest.raises(AttGtInputError, match="not in the table"):
        did.att_gt(duckdb.from_df(panel), **dict(KW, outcome="nope"))
    with pytest.raises(AttGtInputError, match="do not support: weights"):
        did.att_gt(duckdb.from_df(panel), **KW, weights="area")
    with pytest.raises(AttGtInputError, match="bootstrap"):
        did.att_gt(duckdb.from_df(panel), **KW, inference="bootstrap")


def test_moments_are_the_brute_force_statistics(panel):
    m = cohort_moments(duckdb.from_df(panel), **KW, batch_rows=333)
    assert isinstance(m, CohortMoments) and m.n_rows == len(panel)
    wide = panel.pivot(index="id", columns="t", values="y")
    g = panel.groupby("id")["g"].first()
    for j, c in enumerate(m.cohorts):
        rows = wide[(g == (0 if c is None else c)).to_numpy()].to_numpy()
        assert m.n[j] == len(rows)
        np.testing.assert_allclose(m.mean[j], rows.mean(axis=0), rtol=1e-12)
        dev = rows - rows.mean(axis=0)
        np.testing.assert_allclose(m.scatter[j], dev.T @ dev, rtol=1e-10, atol=1e-10)
    # combining the moments of two halves is exact
    half = panel["id"] < 120
    parts = [cohort_moments(duckdb.from_df(panel[h]), **KW) for h in (half, ~half)]
    pooled = combine(parts)
    np.testing.assert_allclose(pooled.scatter, m.scatter, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(pooled.n, m.n)


def _row_event_study(data, **kw):
    """The row-level event study (cohort-statistics path switched off)."""
    mod = sys.modules["socdata.did.event_study"]
    orig = mod._on_cohort_statistics
    mod._on_cohort_statistics = lambda d, p, digest: None
    try:
        return did.event_study(data, **kw)
    finally:
        mod._on_cohort_statistics = orig


@pytest.mark.parametrize("cluster", [None, "area"])
@pytest.mark.parametrize("cohorts", [(0, 3, 5, 6, 9), (3, 5, 6)])
def test_event_study_on_cohort_statistics(cluster, cohorts):
    df = staggered_panel(cohorts=cohorts)
    kw = dict(KW, cluster=cluster, window=(-4, 3))
    ref = _row_event_study(df, **kw)
    for res in (did.event_study(df, **kw), did.event_study(duckdb.from_df(df), **kw)):
        a, b = res.tidy(), ref.tidy()
        assert list(a["term"]) == list(b["term"])
        np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-10, atol=1e-12)
        assert res.dropped_event_times == ref.dropped_event_times
        assert res.pretrend.statistic == pytest.approx(ref.pretrend.statistic, rel=1e-10)
        assert (res.n_obs, res.n_clusters, res.df_k) == (ref.n_obs, ref.n_clusters, ref.df_k)


def test_event_study_dates_and_unsupported():
    df = staggered_panel(dates=True)
    ref = _row_event_study(df, **KW, window=(-3, 2))
    res = did.event_study(duckdb.from_df(df), **KW, window=(-3, 2))
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.vcov, ref.vcov, rtol=1e-10, atol=1e-14)
    with pytest.raises(EstimationError, match="weights"):
        did.event_study(duckdb.from_df(df), **KW, weights="y")
    # covariates are streamed (tests/scale/test_scale_fe_covariates.py); one constant within
    # units is collinear with the unit effects, as in memory
    with pytest.raises(EstimationError, match=r"\['area'\] are collinear"):
        did.event_study(duckdb.from_df(df), **KW, covariates=["area"])


@pytest.mark.parametrize("cluster", [None, "area"])
def test_twfe_cohort_equals_treatment_column(panel, parquet, cluster):
    d = ((panel["g"] > 0) & (panel["t"] >= panel["g"])).astype(float)
    ref = did.twfe(
        panel.assign(d=d), outcome="y", unit="id", time="t", treatment="d", cluster=cluster
    )
    kw = dict(outcome="y", unit="id", time="t", cohort="g", cluster=cluster)
    shuffled = panel.sample(frac=1.0, random_state=2)
    for res in (did.twfe(panel, **kw), did.twfe(parquet["sorted"], **kw), did.twfe(shuffled, **kw)):
        np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-10)
        np.testing.assert_allclose(res.vcov, ref.vcov, rtol=1e-10)
        assert res.tidy()["p_value"].iloc[0] == pytest.approx(ref.tidy()["p_value"].iloc[0])
    with pytest.raises(EstimationError, match="exactly one of treatment= and cohort="):
        did.twfe(panel, outcome="y", unit="id", time="t")


@pytest.mark.parametrize(
    "options", [{}, {"control_group": "not_yet_treated"}, {"cluster": "area"}, {"anticipation": 1}]
)
def test_a_sorted_balanced_frame_takes_cohort_statistics_with_the_row_paths_result(options):
    # att_gt reads a frame in the common layout as matrices (scale.sources.frame_moments);
    # the same rows shuffled take the row path: every figure, the flow and the
    # aggregations agree
    import importlib

    module = importlib.import_module("socdata.did.att_gt")
    data = staggered_panel(600, 8, seed=5)
    shuffled = data.sample(frac=1, random_state=2)
    kw = {**KW, **options}
    params = {"weights": None, "inference": "analytic", "cluster": None, **kw}
    assert module._frame_moments(data, params) is not None
    assert module._frame_moments(shuffled, params) is None
    fast, rows = did.att_gt(data, **kw), did.att_gt(shuffled, **kw)
    pd.testing.assert_frame_equal(fast.tidy(), rows.tidy(), rtol=0, atol=1e-12)
    assert str(fast.provenance.flow) == str(rows.provenance.flow)
    for how in ("simple", "dynamic", "group", "calendar"):
        pd.testing.assert_frame_equal(
            fast.aggregate(how).tidy(), rows.aggregate(how).tidy(), rtol=0, atol=1e-12
        )


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no numpy noise from the frame route
@pytest.mark.parametrize(
    ("damage", "options"),
    [
        ("missing outcome", {"balance": "drop_incomplete"}),
        ("infinite outcome", {}),
        ("infinite outcome", {"balance": "drop_incomplete"}),
        ("all treated first", {}),
        ("all treated first", {"control_group": "not_yet_treated"}),
    ],
)
def test_the_frame_route_and_the_row_path_agree_on_damaged_frames(damage, options):
    # an infinite outcome is an incomplete unit on both paths; a panel whose units are all
    # excluded gives the same error on both (the row path raised a bare ValueError before)
    data = staggered_panel(300, 8, seed=5)
    if damage == "infinite outcome":
        data.loc[5, "y"] = np.inf
    elif damage == "missing outcome":
        data.loc[5, "y"] = np.nan
    else:
        data["g"] = 1
    kw = {**KW, **options}
    outcomes = []
    for frame in (data, data.sample(frac=1, random_state=2)):
        try:
            res = did.att_gt(frame, **kw)
            outcomes.append(("ok", res.aggregate("simple").tidy()["estimate"].round(12).tolist()))
        except EstimationError as exc:
            outcomes.append((type(exc).__name__, str(exc)))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("layout", ["sorted", "shuffled", "short unit"])
def test_an_unusable_outcome_makes_the_unit_incomplete_on_every_source(tmp_path, value, layout):
    # an infinite outcome was read as a value by DuckDB and Parquet (pandas drops the unit):
    # with balance="drop_incomplete" the estimates differed; now every source drops it
    import pyarrow as pa

    data = staggered_panel(300, 8, seed=5)
    data.loc[5, "y"] = value
    if layout == "short unit":  # another unit lacks a period: the batch is not regular
        data = data.drop(index=40)
    elif layout == "shuffled":
        data = data.sample(frac=1.0, random_state=3)
    kw = {**KW, "balance": "drop_incomplete"}
    ref = _quiet(did.att_gt, data, **kw)
    path = tmp_path / "p.parquet"
    data.to_parquet(path)
    for source in (duckdb.from_df(data), str(path), pa.Table.from_pandas(data)):
        m = cohort_moments(source, **KW)
        assert int(m.n_incomplete.sum()) == (2 if layout == "short unit" else 1)
        assert_same_att(ref, _quiet(did.att_gt, source, **kw))
    with pytest.raises(EstimationError, match=r"incomplete|unbalanced|lack"):
        _quiet(did.att_gt, str(path), **KW)
