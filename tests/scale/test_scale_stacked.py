"""The stacked matched-set design on a table source equals the row-level fit to 1e-10.

The reference is socdata's row-level ``stacked_did`` (itself checked against pyfixest and a
brute-force Mantel-Haenszel in tests/did).  On a table source the engine computes sums per
matched set, arm and event time; the closed-form within transformation of balanced sets
and the Mantel-Haenszel tables finish the estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from socdata.errors import EstimationError
from tests.did.stacked_data import stacked_frame

duckdb = pytest.importorskip("duckdb")

KW = dict(
    outcome="y", unit="person", time="month", index_time="index", matched_set="set",
    treated="treated",
)  # fmt: skip


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    df = stacked_frame(40, max_controls=3, drop_share=0.0, seed=1, reuse=True)
    df["area"] = df["set"].str[-1]
    df["w"] = np.where(df["treated"] == 1, 1.0, 0.5 + (df["person"].str[-1].astype(int) % 3))
    return df


def assert_same(a, b, rtol=1e-10, atol=1e-12):
    ta, tb = a.tidy(), b.tidy()
    assert list(ta["term"]) == list(tb["term"])
    np.testing.assert_allclose(ta["estimate"], tb["estimate"], rtol=rtol, atol=atol)
    np.testing.assert_allclose(ta["std_error"], tb["std_error"], rtol=rtol, atol=atol)
    for f in ("n_obs", "n_event_obs", "n_sets", "n_treated", "n_units", "n_clusters", "df_k"):
        assert getattr(a, f) == getattr(b, f), f
    assert a.ssc == pytest.approx(b.ssc, rel=1e-12)
    assert [s.n_out for s in a.provenance.flow.steps] == [s.n_out for s in b.provenance.flow.steps]


@pytest.mark.parametrize("family", ["linear", "poisson"])
@pytest.mark.parametrize("weights", ["auto", "w"])
@pytest.mark.parametrize("cluster", [None, "area"])
def test_stacked_on_set_sums_equals_rows(frame, family, weights, cluster):
    kw = dict(KW, family=family, weights=weights, cluster=cluster)
    assert_same(did.stacked_did(frame, **kw), did.stacked_did(duckdb.from_df(frame), **kw))


@pytest.mark.parametrize("weights", ["auto", None])
def test_person_clusters_across_reused_comparators(frame, weights):
    # comparators matched into two sets link them: cluster sums per person (the scores
    # carry the set's mean residual by event time), fixed effects counted as fixest does
    kw = dict(KW, weights=weights, cluster="person")
    assert_same(did.stacked_did(frame, **kw), did.stacked_did(duckdb.from_df(frame), **kw))


def test_sources_dates_and_options(frame, tmp_path):
    import pyarrow as pa

    kw = dict(KW, window=(-4, 5), exclude=(0, 1), reference=-2)
    ref = did.stacked_did(frame, **kw)
    path = tmp_path / "stacked.parquet"
    frame.sample(frac=1.0, random_state=3).to_parquet(path)
    for src in (str(path), pa.Table.from_pandas(frame)):
        assert_same(ref, did.stacked_did(src, **kw))
    months = pd.date_range("2010-01-01", periods=200, freq="MS")
    dated = frame.assign(month=months[frame["month"]], index=months[frame["index"]])
    assert_same(did.stacked_did(dated, **KW), did.stacked_did(duckdb.from_df(dated), **KW))
    only = did.stacked_did(duckdb.from_df(frame), **KW, by_event_time=False)
    assert only.event_times == ()
    assert_same(did.stacked_did(frame, **KW, by_event_time=False), only)


def test_not_reducible_are_clear_errors(frame):
    holes = stacked_frame(30, max_controls=2, drop_share=0.05, seed=2)
    with pytest.raises(EstimationError, match="balanced sets only"):
        did.stacked_did(duckdb.from_df(holes), **KW)
    with pytest.raises(EstimationError, match="clusters that hold whole matched sets"):
        did.stacked_did(duckdb.from_df(frame), **KW, cluster="person", family="poisson")
    moving = frame.assign(area=np.where(frame["month"] % 2 == 0, "a", frame["area"]))
    with pytest.raises(EstimationError, match="change their cluster"):
        did.stacked_did(duckdb.from_df(moving), **KW, cluster="area")
    with pytest.raises(EstimationError, match="method='pml'"):
        did.stacked_did(duckdb.from_df(frame), **KW, family="poisson", method="pml")
    with pytest.raises(EstimationError, match="no column"):
        did.stacked_did(duckdb.from_df(frame), **dict(KW, outcome="nope"))
    no_treated = frame[~((frame["set"] == "s0003") & (frame["treated"] == 1))]
    with pytest.raises(EstimationError, match="1 matched set"):
        did.stacked_did(duckdb.from_df(no_treated), **KW)
