"""HonestDiD-style relative-magnitudes sensitivity: the bias bound against a linear
program, the breakdown value against its definition, and coverage logic."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from socdata.did import honest_sensitivity, stacked_did
from socdata.did.honest import rm_bias_bound
from tests.did.stacked_data import stacked_frame


@pytest.mark.parametrize("post", [[0], [1, 2, 3], [1, 2, 3, 4, 5, 6]])
def test_bias_bound_equals_linear_program(post):
    """max l' delta_post s.t. |delta_t - delta_{t-1}| <= 1 (Mbar m = 1), delta_{-1} = 0."""
    t_max = max(post)
    n = t_max + 1  # delta_0 .. delta_tmax
    a_ub, b_ub = [], []
    for t in range(n):
        row = np.zeros(n)
        row[t] = 1
        if t > 0:
            row[t - 1] = -1
        a_ub += [row, -row]
        b_ub += [1, 1]
    c = np.zeros(n)
    c[post] = -1 / len(post)
    lp = linprog(c, A_ub=np.array(a_ub), b_ub=b_ub, bounds=[(None, None)] * n)
    assert -lp.fun == pytest.approx(
        rm_bias_bound(np.array(post), np.full(len(post), 1 / len(post)))
    )


def _result():
    return stacked_did(
        stacked_frame(120, seed=21, effect=0.5, base=0.0),
        outcome="y",
        unit="person",
        time="month",
        index_time="index",
        matched_set="set",
        treated="treated",
        window=(-6, 6),
    )


def test_breakdown_is_where_the_robust_interval_reaches_zero():
    r = _result()
    h = honest_sensitivity(r, mbar=[0.0, 0.5])
    assert h.estimate < 0 and 0 < h.breakdown < np.inf
    at = honest_sensitivity(r, mbar=[h.breakdown * 0.999, h.breakdown * 1.001]).table
    assert at["conf_high"].iloc[0] < 0 <= at["conf_high"].iloc[1]
    # Mbar = 0: the robust interval is the estimate's 1 - alpha/2 interval
    row = h.table.iloc[0]
    assert row["conf_high"] - row["conf_low"] == pytest.approx(2 * 2.2414 * h.std_error, rel=1e-3)
    assert h.breakdown_identified > h.breakdown
    assert "Breakdown value" in h.summary()
    # default target: event times 1..6 (0 is excluded from the overall estimate)
    assert h.target.endswith("1..6")


def test_alpha_is_a_deprecated_alias_of_conf_level():
    """One keyword vocabulary: conf_level everywhere; alpha= warns and maps to 1 - alpha."""
    import warnings

    from socdata.errors import SocdataDeprecationWarning

    res = _result()
    new = honest_sensitivity(res, conf_level=0.9)
    with pytest.warns(SocdataDeprecationWarning, match="conf_level"):
        old = honest_sensitivity(res, alpha=0.1)
    pd.testing.assert_frame_equal(old.table, new.table)
    assert new.conf_level == 0.9
    with pytest.warns(SocdataDeprecationWarning):
        assert new.alpha == pytest.approx(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        honest_sensitivity(res)  # the default passes no deprecated name
