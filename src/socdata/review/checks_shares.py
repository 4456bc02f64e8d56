"""Checks of printed percentages and means against whole counts (re-exported by
:mod:`socdata.review.checks`).

A percentage of whole people, or a mean of whole-number answers, can take only some values
once rounded: these checks say whether a printed figure is one of them, under the stated
rounding rule, and show the arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from socdata.review._check import (
    Check,
    _count,
    _dec,
    _decimals,
    _ranges,
    _rule_text,
    possible_denominators,
    possible_numerators,
)
from socdata.review.errors import PublishedFiguresError
from socdata.review.rounding import (
    ROUNDING_RULES,
    check_rounding,
    fmt,
    round_exact,
    round_share,
    rounding_interval,
    to_fraction,
)

__all__ = [
    "check_percentage",
    "common_denominators",
    "grim",
    "percentage_granularity",
    "rounded_denominator",
]


def check_percentage(
    numerator: int,
    denominator: int,
    printed_pct: Decimal | float | int | str,
    *,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> Check:
    """Check a printed percentage against its numerator and denominator.

    Parameters
    ----------
    numerator, denominator
        Whole counts (``0 <= numerator``, ``denominator > 0``).
    printed_pct
        The percentage as printed (``63``, ``"62.5"``).
    rounding
        ``"half_up"`` (default), ``"half_even"`` or ``"truncate"``.
    decimals
        Decimal places; ``None`` reads them from the printed value.

    Examples
    --------
    >>> check_percentage(10, 16, 63).verdict
    'ok'
    >>> check_percentage(10, 16, 63, rounding="half_even").verdict
    'inconsistent'
    """
    check_rounding(rounding)
    k = _count(numerator, "numerator")
    n = _count(denominator, "denominator", positive=True)
    p = _dec(printed_pct, "printed percentage")
    d = _decimals(p, decimals)
    exact = Fraction(100 * k, n)
    got = round_share(k, n, decimals=d, rounding=rounding)
    rule = _rule_text(rounding, d)
    head = f"{k}/{n} = {fmt(exact, d + 3)}%, which rounds ({rule}) to {fmt(got)}%"
    if got == to_fraction(p):
        return Check("percentage", "ok", f"{p}%", f"{fmt(got)}%", head + ".", n)
    other = [
        r
        for r in ROUNDING_RULES
        if r != rounding and round_share(k, n, decimals=d, rounding=r) == to_fraction(p)
    ]
    extra = ""
    if other:
        extra += f" {p}% is what {' or '.join(ROUNDING_RULES[r] for r in other)} gives."
    if k > n:
        extra += " The numerator exceeds the denominator."
    dens = possible_denominators(k, p, rounding=rounding, decimals=d, n_max=max(10 * n, 1000))
    if dens:
        extra += f" {k} is {p}% of n = {_ranges(dens[:20])}{' ...' if len(dens) > 20 else ''}."
    else:
        extra += f" No denominator makes {k} equal to {p}% under this rule."
    nums = possible_numerators(p, n, rounding=rounding, decimals=d)
    if nums:
        extra += f" Of {n}, {p}% would be {' or '.join(map(str, nums))}."
    else:
        extra += f" No whole number of {n} gives {p}%."
    return Check(
        "percentage", "inconsistent", f"{p}%", f"{fmt(got)}%", f"{head}, not {p}%." + extra, n
    )


def percentage_granularity(
    pct: Decimal | float | int | str,
    n: int,
    *,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> Check:
    """Can a printed percentage be a share of ``n`` people (some whole ``k`` out of ``n``)?

    Examples
    --------
    >>> percentage_granularity(63, 15).verdict
    'inconsistent'
    >>> percentage_granularity(87, 15).recomputed
    '13/15 = 86.67%'
    """
    check_rounding(rounding)
    p = _dec(pct, "percentage")
    n = _count(n, "n", positive=True)
    d = _decimals(p, decimals)
    nums = possible_numerators(p, n, rounding=rounding, decimals=d)
    rule = _rule_text(rounding, d)
    if nums:
        if len(nums) > 3:
            a, b = nums[0], nums[-1]
            rec = (
                f"{a}-{b} of {n} ({fmt(Fraction(100 * a, n), d + 2)}%-"
                f"{fmt(Fraction(100 * b, n), d + 2)}%)"
            )
        else:
            rec = ", ".join(f"{k}/{n} = {fmt(Fraction(100 * k, n), d + 2)}%" for k in nums)
        return Check(
            "granularity",
            "ok",
            f"{p}%",
            rec,
            f"{p}% of {n} can be {rec} ({rule}).",
            n,
        )
    exact = to_fraction(p) * n / 100
    below = max(0, math.floor(exact))
    near = sorted({min(max(below, 0), n), min(below + 1, n)})
    rec = ", ".join(f"{k}/{n} = {fmt(Fraction(100 * k, n), d + 2)}%" for k in near)
    other = [
        r
        for r in ROUNDING_RULES
        if r != rounding and possible_numerators(p, n, rounding=r, decimals=d)
    ]
    extra = f" It would fit under {' or '.join(other)}." if other else ""
    return Check(
        "granularity",
        "inconsistent",
        f"{p}%",
        rec,
        f"No whole number out of {n} gives {p}% ({rule}): the nearest are {rec}." + extra,
        n,
    )


def common_denominators(
    pcts: Iterable[Decimal | float | int | str],
    n_range: tuple[int, int] = (1, 200),
    *,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> pd.DataFrame:
    """For each n in ``n_range`` (inclusive), which of ``pcts`` it reproduces.

    Returns
    -------
    pandas.DataFrame
        One row per n: ``n``, ``reproduces_all`` (bool), ``n_reproduced``, ``not_reproduced``
        (the percentages no whole number of n gives, as text), then one column
        ``k_for_<pct>`` per percentage with the numerator(s) that reproduce it.

    Examples
    --------
    >>> t = common_denominators([63, 87, 75, 40, 56], (10, 60))
    >>> t.loc[t.n == 15, "not_reproduced"].item()
    '63, 75, 56'
    >>> t.loc[t.reproduces_all, "n"].tolist()
    [52]
    """
    check_rounding(rounding)
    ps = [_dec(p, "percentage") for p in pcts]
    if not ps:
        raise PublishedFiguresError("common_denominators needs at least one percentage")
    lo, hi = (_count(v, "n_range bound", positive=True) for v in n_range)
    if hi < lo:
        raise PublishedFiguresError(f"n_range must be (low, high) with low <= high, got {n_range}")
    rows = []
    for n in range(lo, hi + 1):
        ks = [possible_numerators(p, n, rounding=rounding, decimals=decimals) for p in ps]
        row: dict[str, object] = {
            "n": n,
            "reproduces_all": all(ks),
            "n_reproduced": sum(bool(k) for k in ks),
            "not_reproduced": ", ".join(str(p) for p, k in zip(ps, ks, strict=True) if not k),
        }
        for i, (p, k) in enumerate(zip(ps, ks, strict=True)):
            col = f"k_for_{p}" if f"k_for_{p}" not in row else f"k_for_{p}_{i}"
            row[col] = "/".join(map(str, k))
        rows.append(row)
    return pd.DataFrame(rows)


def rounded_denominator(
    pct: Decimal | float | int | str,
    n_printed: int,
    *,
    unit: int = 10,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> Check:
    """Check a percentage whose printed n is itself rounded (to the nearest ``unit``).

    "Around 250 young people" with ``unit=10`` stands for any n in 245-254 (half-up); the
    percentage is consistent when at least one of those n reproduces it.
    """
    check_rounding(rounding)
    n0 = _count(n_printed, "printed n", positive=True)
    u = _count(unit, "unit", positive=True)
    cands = [
        n
        for n in range(max(1, n0 - u), n0 + u + 1)
        if round_exact(Fraction(n, u), 0, "half_up") * u == n0
    ]
    ok = [n for n in cands if possible_numerators(pct, n, rounding=rounding, decimals=decimals)]
    p = _dec(pct, "percentage")
    span = f"{cands[0]}-{cands[-1]}" if cands else "none"
    if ok:
        return Check(
            "rounded_denominator",
            "ok",
            f"{p}% of ~{n0}",
            f"n in {_ranges(ok)}",
            f"n printed as {n0} (to the nearest {u}) stands for {span}; {p}% fits n = {_ranges(ok)}.",
        )
    return Check(
        "rounded_denominator",
        "inconsistent",
        f"{p}% of ~{n0}",
        "no n fits",
        f"n printed as {n0} (to the nearest {u}) stands for {span}; none gives {p}%.",
    )


def grim(
    mean: Decimal | float | int | str,
    n: int,
    *,
    decimals: int | None = None,
    items: int = 1,
    rounding: str = "half_up",
) -> Check:
    """GRIM test: can ``mean`` be the rounded mean of ``n`` whole numbers?

    The sum of n whole-number answers (``items`` questions each) is a whole number ``T``; the
    mean is ``T / (n * items)``. The printed mean is consistent when some ``T`` rounds to it.
    With 0 decimals and n >= 1 every whole-number mean passes (said so in the explanation).

    Examples
    --------
    >>> grim("5.19", 28).verdict
    'inconsistent'
    >>> grim("5.18", 28).verdict
    'ok'
    """
    check_rounding(rounding)
    m = _dec(mean, "mean")
    n = _count(n, "n", positive=True)
    q = _count(items, "items", positive=True)
    d = _decimals(m, decimals)
    N = n * q
    lo, hi, _, _ = rounding_interval(abs(m), d, rounding)
    cands = range(max(0, math.floor(lo * N) - 1), math.ceil(hi * N) + 2)
    target = to_fraction(abs(m))
    hits = [t for t in cands if round_exact(Fraction(t, N), d, rounding) == target]
    rule = _rule_text(rounding, d)
    note = (
        " (with means printed to whole numbers and n >= 1 the test cannot fail)"
        if d == 0 or Fraction(1, N) <= Fraction(1, 10**d)
        else ""
    )
    if hits:
        rec = ", ".join(f"{t}/{N} = {fmt(Fraction(t, N), d + 3)}" for t in hits[:3])
        return Check("grim", "ok", str(m), rec, f"{rec} rounds ({rule}) to {m}{note}.", n)
    near = [t for t in cands if t >= 0][:: max(1, len(cands) // 3)][:3]
    rec = ", ".join(f"{t}/{N} = {fmt(Fraction(t, N), d + 3)}" for t in near)
    return Check(
        "grim",
        "inconsistent",
        str(m),
        rec,
        f"No whole-number total over {N} gives a mean that rounds ({rule}) to {m}; nearby: {rec}.",
        n,
    )
