"""The one DiD input encoder: every estimator checks columns and layout the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import socdata.did as did
from benchmarks._common import make_panel
from socdata.did._encode import Columns, check_input, encode_layout
from socdata.errors import AttGtInputError, DiDInputError, EstimationError

KW = dict(outcome="y", unit="person_id", time="period")


def _fits(data: pd.DataFrame, **kw):
    """The estimators that read a long panel, each called with ``kw`` on top of KW."""
    args = {**KW, **kw}
    return {
        "twfe": lambda: did.twfe(data, treatment="treatment", **args),
        "poisson_twfe": lambda: did.poisson_twfe(data, treatment="treatment", **args),
        "event_study": lambda: did.event_study(data, cohort="cohort", window=(-2, 2), **args),
        "att_gt": lambda: did.att_gt(data, cohort="cohort", **args),
    }


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(outcome="nope"), "outcome='nope' is not a column"),
        (dict(cluster="nope"), "cluster='nope' is not a column"),
        (dict(weights="nope"), "weights='nope' is not a column"),
        (dict(covariates=["nope"]), r"covariates\[0\]='nope' is not a column"),
        (dict(covariates=["y"]), "the outcome 'y' is also a regressor"),
    ],
)
def test_every_estimator_names_the_keyword_of_a_bad_column(kw, match):
    data = make_panel(40, 6, seed=1)
    for name, fit in _fits(data, **kw).items():
        with pytest.raises(DiDInputError, match=match) as info:
            fit()
        assert isinstance(info.value, EstimationError), name


def test_duplicate_rows_give_one_message_in_every_estimator():
    data = make_panel(40, 6, seed=1)
    dup = pd.concat([data, data.iloc[[7]]]).sample(frac=1, random_state=0)
    messages = set()
    for name, fit in _fits(dup).items():
        with pytest.raises(DiDInputError) as info:
            fit()
        msg = str(info.value)
        assert "has more than one row in period 2 (rows 7 and 7; 1 unit-period pair" in msg, name
        assert "one row per unit and period" in msg
        assert str(data.loc[7, "person_id"]) not in msg  # the unit is masked
        messages.add(msg.split(": ", 1)[1])
    assert len(messages) == 1
    with pytest.raises(AttGtInputError):
        did.att_gt(dup, cohort="cohort", **KW)


def test_layout_is_recognised_whatever_the_identifier_type():
    data = make_panel(50, 5, seed=2)
    ids = {
        "int": data["person_id"],
        "str": "p" + data["person_id"].astype(str),
        "descending": -data["person_id"],
        "category": data["person_id"].astype("category"),
    }
    for name, units in ids.items():
        lay = encode_layout(
            units, data["period"], function="f", unit="u", time="t", sort_units=False
        )
        assert (lay.n_units, lay.n_times) == (50, 5), name
        assert name == "category" or lay.sorted_balanced
        shuffled = data.sample(frac=1, random_state=1).index
        lay2 = encode_layout(
            units[shuffled],
            data["period"][shuffled],
            function="f",
            unit="u",
            time="t",
            sort_units=True,
        )
        assert not lay2.sorted_balanced and lay2.present().all()
        # brute force: the codes enumerate the sorted distinct units and periods
        u = pd.Index(sorted(set(units))).get_indexer(units[shuffled])
        np.testing.assert_array_equal(lay2.unit_codes, u)
        np.testing.assert_array_equal(lay2.time_levels[lay2.time_codes], data["period"][shuffled])


def test_string_and_integer_units_give_the_same_estimates():
    data = make_panel(120, 8, seed=3)
    as_str = data.assign(person_id="p" + data["person_id"].astype(str))
    a = did.twfe(data, treatment="treatment", **KW).tidy()
    b = did.twfe(as_str, treatment="treatment", **KW).tidy()
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)
    np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-12)


def test_check_input_returns_the_numeric_columns():
    data = make_panel(10, 3, seed=4).assign(flag=lambda f: f["treatment"].astype(bool))
    cols = Columns(outcome="y", unit="person_id", time="period", treatment="flag")
    out = check_input(data, cols, "f")
    assert set(out) == {"y", "flag"} and out["flag"].dtype == np.float64
    with pytest.raises(DiDInputError, match="no rows"):
        check_input(data.iloc[:0], cols, "f")
    with pytest.raises(DiDInputError, match="must be a pandas DataFrame"):
        check_input(data.to_dict(), cols, "f")


def test_warnings_of_every_estimator_point_at_the_callers_line():
    data = make_panel(40, 6, seed=5, n_areas=5)
    data.loc[[3, 50], "y"] = np.nan  # rows with missing values: counted and warned
    one = data[data["person_id"] == data["person_id"].iloc[0]].iloc[:1]
    rows = data
    data = pd.concat([data, one.assign(person_id=1, period=99)])  # a singleton unit
    fits = _fits(data, cluster="area")
    fits["poisson_twfe"] = lambda: did.poisson_twfe(
        data.assign(y=data["arrests"]), treatment="treatment", cluster="area", **KW
    )
    fits["att_gt"] = lambda: did.att_gt(rows, cohort="cohort", balance="drop_incomplete", **KW)
    fits["wild_cluster_bootstrap"] = lambda: did.wild_cluster_bootstrap(
        data, treatment="treatment", cluster="area", bootstrap_draws=99, **KW
    )
    for name, fit in fits.items():
        with pytest.warns(Warning) as rec:
            fit()
        assert {w.filename for w in rec} == {__file__}, (name, [str(w.message) for w in rec])
