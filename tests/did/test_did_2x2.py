"""2x2 DiD of person-level rates: hand-computed means and Welch SE, exclusions, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import socdata.did as did
from benchmarks._common import make_panel
from socdata.errors import EstimationError, ExcludedRowsWarning

RTOL = 1e-12


def _toy() -> pd.DataFrame:
    """Four persons, by hand: rates are easy to verify."""
    rows = [
        # person, engager, post, arrests, days
        ("a", 1, 0, 2, 30),
        ("a", 1, 0, 1, 30),
        ("a", 1, 1, 0, 30),
        ("a", 1, 1, 1, 30),
        ("b", 1, 0, 4, 31),
        ("b", 1, 1, 1, 31),
        ("c", 0, 0, 1, 30),
        ("c", 0, 1, 1, 30),
        ("d", 0, 0, 0, 28),
        ("d", 0, 0, 2, 31),
        ("d", 0, 1, 0, 30),
    ]
    return pd.DataFrame(rows, columns=["pid", "eng", "post", "arrests", "days"])


def test_toy_by_hand() -> None:
    res = did.did_2x2(_toy(), outcome="arrests", unit="pid", treated="eng", post="post")
    t = res.tidy().set_index("term")
    # mean arrests per row: a 1.5 -> 0.5, b 4 -> 1, c 1 -> 1, d 1 -> 0
    assert t.loc["engager:before", "estimate"] == pytest.approx((1.5 + 4) / 2, rel=RTOL)
    assert t.loc["engager:after", "estimate"] == pytest.approx((0.5 + 1) / 2, rel=RTOL)
    assert t.loc["comparator:before", "estimate"] == pytest.approx(1.0, rel=RTOL)
    assert t.loc["comparator:after", "estimate"] == pytest.approx(0.5, rel=RTOL)
    d_t = np.array([0.5 - 1.5, 1 - 4])
    d_c = np.array([0.0, -1.0])
    assert res.estimate == pytest.approx(d_t.mean() - d_c.mean(), rel=RTOL)
    se = np.sqrt(d_t.var(ddof=1) / 2 + d_c.var(ddof=1) / 2)
    assert t.loc["did", "std_error"] == pytest.approx(se, rel=RTOL)
    welch = stats.ttest_ind(d_t, d_c, equal_var=False)
    assert t.loc["did", "p_value"] == pytest.approx(welch.pvalue, rel=1e-10)


def test_toy_with_exposure_rates_per_year() -> None:
    res = did.did_2x2(
        _toy(),
        outcome="arrests",
        unit="pid",
        treated="eng",
        post="post",
        exposure="days",
        per=365.25,
    )
    t = res.tidy().set_index("term")
    a_before, a_after = 3 / 60 * 365.25, 1 / 60 * 365.25
    b_before, b_after = 4 / 31 * 365.25, 1 / 31 * 365.25
    assert t.loc["engager:before", "estimate"] == pytest.approx((a_before + b_before) / 2)
    assert t.loc["engager:change", "estimate"] == pytest.approx(
        ((a_after - a_before) + (b_after - b_before)) / 2, rel=RTOL
    )
    assert "per 365.25 days" in res.summary()


def test_matches_pandas_groupby_on_generated_panel() -> None:
    f = make_panel(400, 24, seed=12)
    f["post"] = ((f["cohort"] > 0) & (f["period"] >= f["cohort"])) | (
        (f["cohort"] == 0) & (f["period"] >= 12)
    )
    f["engager"] = f["cohort"] > 0
    res = did.did_2x2(
        f,
        outcome="arrests",
        unit="person_id",
        treated="engager",
        post="post",
        exposure="exposure_days",
    )
    r = f.groupby(["person_id", "post"]).agg(a=("arrests", "sum"), e=("exposure_days", "sum"))
    rate = (r["a"] / r["e"]).unstack()
    grp = f.groupby("person_id")["engager"].first()
    rate = rate.dropna()
    ch = rate[True] - rate[False]
    expected = ch[grp[ch.index]].mean() - ch[~grp[ch.index]].mean()
    assert res.estimate == pytest.approx(expected, rel=1e-10)
    assert len(pickle.dumps(res)) < 20_000


def test_persons_without_both_periods_are_counted() -> None:
    toy = pd.concat(
        [
            _toy(),
            pd.DataFrame(
                [("e", 0, 0, 3, 30), ("f", 1, 1, 0, 30)],
                columns=["pid", "eng", "post", "arrests", "days"],
            ),
        ],
        ignore_index=True,
    )
    with pytest.warns(ExcludedRowsWarning, match="excluded 2 of 6 persons"):
        res = did.did_2x2(toy, outcome="arrests", unit="pid", treated="eng", post="post")
    flow = res.provenance.flow.to_frame()
    reasons = dict(zip(flow["excluded_reason"], flow["n_excluded"], strict=True))
    assert reasons["no rows (or zero exposure) after"] == 1
    assert reasons["no rows (or zero exposure) before"] == 1


def test_errors() -> None:
    toy = _toy()
    with pytest.raises(EstimationError, match="0/1"):
        did.did_2x2(toy.assign(eng=2), outcome="arrests", unit="pid", treated="eng", post="post")
    bad = toy.copy()
    bad.loc[0, "eng"] = 0
    with pytest.raises(EstimationError, match="constant within a person"):
        did.did_2x2(bad, outcome="arrests", unit="pid", treated="eng", post="post")
    with pytest.raises(EstimationError, match="at least 2 per group"):
        did.did_2x2(
            toy[toy["pid"] != "d"], outcome="arrests", unit="pid", treated="eng", post="post"
        )


def test_no_mutation() -> None:
    toy = _toy()
    before = toy.copy(deep=True)
    did.did_2x2(toy, outcome="arrests", unit="pid", treated="eng", post="post", exposure="days")
    pd.testing.assert_frame_equal(toy, before)
