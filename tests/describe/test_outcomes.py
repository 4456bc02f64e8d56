"""Outcome percentages: intervals against statsmodels and hand formulas, rounding, words."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from socdata.describe.outcomes import (
    exact_interval,
    fraction_word,
    outcome_percentages,
    round_half_up,
    wilson_interval,
)
from socdata.errors import SocdataError
from socdata.results import TIDY_COLUMNS

CASES = [(0, 5), (1, 5), (5, 5), (23, 30), (19, 30), (10, 16), (13, 16), (1, 1), (7, 223)]


@pytest.mark.reference
@pytest.mark.parametrize(("k", "n"), CASES)
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_wilson_matches_statsmodels(k, n, level):
    lo, hi = wilson_interval(k, n, level)
    ref = proportion_confint(k, n, alpha=1 - level, method="wilson")
    np.testing.assert_allclose([lo, hi], ref, rtol=0, atol=1e-12)


@pytest.mark.reference
@pytest.mark.parametrize(("k", "n"), CASES)
def test_exact_matches_statsmodels_beta(k, n):
    lo, hi = exact_interval(k, n, 0.95)
    ref = proportion_confint(k, n, alpha=0.05, method="beta")
    np.testing.assert_allclose([lo, hi], ref, rtol=0, atol=1e-10)


def test_wilson_hand_formula_23_of_30():
    z = 1.959963984540054
    p, n = 23 / 30, 30
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo, hi = wilson_interval(23, 30)
    assert float(lo) == pytest.approx(centre - half, abs=1e-12)
    assert float(hi) == pytest.approx(centre + half, abs=1e-12)


def test_exact_hand_edge_all_successes():
    # Clopper-Pearson with k = n: lower = (alpha/2)^(1/n), upper = 1
    lo, hi = exact_interval(5, 5, 0.95)
    assert float(lo) == pytest.approx(0.025 ** (1 / 5), abs=1e-12)
    assert float(hi) == 1.0


@pytest.mark.parametrize(
    ("x", "want"), [(62.5, 63), (2.5, 3), (37.5, 38), (52.5, 53), (81.25, 81), (0.45, 0), (7.5, 8)]
)
def test_round_half_up(x, want):
    assert round_half_up(x) == want


@pytest.mark.parametrize(
    ("k", "n", "word"),
    [
        (20, 30, "two-thirds"),
        (19, 30, None),
        (12, 30, "two-fifths"),
        # socdata.words: a bare fraction is true within 2.5 points of its value
        (11, 16, "two-thirds"),  # 68.75%: 2.08 points from 66.67%
        (7, 10, None),  # 70%: 3.33 points from two-thirds, 5 from three quarters
        (23, 30, "three quarters"),  # 76.67%: 1.67 points from 75%
        (8, 16, "half"),
        (16, 16, "all"),
        (0, 4, "none"),
    ],
)
def test_fraction_word_only_when_true(k, n, word):
    assert fraction_word(k, n) == word


def _cardiff_open():
    # 18 open cases: 16 with outcomes recorded, 2 not recorded
    return pd.DataFrame(
        {
            "area": ["Cardiff"] * 18,
            "outcome_reduced_offending": ["Yes"] * 13 + ["No"] * 3 + ["Not recorded"] * 2,
            "outcome_reduced_exploitation": ["Yes"] * 10 + ["No"] * 6 + [None] * 2,
        }
    )


def test_denominator_rule_is_explicit():
    df = _cardiff_open()
    before = df.copy()
    rec = outcome_percentages(
        df, outcome=["outcome_reduced_offending", "outcome_reduced_exploitation"], by="area"
    )
    t = rec.table.set_index("outcome")
    assert t.loc["outcome_reduced_offending", "denominator"] == 16
    assert t.loc["outcome_reduced_offending", "pct"] == 81  # 13/16 = 81.25
    assert t.loc["outcome_reduced_exploitation", "pct"] == 63  # 10/16 = 62.5 half-up
    assert t.loc["outcome_reduced_exploitation", "n_not_recorded"] == 2
    allc = outcome_percentages(df, outcome="outcome_reduced_offending", denominator="all")
    assert allc.table["denominator"].iloc[0] == 18
    assert allc.table["pct"].iloc[0] == 72  # 13/18 = 72.2
    pd.testing.assert_frame_equal(df, before)  # input not mutated


def test_tidy_columns_and_no_person_rows():
    r = outcome_percentages(_cardiff_open(), outcome="outcome_reduced_offending", inference="exact")
    tidy = r.tidy()
    assert list(tidy.columns[:9]) == list(TIDY_COLUMNS)
    assert "Clopper-Pearson" in tidy["ci_type"].iloc[0]
    # the numbers, not just the columns: 13 of the 16 recorded, interval from statsmodels
    row = tidy.iloc[0]
    assert (row["numerator"], row["denominator"], row["n"]) == (13, 16, 16)
    assert row["estimate"] == pytest.approx(13 / 16, abs=1e-15)
    ref = proportion_confint(13, 16, alpha=0.05, method="beta")
    np.testing.assert_allclose([row["conf_low"], row["conf_high"]], ref, rtol=0, atol=1e-10)
    assert {"numerator", "denominator", "pct", "fraction_word"} <= set(tidy.columns)
    assert len(pickle.dumps(r)) < 20_000
    assert "cases with the outcome recorded" in r.summary()


def test_bad_inputs_raise_clear_errors():
    df = pd.DataFrame({"o": ["Yes", "maybe"]})
    with pytest.raises(SocdataError, match="'maybe'"):
        outcome_percentages(df, outcome="o")
    with pytest.raises(SocdataError, match="denominator"):
        outcome_percentages(df, outcome="o", denominator="some")
    with pytest.raises(SocdataError, match="not in data"):
        outcome_percentages(df, outcome="nope")


def test_wilson_coverage_simulation():
    rng = np.random.default_rng(1)
    n, p, reps = 30, 0.7, 4000
    k = rng.binomial(n, p, size=reps)
    lo, hi = wilson_interval(k, np.full(reps, n))
    cover = np.mean((lo <= p) & (p <= hi))
    assert 0.92 < cover < 0.98
    # exact coverage, brute force over every k = 0..n with binomial probabilities
    # (and the interval written out by hand): the simulated share must be near it
    z = 1.959963984540054
    pmf = np.array([math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(n + 1)])
    covered = np.zeros(n + 1, dtype=bool)
    for j in range(n + 1):
        ph = j / n
        centre = (ph + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n))
        covered[j] = centre - half <= p <= centre + half
        lo_j, hi_j = wilson_interval(j, n)
        assert (lo_j <= p <= hi_j) == covered[j], j
    exact_cover = float(pmf @ covered)
    assert abs(cover - exact_cover) < 4 * math.sqrt(exact_cover * (1 - exact_cover) / reps)


def test_groups_and_missing_group_counted():
    from socdata.errors import ExcludedRowsWarning

    df = pd.DataFrame(
        {
            "area": ["Cardiff", "Cardiff", "Flintshire", None],
            "case_status": ["Open", "Closed", "Open", "Open"],
            "o": ["Yes", "No", "Yes", "Yes"],
        }
    )
    with pytest.warns(ExcludedRowsWarning, match="1 row"):
        r = outcome_percentages(df, outcome="o", by=["area", "case_status"])
    assert set(r.table["group"]) == {"Cardiff / Closed", "Cardiff / Open", "Flintshire / Open"}
    step = r.provenance.flow.steps[0]
    assert (step.n_in, step.n_out) == (4, 3)
