"""Hand-worked and property-based tests of the checks in :mod:`socdata.review`.

The reference for rounding is Python's :mod:`decimal` module (``quantize`` with
ROUND_HALF_UP / ROUND_HALF_EVEN / ROUND_DOWN), independent of the package's Fraction code;
the reference for "can p% be a share of n" is a brute-force loop over every k in 0..n.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from socdata.errors import SocdataError
from socdata.review import (
    PublishedFiguresError,
    check_bound,
    check_fraction_word,
    check_overall,
    check_percent_total,
    check_percentage,
    check_range,
    check_sum,
    common_denominators,
    duplicate_figures,
    fraction_word_for,
    grim,
    percentage_granularity,
    possible_denominators,
    possible_numerators,
    round_share,
    rounded_denominator,
    word_interval,
)

DEC = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "truncate": ROUND_DOWN}
RULES = list(DEC)


def ref_pct(k: int, n: int, rule: str, decimals: int = 0) -> Decimal:
    """Independent reference: decimal arithmetic with 50 digits, then quantize."""
    from decimal import localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(100 * k) / Decimal(n)
        return exact.quantize(Decimal(1).scaleb(-decimals), rounding=DEC[rule])


def ref_possible(p: Decimal, n: int, rule: str, decimals: int = 0) -> list[int]:
    return [k for k in range(n + 1) if ref_pct(k, n, rule, decimals) == p]


# ---------------------------------------------------------------- rounding and percentages


@pytest.mark.parametrize(
    ("k", "n", "rule", "expected"),
    [
        (10, 16, "half_up", 63),  # 62.5 -> 63
        (10, 16, "half_even", 62),  # 62.5 -> 62
        (10, 16, "truncate", 62),
        (6, 16, "half_up", 38),  # 37.5 -> 38
        (6, 16, "half_even", 38),  # 37.5 -> 38 (8 is even)
        (2, 3, "truncate", 66),
        (2, 3, "half_up", 67),
        (1, 40, "half_even", 2),  # 2.5 -> 2
        (1, 40, "half_up", 3),
    ],
)
def test_round_share_ties(k, n, rule, expected):
    assert round_share(k, n, rounding=rule) == expected
    assert ref_pct(k, n, rule) == expected


def test_one_decimal_place():
    # 1/8 = 12.5% exactly; 1/7 = 14.2857% -> 14.3
    assert check_percentage(1, 7, "14.3").verdict == "ok"
    assert check_percentage(1, 7, "14.2").verdict == "inconsistent"
    assert check_percentage(1, 7, 14.3, decimals=1).verdict == "ok"
    assert check_percentage(1, 16, "6.3").verdict == "ok"  # 6.25 half-up
    assert check_percentage(1, 16, "6.2", rounding="half_even").verdict == "ok"


def test_check_percentage_published_cases():
    # section 5.1 closed: 23/30 = 76.67% -> 77
    assert check_percentage(23, 30, 77).verdict == "ok"
    # custody 6 of the 16 'other' closures: 37.5% -> 38 under both half rules
    assert check_percentage(6, 16, 38).verdict == "ok"
    assert check_percentage(6, 16, 38, rounding="half_even").verdict == "ok"
    # 5.1 open: 13 of 18 = 72.2%, and no n at all makes 13 equal 82%
    c = check_percentage(13, 18, 82)
    assert c.verdict == "inconsistent"
    assert c.recomputed == "72%"
    assert "No denominator" in c.explanation
    # 10 of 18 printed as 63%: 10/16 = 62.5% would give it
    c = check_percentage(10, 18, 63)
    assert c.verdict == "inconsistent" and "n = 16" in c.explanation
    # a tie decided the other way is named in the explanation
    c = check_percentage(10, 16, 63, rounding="half_even")
    assert c.verdict == "inconsistent" and "half up" in c.explanation


def test_check_percentage_bad_input():
    with pytest.raises(PublishedFiguresError, match="denominator"):
        check_percentage(1, 0, 5)
    with pytest.raises(PublishedFiguresError, match="whole number"):
        check_percentage(1.5, 3, 50)
    with pytest.raises(PublishedFiguresError, match="rounding rule"):
        check_percentage(1, 3, 33, rounding="bankers")
    with pytest.raises(SocdataError, match="number"):
        check_percentage(1, 3, "abc")


def test_granularity_flintshire():
    # 63% of 15: 9/15 = 60%, 10/15 = 66.7%
    c = percentage_granularity(63, 15)
    assert c.verdict == "inconsistent"
    assert "9/15 = 60%" in c.recomputed and "10/15 = 66.67%" in c.recomputed
    assert percentage_granularity(87, 15).verdict == "ok"
    assert percentage_granularity(40, 15).verdict == "ok"
    for p in (75, 56, 94, 57, 17, 62):
        assert percentage_granularity(p, 15).verdict == "inconsistent", p


def test_granularity_dundee_and_truncation():
    # Dundee 66% male of 10: impossible half-up; 2/3 truncates to 66 with n = 3, 6, 9
    assert percentage_granularity(66, 10).verdict == "inconsistent"
    assert possible_numerators(66, 9, rounding="truncate") == [6]
    assert possible_numerators(66, 9) == []
    assert min(possible_denominators(2, 66, rounding="truncate")) == 3


def test_common_denominators_matches_brute_force():
    pcts = [63, 87, 75, 40, 56]
    t = common_denominators(pcts, (1, 120))
    for n in range(1, 121):
        ok = all(ref_possible(Decimal(p), n, "half_up") for p in pcts)
        assert bool(t.loc[t.n == n, "reproduces_all"].item()) == ok, n
    assert t.loc[t.reproduces_all, "n"].min() == 52
    assert t.loc[t.n == 15, "not_reproduced"].item() == "63, 75, 56"
    assert t.loc[t.n == 16, "k_for_63"].item() == "10"


def test_rounded_denominator():
    # "around 20" (to the nearest 10) stands for 15-24; 63% fits 19 (12/19 = 63.2%)
    c = rounded_denominator(63, 20, unit=10)
    assert c.verdict == "ok" and "19" in c.recomputed
    # "around 10" stands for 5-14; 94% needs 15/16, 16/17 ... -> none of 5-14
    assert rounded_denominator(94, 10, unit=10).verdict == "inconsistent"


# ---------------------------------------------------------------- GRIM


def test_grim_hand_worked():
    # 28 whole numbers: totals 145 and 146 give 5.1786 -> 5.18 and 5.2143 -> 5.21,
    # so 5.19 and 5.20 are impossible
    assert grim("5.19", 28).verdict == "inconsistent"
    assert grim("5.20", 28).verdict == "inconsistent"
    assert grim("5.18", 28).verdict == "ok"
    assert grim("5.21", 28).verdict == "ok"
    # with 2 items per person the granularity is 1/56: 291/56 = 5.1964 -> 5.20
    assert grim("5.20", 28, items=2).verdict == "ok"
    assert grim("5.19", 28, items=2).verdict == "inconsistent"
    # whole-number means can always be reached
    c = grim(16, 84)
    assert c.verdict == "ok" and "cannot fail" in c.explanation


@settings(max_examples=150, deadline=None)
@given(
    data=st.lists(st.integers(0, 20), min_size=1, max_size=40),
    rule=st.sampled_from(["half_up", "half_even"]),
)
def test_grim_property_true_means_pass(data, rule):
    n = len(data)
    mean = Decimal(sum(data)) / Decimal(n)
    printed = mean.quantize(Decimal("0.01"), rounding=DEC[rule])
    assert grim(printed, n, rounding=rule).verdict == "ok"


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 60), cents=st.integers(0, 2000))
def test_grim_property_matches_brute_force(n, cents):
    printed = Decimal(cents) / 100
    possible = any(
        (Decimal(t) / Decimal(n)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) == printed
        for t in range(0, 21 * n + 1)
    )
    assert (grim(printed.quantize(Decimal("0.01")), n).verdict == "ok") == possible


# ---------------------------------------------------------------- sums and totals


def test_check_sum():
    assert check_sum([154, 28, 16, 12, 5, 8], 222).verdict == "inconsistent"
    c = check_sum([154, 28, 16, 12, 5, 8], 222)
    assert c.recomputed == "223" and "+1" in c.explanation
    assert check_sum([3, 1, 0, 1], 5).verdict == "ok"
    # counts rounded to 5 by disclosure control: 3 parts can be off by < 7.5
    assert check_sum([10, 20, 5], 40, parts_rounded=True, unit=5).verdict == "rounding"
    assert check_sum([10, 20, 5], 45, parts_rounded=True, unit=5).verdict == "inconsistent"


def test_percent_total_hand_worked():
    # Table 4 Edinburgh referral sources: each part right, the sum 101 is rounding
    edinburgh = [66, 16, 2, 5, 0, 3, 7, 2]
    assert check_percent_total(edinburgh).verdict == "rounding"
    c = check_percent_total(edinburgh, printed_total=101)
    assert c.verdict == "rounding" and "97.5" in c.explanation
    assert check_percent_total(edinburgh, printed_total=100).verdict == "ok"
    assert check_percent_total(edinburgh, printed_total=102).verdict == "inconsistent"
    # Table 4 overall case status mixes bases: 106 cannot be rounding of 5 parts
    c = check_percent_total([37, 63, 2, 4, 0])
    assert c.verdict == "inconsistent" and "104" in c.explanation
    assert check_percent_total([35, 18, 12, 35]).verdict == "ok"
    # truncation can only lose: parts summing to 101 are impossible
    assert check_percent_total([50, 51], rounding="truncate").verdict == "inconsistent"
    assert check_percent_total([49, 50], rounding="truncate").verdict == "rounding"


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(0, 60), min_size=2, max_size=9).filter(lambda c: sum(c) > 0),
    rule=st.sampled_from(RULES),
)
def test_percent_total_property(counts, rule):
    n = sum(counts)
    pcts = [ref_pct(k, n, rule) for k in counts]
    assert check_percent_total(pcts, rounding=rule).verdict in ("ok", "rounding")


def test_check_overall():
    assert check_overall({"C": 42, "E": 38, "N": 11, "D": 5}, 96).verdict == "ok"
    assert check_overall({"C": 42, "E": 38, "N": 11, "D": 5}, 97).verdict == "inconsistent"
    assert check_overall({"C": 11, "E": 13, "N": 11}, 11, measure="min").verdict == "ok"
    assert check_overall({"C": 11, "E": 13, "N": 11}, 13, measure="min").verdict == "inconsistent"
    w = {"C": 84, "E": 58, "N": 71}
    assert check_overall({"C": 16, "E": 15, "N": 14}, 15, measure="mean", weights=w).ok
    # feasible overall mean is [14.56, 15.56): 16 ([15.5, 16.5)) just fits, 17 cannot
    assert check_overall({"C": 16, "E": 15, "N": 14}, 16, measure="mean", weights=w).ok
    bad = check_overall({"C": 16, "E": 15, "N": 14}, 17, measure="mean", weights=w)
    assert bad.verdict == "inconsistent"
    # Table 3 % male: the overall 94% needs Dundee 7 or 8 males of 10, not 66%
    w4 = {"C": 84, "E": 58, "N": 71, "D": 10}
    c = check_overall({"C": 92, "E": 100, "N": 94, "D": 66}, 94, measure="pct", weights=w4)
    assert c.verdict == "ok" and "D = 7-8 of 10" in c.explanation
    # brute force of the same: every (c, e, nw, d) giving the printed area %s
    totals = {
        a + b + x + d
        for a in ref_possible(Decimal(92), 84, "half_up")
        for b in ref_possible(Decimal(100), 58, "half_up")
        for x in ref_possible(Decimal(94), 71, "half_up")
        for d in range(11)
    }
    ref_ok = any(ref_pct(t, 223, "half_up") == 94 for t in totals)
    assert ref_ok
    no_n = check_overall({"C": 16, "E": 15}, 15, measure="mean")
    assert no_n.verdict == "cannot check"


def test_check_whole_count():
    from socdata.review import check_whole_count

    assert check_whole_count("14.5").verdict == "inconsistent"
    assert check_whole_count(15).verdict == "ok"


def test_check_range_and_bound():
    assert check_range(11, 16, 18).verdict == "ok"
    assert check_range(11, 19, 18).verdict == "inconsistent"
    c = check_bound(30, 57 - 31, "closed 57 - declined 31")
    assert c.verdict == "inconsistent" and "by 4" in c.explanation


def test_duplicate_figures():
    f = pd.DataFrame(
        {
            "key": ["engaged", "engaged", "engaged", "age"],
            "value": ["223", "248", "223", "15"],
            "locator": ["line 522", "line 185", "line 791", "line 800"],
        }
    )
    out = dict(duplicate_figures(f))
    assert out["engaged"].verdict == "inconsistent"
    assert "248" in out["engaged"].printed
    assert "age" not in out  # printed once: nothing to compare
    same = pd.DataFrame(
        {"key": ["w", "w"], "value": ["Two-thirds", "two thirds"], "locator": ["a", "b"]}
    )
    assert dict(duplicate_figures(same))["w"].verdict == "ok"


# ---------------------------------------------------------------- fraction words


@pytest.mark.parametrize(
    ("word", "k", "n", "verdict"),
    [
        ("Two-thirds", 20, 30, "ok"),
        ("Two-thirds", 19, 30, "inconsistent"),  # 63.3%: 3.3 points short
        ("two thirds", 11, 16, "ok"),  # 68.75%
        ("Over two-thirds", 11, 16, "ok"),
        ("Over two-thirds", 11, 18, "inconsistent"),
        ("Over two-thirds", 10, 15, "inconsistent"),  # exactly 2/3 is not over
        ("Two-fifths", 12, 30, "ok"),
        ("Most", 16, 18, "ok"),
        ("Most", 9, 18, "inconsistent"),  # exactly half is not most
        ("the majority", 10, 19, "ok"),
        ("just over half", 71, 133, "ok"),  # 53.4%
        ("just over half", 80, 133, "inconsistent"),  # 60.2%
        ("three quarters", 3, 4, "ok"),
        ("Around half", 110, 248, "ok"),  # 44.4% is within 5 points? no: 5.6 -> below
        ("Over 70%", 134, 190, "ok"),  # 70.5%
        ("Over 70%", 133, 190, "inconsistent"),  # 70.0% is not over
        ("many", 5, 10, "cannot check"),
    ],
)
def test_fraction_words(word, k, n, verdict):
    if word == "Around half":
        verdict = "inconsistent"  # 44.35% is 5.65 points from 50
    assert check_fraction_word(word, k, n).verdict == verdict


def test_fraction_word_without_counts():
    assert check_fraction_word("Two-thirds", None, 30).verdict == "ok"
    assert check_fraction_word("Two-thirds", None, None).verdict == "cannot check"
    # with 5 cases nothing is within 2.5 points of two-thirds (60% or 80%)
    assert check_fraction_word("two-thirds", None, 5).verdict == "inconsistent"


def test_word_interval_rule_text():
    m = word_interval("Two-thirds")
    assert m.interval_text() == "[64.17%, 69.17%]"
    assert word_interval("unheard-of phrase") is None


@pytest.mark.parametrize(
    ("k", "n", "word"),
    [(20, 30, "two-thirds"), (19, 30, None), (12, 30, "two-fifths"), (15, 30, "half"),
     (30, 30, "all"), (0, 7, "none"), (3, 4, "three quarters"), (11, 16, "two-thirds"),
     (1, 5, "a fifth"), (16, 18, None)],
)  # fmt: skip
def test_fraction_word_for(k, n, word):
    assert fraction_word_for(k, n) == word


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 300), data=st.data())
def test_fraction_word_for_is_always_true(n, data):
    k = data.draw(st.integers(0, n))
    w = fraction_word_for(k, n)
    if w is None:
        share = Fraction(100 * k, n)
        assert all(
            abs(share - v) > Fraction(5, 2)
            for v in (Fraction(10), Fraction(20), Fraction(25), Fraction(100, 3), Fraction(40),
                      Fraction(50), Fraction(60), Fraction(200, 3), Fraction(75), Fraction(80))
        ) and 0 < k < n  # fmt: skip
    else:
        assert check_fraction_word(w, k, n).verdict == "ok"


def test_fraction_word_for_rejects_bad_counts():
    with pytest.raises(ValueError, match=r"numerator <= denominator .* got 5/4"):
        fraction_word_for(5, 4)
    with pytest.raises(ValueError, match="got -1/4"):
        fraction_word_for(-1, 4)
    with pytest.raises(ValueError, match="got 1/0"):
        fraction_word_for(1, 0)


# ---------------------------------------------------------------- property tests


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 400),
    data=st.data(),
    rule=st.sampled_from(RULES),
    decimals=st.sampled_from([0, 1]),
)
def test_any_percentage_from_integers_passes(n, data, rule, decimals):
    k = data.draw(st.integers(0, n))
    printed = ref_pct(k, n, rule, decimals)
    assert check_percentage(k, n, printed, rounding=rule).verdict == "ok"
    assert percentage_granularity(printed, n, rounding=rule).verdict == "ok"
    assert k in possible_numerators(printed, n, rounding=rule)


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 400),
    data=st.data(),
    rule=st.sampled_from(RULES),
    shift=st.sampled_from([-2, -1, 1, 2]),
)
def test_perturbed_percentage_is_flagged(n, data, rule, shift):
    k = data.draw(st.integers(0, n))
    printed = ref_pct(k, n, rule) + shift
    assume(0 <= printed <= 100)  # an out-of-range draw is discarded, not counted as a pass
    assert check_percentage(k, n, printed, rounding=rule).verdict == "inconsistent"
    # granularity agrees with the brute-force reference either way
    expected = "ok" if ref_possible(printed, n, rule) else "inconsistent"
    assert percentage_granularity(printed, n, rounding=rule).verdict == expected


@settings(max_examples=200, deadline=None)
@given(p=st.integers(0, 100), n=st.integers(1, 250), rule=st.sampled_from(RULES))
def test_possible_numerators_matches_brute_force(p, n, rule):
    assert possible_numerators(p, n, rounding=rule) == ref_possible(Decimal(p), n, rule)
