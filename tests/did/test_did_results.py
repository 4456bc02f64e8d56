"""Cluster-inference fields held once by the regression DiD results; frozen and picklable."""

from __future__ import annotations

import dataclasses
import pickle

import pandas as pd
import pytest

import socdata.did as did
from benchmarks._common import make_panel
from socdata.did._results import ClusterInferenceResult, EventStudyResult, FixedEffectsResult
from socdata.did.stacked import StackedDiDResult
from socdata.errors import ExcludedRowsWarning
from tests.did.stacked_data import stacked_frame

SHARED = ("n_clusters", "cluster", "df_t", "ssc", "df_k", "conf_level")


def test_shared_fields_are_declared_once():
    base = {f.name for f in dataclasses.fields(ClusterInferenceResult)}
    assert set(SHARED) <= base
    for cls in (FixedEffectsResult, EventStudyResult, StackedDiDResult):
        assert issubclass(cls, ClusterInferenceResult)
        assert set(SHARED) <= {f.name for f in dataclasses.fields(cls)}
        assert not set(SHARED) & set(vars(cls).get("__annotations__", {})), cls


@pytest.fixture(scope="module")
def results():
    panel = make_panel(60, 8, seed=4)
    twfe = did.twfe(panel, outcome="y", unit="person_id", time="period", treatment="treatment")
    stacked = did.stacked_did(
        stacked_frame(30, seed=2),
        outcome="y",
        unit="person",
        time="month",
        index_time="index",
        matched_set="set",
        treated="treated",
        window=(-6, 6),
    )
    return twfe, stacked


def test_results_stay_frozen_and_pickle_with_the_same_tidy(results):
    for res in results:
        assert res.df_t == res.n_clusters - 1 and res.conf_level == 0.95 and res.ssc > 1
        with pytest.raises(dataclasses.FrozenInstanceError):
            res.n_clusters = 3
        back = pickle.loads(pickle.dumps(res))
        pd.testing.assert_frame_equal(back.tidy(), res.tidy())
        assert back.summary() == res.summary()
        assert (
            back.replace(conf_level=0.9).tidy()["conf_low"].iloc[0] > res.tidy()["conf_low"].iloc[0]
        )


def test_provenance_parameters_are_the_keywords():
    panel = make_panel(60, 8, seed=4)
    kw = dict(outcome="y", unit="person_id", time="period", treatment="treatment")
    res = did.wild_cluster_bootstrap(panel, **kw, cluster="area", bootstrap_draws=99)
    assert list(res.provenance.parameters) == [
        *kw,
        "cluster",
        "covariates",
        "bootstrap_weights",
        "bootstrap_draws",
        "seed",
        "conf_level",
    ]
    with pytest.warns(ExcludedRowsWarning, match="zero outcome in every period"):
        res = did.poisson_twfe(panel.assign(y=panel["arrests"]), **kw, exposure="exposure_days")
    assert list(res.provenance.parameters) == [
        *kw,
        "cluster",
        "covariates",
        "exposure",
        "conf_level",
        "inference",
        "tol",
        "max_iter",
        "weights",
    ]
