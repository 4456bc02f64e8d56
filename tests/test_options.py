"""One option checker and one keyword vocabulary (socdata.options).

The old keyword names stay accepted for one release: each is checked here to give the
same result as the new name and to warn with SocdataDeprecationWarning (which pytest
turns into an error elsewhere, so every other test uses the new names).
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

from socdata import did
from socdata.describe.outcomes import outcome_percentages
from socdata.errors import (
    AttGtInputError,
    EstimationError,
    ExcludedRowsWarning,
    SocdataDeprecationWarning,
    SocdataError,
)
from socdata.matching import match, risk_set_match
from socdata.options import (
    DEFAULT_SEED,
    Choice,
    Renamed,
    check_bootstrap_draws,
    check_conf_level,
    renamed_keywords,
)
from tests.did.test_did_att_gt import toy_panel
from tests.matching.test_matching_riskset import make_data

#: The public vocabulary (issue 13).
VOCABULARY = {
    "outcome",
    "unit",
    "time",
    "treatment",
    "cohort",
    "cluster",
    "covariates",
    "weights",
    "conf_level",
    "inference",
    "bootstrap_draws",
    "bootstrap_weights",
    "seed",
}
OLD_NAMES = {
    "alpha",
    "level",
    "draws",
    "n_boot",
    "boot_weights",
    "random_state",
    "id_col",
    "bootstrap",
}


# ------------------------------------------------------------------ the checker itself
def test_choice_message_is_generated_from_the_declaration():
    c = Choice("kind", ("a", "b"), ("first", "second"))
    assert c.check("a") == "a"
    with pytest.raises(
        SocdataError,
        match=r"f: kind='c' is not allowed; use one of 'a' \(first\); 'b' \(second\)\.",
    ):
        c.check("c", function="f")
    with pytest.raises(EstimationError, match="kind=1"):
        Choice("kind", ("a",)).check(1, error=EstimationError)
    # True == 1 but is not an allowed value of an int choice
    with pytest.raises(SocdataError):
        Choice("k", (1, 2)).check(True)


@pytest.mark.parametrize("bad", [0, 1, -0.5, 95, float("nan"), "0.95", True, None])
def test_conf_level_rejects_values_outside_zero_one(bad):
    with pytest.raises(SocdataError, match="conf_level"):
        check_conf_level(bad, function="f")


def test_conf_level_and_draws_accept_good_values():
    assert check_conf_level(0.9) == 0.9
    assert check_bootstrap_draws(np.int64(199)) == 199
    for bad in (98, 99.0, True, "999"):
        with pytest.raises(SocdataError, match="bootstrap_draws"):
            check_bootstrap_draws(bad)


def test_renamed_keyword_warns_converts_and_refuses_both():
    @renamed_keywords(alpha=Renamed("conf_level", lambda a: 1 - a), n="m")
    def f(*, conf_level=0.95, m=1):
        return conf_level, m

    with pytest.warns(SocdataDeprecationWarning, match=r"alpha= is deprecated.*conf_level=0\.9"):
        assert f(alpha=0.1) == (0.9, 1)
    with pytest.warns(SocdataDeprecationWarning, match="use m="):
        assert f(n=3) == (0.95, 3)
    with pytest.raises(SocdataError, match=r"both n= .* and m="), warnings.catch_warnings():
        warnings.simplefilter("ignore", SocdataDeprecationWarning)
        f(n=3, m=4)
    # the signature shown to users is the new one
    assert list(inspect.signature(f).parameters) == ["conf_level", "m"]


# ------------------------------------------------------------------ one vocabulary
PUBLIC = [
    did.att_gt,
    did.twfe,
    did.poisson_twfe,
    did.event_study,
    did.wild_cluster_bootstrap,
    did.did_2x2,
    match,
    risk_set_match,
    outcome_percentages,
]


@pytest.mark.parametrize("fn", PUBLIC, ids=lambda f: f.__name__)
def test_public_keywords_use_the_vocabulary_and_no_old_name(fn):
    params = set(inspect.signature(fn).parameters)
    assert not params & OLD_NAMES, f"{fn.__name__} still takes {params & OLD_NAMES}"
    if "seed" in params:
        assert inspect.signature(fn).parameters["seed"].default == DEFAULT_SEED


def test_describe_functions_take_conf_level():
    from socdata.describe import km_median_duration
    from socdata.soceis.tables import outcomes_5_1

    for fn in (km_median_duration, outcomes_5_1, outcome_percentages):
        params = inspect.signature(fn).parameters
        assert "conf_level" in params and "level" not in params


# ------------------------------------------------------------------ aliases still work
def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_att_gt_old_keywords_warn_and_give_the_same_result():
    data = toy_panel(n=120, seed=3)
    args = {"outcome": "y", "unit": "unit", "time": "t", "cohort": "g"}
    new = did.att_gt(
        data,
        **args,
        conf_level=0.9,
        inference="bootstrap",
        bootstrap_draws=199,
        bootstrap_weights="mammen",
        seed=5,
    )
    with pytest.warns(SocdataDeprecationWarning) as rec:
        old = did.att_gt(
            data, **args, alpha=0.1, bootstrap=True, n_boot=199, boot_weights="mammen", seed=5
        )
    assert {str(w.message).split("keyword ")[1].split("=")[0] for w in rec} == {
        "alpha",
        "bootstrap",
        "n_boot",
        "boot_weights",
    }
    _same(new.tidy(), old.tidy())
    with pytest.warns(SocdataDeprecationWarning, match="alpha"):
        a_old = new.aggregate("dynamic", alpha=0.2)
    _same(a_old.tidy(), new.aggregate("dynamic", conf_level=0.8).tidy())
    assert issubclass(AttGtInputError, EstimationError)
    with pytest.raises(EstimationError, match="inference='boot' is not allowed"):
        did.att_gt(data, **args, inference="boot")


def test_wild_cluster_bootstrap_old_weights_means_bootstrap_weights():
    from benchmarks._common import make_panel

    f = make_panel(60, 6, n_areas=8, seed=3)
    args = dict(outcome="y", unit="person_id", time="month", treatment="treatment", cluster="area")
    new = did.wild_cluster_bootstrap(f, **args, bootstrap_weights="rademacher", bootstrap_draws=199)
    with pytest.warns(SocdataDeprecationWarning, match="is deprecated") as rec:
        old = did.wild_cluster_bootstrap(f, **args, weights="rademacher", draws=199)
    assert sorted(str(w.message).split("keyword ")[1].split("=")[0] for w in rec) == [
        "draws",
        "weights",
    ]
    _same(new.tidy(), old.tidy())
    # weights= naming a column is observation weights, as everywhere else: not supported
    with pytest.raises(EstimationError, match="observation weights"):
        did.wild_cluster_bootstrap(f.assign(w=1.0), **args, weights="w")


def test_matching_old_keywords_warn_and_give_the_same_result():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"id": [f"p{i}" for i in range(80)], "x": rng.normal(size=80)})
    df["t"] = (rng.random(80) < 0.3).astype(int)
    args = dict(treatment="t", covariates=["x"], m_order="random", on_unmatched="ignore")
    new = match(df, **args, unit="id", seed=4)
    with pytest.warns(SocdataDeprecationWarning):
        old = match(df, **args, id_col="id", random_state=4)
    _same(new.pairs, old.pairs)
    panel, persons = make_data(n_eng=20, n_cmp=80, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        r_new = risk_set_match(panel, persons, seed=3, max_model_rows=200)
        with pytest.warns(SocdataDeprecationWarning, match="random_state"):
            r_old = risk_set_match(panel, persons, random_state=3, max_model_rows=200)
    _same(r_new.pairs, r_old.pairs)


def test_describe_old_level_keyword():
    df = pd.DataFrame({"o": ["Yes"] * 7 + ["No"] * 5})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        new = outcome_percentages(df, outcome=["o"], conf_level=0.9)
        with pytest.warns(SocdataDeprecationWarning, match="level"):
            old = outcome_percentages(df, outcome=["o"], level=0.9)
    _same(new.tidy(), old.tidy())


def test_warnings_point_at_the_callers_line_through_the_keyword_wrapper():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x": rng.normal(size=60), "t": np.r_[np.ones(40), np.zeros(20)]})
    with pytest.warns(ExcludedRowsWarning) as rec:
        match(df, treatment="t", covariates=["x"])  # 40 treated, 20 controls: 20 unmatched
    assert {w.filename for w in rec} == {__file__}
    data = toy_panel(n=120, seed=3)
    data.loc[data.index[:3], "y"] = np.nan
    with pytest.warns(ExcludedRowsWarning) as rec:
        did.att_gt(data, outcome="y", unit="unit", time="t", cohort="g", balance="drop_incomplete")
    assert {w.filename for w in rec} == {__file__}
    panel, persons = make_data(n_eng=40, n_cmp=10, seed=2)
    with pytest.warns(ExcludedRowsWarning) as rec:
        risk_set_match(panel, persons)
    assert {w.filename for w in rec} == {__file__}


def test_interval_helpers_accept_the_old_level_keyword():
    from socdata.describe.outcomes import exact_interval, wilson_interval

    for fn in (wilson_interval, exact_interval):
        new = fn(7, 12, conf_level=0.9)
        with pytest.warns(SocdataDeprecationWarning, match="level"):
            old = fn(7, 12, level=0.9)
        np.testing.assert_allclose(new, old, rtol=0, atol=0)
        np.testing.assert_allclose(fn(7, 12, 0.9), new, rtol=0, atol=0)
