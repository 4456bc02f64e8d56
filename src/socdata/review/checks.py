"""Consistency checks of published figures, one pure function per rule.

Every check returns a :class:`Check` with a verdict from :data:`VERDICTS`, the printed and
the recomputed value as text, and an explanation that shows the arithmetic. The rules are
documented, with worked examples, in ``docs/explanation/review-checks.md``; each check
names its rule id (:data:`RULES`).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pandas as pd

from socdata.review._check import (
    RULES,
    VERDICTS,
    Check,
    _count,
    _dec,
    _ranges,
    possible_denominators,
    possible_numerators,
)
from socdata.review.checks_shares import (
    check_percentage,
    common_denominators,
    grim,
    percentage_granularity,
    rounded_denominator,
)
from socdata.review.checks_totals import check_overall, check_percent_total, check_sum
from socdata.review.errors import PublishedFiguresError
from socdata.review.rounding import fmt, to_fraction
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
            check = Check(
                "duplicate",
                "ok",
                printed,
                str(grp["value"].iloc[0]),
                f"Printed {len(grp)} times with the same value.",
            )
        else:
            check = Check(
                "duplicate",
                "inconsistent",
                printed,
                "one value",
                f"The same figure is printed with {len(vals)} different values: {printed}.",
            )
        out.append((str(k), check))
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
