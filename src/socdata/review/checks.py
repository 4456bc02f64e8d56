"""Consistency checks of published figures, one pure function per rule.

Every check returns a :class:`Check` with a verdict from :data:`VERDICTS`, the printed and
the recomputed value as text, and an explanation that shows the arithmetic. The rules are
documented, with worked examples, in ``docs/explanation/review-checks.md``; each check
names its rule id (:data:`RULES`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from socdata.review._check import (
    RULES,
    VERDICTS,
    Check,
    _count,
    _dec,
    _decimals,
    _ranges,
    _rule_text,
    possible_denominators,
    possible_numerators,
)
from socdata.review.checks_totals import check_overall, check_percent_total, check_sum
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
from socdata.words import VAGUE, normalise_phrase, word_interval

__all__ = [
    "RULES",
    "VERDICTS",
    "Check",
    "check_bound",
    "check_fraction_word",
    "check_overall",
    "check_percent_total",
    "check_percentage",
    "check_range",
    "check_sum",
    "check_whole_count",
    "common_denominators",
    "duplicate_figures",
    "grim",
    "percentage_granularity",
    "possible_denominators",
    "possible_numerators",
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


def check_fraction_word(word: str, numerator: int | None, denominator: int | None) -> Check:
    """Is a fraction word ("two-thirds", "most", "over 70%") true of ``numerator/denominator``?

    With only a denominator, the check asks whether *any* whole count out of it fits the
    word. With neither, it cannot check.

    Examples
    --------
    >>> check_fraction_word("Two-thirds", 19, 30).verdict
    'inconsistent'
    >>> check_fraction_word("Over two-thirds", 11, 16).verdict
    'ok'
    """
    meaning = word_interval(word)
    if meaning is None:
        why = (
            "has no agreed numerical meaning"
            if normalise_phrase(word) in VAGUE
            else "is not in the fraction-word vocabulary (socdata.words)"
        )
        return Check("fraction_word", "cannot check", word, "", f'"{word}" {why}.')
    if denominator is None:
        return Check(
            "fraction_word",
            "cannot check",
            word,
            "",
            f'No count or base is printed for "{word}" ({meaning.rule}).',
        )
    n = _count(denominator, "denominator", positive=True)
    if numerator is None:
        ks = [k for k in range(n + 1) if meaning.contains(Fraction(100 * k, n))]
        if ks:
            return Check(
                "fraction_word",
                "ok",
                word,
                f"{_ranges(ks)} of {n}",
                f"{meaning.rule}; {_ranges(ks)} of {n} would fit.",
                n,
            )
        return Check(
            "fraction_word",
            "inconsistent",
            word,
            f"no k of {n}",
            f"{meaning.rule}; no whole number out of {n} fits.",
            n,
        )
    k = _count(numerator, "numerator")
    share = Fraction(100 * k, n)
    rec = f"{k}/{n} = {fmt(share, 2)}%"
    if meaning.contains(share):
        return Check("fraction_word", "ok", word, rec, f"{rec}; {meaning.rule}.", n)
    ks = [j for j in range(n + 1) if meaning.contains(Fraction(100 * j, n))]
    alt = f" Of {n}, it would need {_ranges(ks)}." if ks else f" No count out of {n} fits."
    return Check(
        "fraction_word",
        "inconsistent",
        word,
        rec,
        f'{rec} is not "{word}": {meaning.rule}.{alt}',
        n,
    )


def _norm_value(v: str) -> str:
    num = None
    try:
        num = Decimal(str(v).replace(",", "").strip().rstrip("%"))
    except Exception:
        num = None
    return str(num.normalize()) if num is not None else normalise_phrase(str(v))


def duplicate_figures(figures: pd.DataFrame, *, key: str = "key") -> list[tuple[str, Check]]:
    """Figures that share a ``key`` must have one value.

    Parameters
    ----------
    figures
        A frame with columns ``key``, ``value``, ``locator`` and (optionally) ``source``.

    Returns
    -------
    list of (key, Check)
        One check per key printed more than once: ``ok`` when every value agrees (numbers
        compared as numbers, words case- and hyphen-insensitively), else ``inconsistent``
        listing each value with where it is printed.
    """
    need = {key, "value", "locator"}
    if not need <= set(figures.columns):
        raise PublishedFiguresError(
            f"duplicate_figures needs columns {sorted(need)}; got {list(figures.columns)}"
        )
    out = []
    for k, grp in figures.groupby(key, sort=False):
        if len(grp) < 2:
            continue
        where = []
        for r in grp.itertuples(index=False):
            src = f"{r.source}, " if "source" in grp.columns else ""
            where.append(f"{r.value} ({src}{r.locator})")
        vals = {_norm_value(v) for v in grp["value"]}
        printed = " | ".join(where)
        if len(vals) == 1:
            out.append(
                (
                    str(k),
                    Check(
                        "duplicate",
                        "ok",
                        printed,
                        str(grp["value"].iloc[0]),
                        f"Printed {len(grp)} times with the same value.",
                    ),
                )
            )
        else:
            out.append(
                (
                    str(k),
                    Check(
                        "duplicate",
                        "inconsistent",
                        printed,
                        "one value",
                        f"The same figure is printed with {len(vals)} different values: {printed}.",
                    ),
                )
            )
    return out


def check_bound(value: int | float | Decimal, bound: int | float | Decimal, how: str) -> Check:
    """A count must not exceed the room other printed counts leave (``how`` says which)."""
    v = to_fraction(_dec(value, "value"))
    b = to_fraction(_dec(bound, "bound"))
    if v <= b:
        return Check("bound", "ok", fmt(v), f"<= {fmt(b)}", f"{fmt(v)} <= {how} = {fmt(b)}.")
    return Check(
        "bound",
        "inconsistent",
        fmt(v),
        f"<= {fmt(b)}",
        f"{fmt(v)} exceeds {how} = {fmt(b)} by {fmt(v - b)}.",
    )


def check_whole_count(value: object) -> Check:
    """A printed count (measure ``n``) must be a whole number."""
    v = _dec(value, "count")
    if v == v.to_integral_value() and v >= 0:
        return Check("whole_count", "ok", str(v), str(v), f"{v} is a whole number.")
    return Check(
        "whole_count",
        "inconsistent",
        str(v),
        "a whole number",
        f"A count cannot be {v}: counts of people or cases are whole numbers "
        "(a lost % sign or decimal point?).",
    )


def check_range(low: object, mean: object, high: object) -> Check:
    """``min <= mean <= max``."""
    lo, m, hi = (_dec(x, w) for x, w in ((low, "min"), (mean, "mean"), (high, "max")))
    ok = lo <= m <= hi
    return Check(
        "range",
        "ok" if ok else "inconsistent",
        str(m),
        f"[{lo}, {hi}]",
        f"min {lo} <= mean {m} <= max {hi}" + ("." if ok else " fails."),
    )
