"""describe speaks the estimators' keyword vocabulary; old names warn for one release."""

from __future__ import annotations

import inspect
import warnings

import pandas as pd
import pytest

import socdata.describe as describe
from socdata.describe import case_files, engagement_outcomes, kaplan_meier, outcomes, police
from socdata.errors import ExcludedRowsWarning, SocdataDeprecationWarning

#: Names the estimators do not use for these ideas (issue 13's keyword drift).
OLD = {"alpha", "level", "id_col", "n_boot", "draws", "boot_weights", "random_state",
       "outcomes", "ci"}  # fmt: skip
MODULES = (describe, case_files, engagement_outcomes, kaplan_meier, outcomes, police)
PUBLIC = sorted(
    {
        getattr(m, n)
        for m in MODULES
        for n in getattr(m, "__all__", dir(m))
        if not n.startswith("_") and inspect.isfunction(getattr(m, n, None))
    },
    key=lambda f: f.__qualname__,
)


@pytest.mark.parametrize("fn", PUBLIC, ids=lambda f: f.__name__)
def test_no_old_keyword_names(fn):
    params = set(inspect.signature(fn).parameters)
    assert not params & OLD, f"{fn.__name__} takes {params & OLD}"


def _df():
    return pd.DataFrame({"o": ["Yes"] * 7 + ["No"] * 5})


def test_outcome_percentages_old_names_warn_and_give_the_same_result():
    new = outcomes.outcome_percentages(_df(), outcome="o", inference="exact")
    with pytest.warns(SocdataDeprecationWarning, match=r"outcomes= is deprecated.*use outcome="):
        old = outcomes.outcome_percentages(_df(), outcomes=["o"], inference="exact")
    pd.testing.assert_frame_equal(new.tidy(), old.tidy())
    with pytest.warns(SocdataDeprecationWarning, match=r"ci= is deprecated.*use inference="):
        old = outcomes.outcome_percentages(_df(), outcome="o", ci="exact")
    pd.testing.assert_frame_equal(new.tidy(), old.tidy())
    assert new.inference == "exact" and new.conf_level == 0.95
    with pytest.warns(SocdataDeprecationWarning, match=r"OutcomeResult\.ci .*inference"):
        assert new.ci == "exact"
    with pytest.warns(SocdataDeprecationWarning, match=r"OutcomeResult\.level .*conf_level"):
        assert new.level == 0.95


def test_kaplan_meier_result_level_attribute_warns():
    data = pd.DataFrame(
        {
            "person_id": ["a", "b", "c"],
            "referral_id": ["r1", "r2", "r3"],
            "area": "Cardiff",
            "referral_date": pd.to_datetime(["2021-01-01"] * 3),
            "closure_date": pd.to_datetime(["2021-03-01", "2021-05-01", None]),
            "case_status": ["Closed", "Closed", "Open"],
            "extract_date": pd.Timestamp("2021-12-31"),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = kaplan_meier.km_median_duration(data, conf_level=0.9)
    assert res.conf_level == 0.9
    with pytest.warns(SocdataDeprecationWarning, match="conf_level"):
        assert res.level == 0.9
