"""Verdicts, rule ids and the :class:`Check` record of the review checks, with the shared
number helpers (see :mod:`socdata.review.checks`)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from decimal import Decimal

from socdata.review.errors import PublishedFiguresError
from socdata.review.rounding import (
    ROUNDING_RULES,
    check_rounding,
    printed_decimals,
    round_share,
    rounding_interval,
    to_fraction,
)

#: The four verdicts, declared once.
VERDICTS: tuple[str, ...] = ("ok", "inconsistent", "rounding", "cannot check")

#: Rule ids -> one-line statement (the docs page has one section per rule).
RULES: dict[str, str] = {
    "percentage": "a percentage equals 100 x numerator / denominator, rounded by the stated rule",
    "granularity": "a percentage of n people must equal 100 k / n, rounded, for some whole k in 0..n",
    "common_denominator": "percentages said to share one n must all be reproducible with that n",
    "rounded_denominator": "a rounded n stands for a range of n; the percentage must fit one of them",
    "grim": "a mean of n whole numbers is a whole number divided by n (GRIM test)",
    "sum": "parts add up to their printed total",
    "percent_total": "percentages of one partition add to 100, within what rounding of each part allows",
    "overall": "an Overall column agrees with its areas (sum, min, max, weighted mean or share)",
    "fraction_word": "a fraction word must be true of the exact share (vocabulary in socdata.words)",
    "duplicate": "a figure printed in two places has one value",
    "bound": "a count cannot exceed what other printed counts leave room for",
    "range": "min <= mean <= max",
    "whole_count": "a count of people or cases is a whole number",
    "none": "no check applies to this figure",
}


@dataclasses.dataclass(frozen=True)
class Check:
    """Outcome of one check.

    Attributes
    ----------
    check
        Rule id (a key of :data:`RULES`).
    verdict
        One of :data:`VERDICTS`.
    printed
        The printed figure(s) the check is about, as text.
    recomputed
        What the arithmetic gives, as text.
    explanation
        The arithmetic in words.
    denominator
        The denominator used, when there is one.
    """

    check: str
    verdict: str
    printed: str
    recomputed: str
    explanation: str
    denominator: int | None = None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:  # programming error, not user input
            raise ValueError(f"unknown verdict {self.verdict!r}")
        if self.check not in RULES:
            raise ValueError(f"unknown rule {self.check!r}")

    @property
    def rule(self) -> str:
        """The rule in words."""
        return RULES[self.check]

    @property
    def ok(self) -> bool:
        """Whether the figure can hold (verdict ``ok`` or ``rounding``)."""
        return self.verdict in ("ok", "rounding")


def _dec(x: object, what: str) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool) or x is None:
        raise PublishedFiguresError(f"{what} must be a number, got {x!r}")
    try:
        d = Decimal(str(x).strip().rstrip("%"))
    except Exception as exc:
        raise PublishedFiguresError(
            f"{what} must be a number such as 63 or 62.5, got {x!r}"
        ) from exc
    if not d.is_finite():
        raise PublishedFiguresError(f"{what} must be finite, got {x!r}")
    return d


def _count(x: object, what: str, *, positive: bool = False) -> int:
    if isinstance(x, bool) or x is None:
        raise PublishedFiguresError(f"{what} must be a whole number, got {x!r}")
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise PublishedFiguresError(f"{what} must be a whole number, got {x!r}") from exc
    if not math.isfinite(f) or f != int(f) or f < (1 if positive else 0):
        lim = "a positive" if positive else "a non-negative"
        raise PublishedFiguresError(f"{what} must be {lim} whole number, got {x!r}")
    return int(f)


def _rule_text(rounding: str, decimals: int) -> str:
    return f"{ROUNDING_RULES[rounding]}, {decimals} d.p."


def _decimals(printed: Decimal, decimals: int | None) -> int:
    return printed_decimals(printed) if decimals is None else int(decimals)


def possible_numerators(
    pct: Decimal | float | int | str,
    n: int,
    *,
    rounding: str = "half_up",
    decimals: int | None = None,
) -> list[int]:
    """Every whole ``k`` in ``0..n`` with ``100 k / n`` rounding to ``pct``."""
    check_rounding(rounding)
    p = _dec(pct, "percentage")
    n = _count(n, "n", positive=True)
    d = _decimals(p, decimals)
    lo, hi, _, _ = rounding_interval(p, d, rounding)
    k_lo = max(0, math.floor(lo * n / 100) - 1)
    k_hi = min(n, math.ceil(hi * n / 100) + 1)
    target = to_fraction(p)
    return [
        k
        for k in range(k_lo, k_hi + 1)
        if round_share(k, n, decimals=d, rounding=rounding) == target
    ]


def possible_denominators(
    numerator: int,
    pct: Decimal | float | int | str,
    *,
    rounding: str = "half_up",
    decimals: int | None = None,
    n_max: int = 10_000,
) -> list[int]:
    """Every ``n >= numerator`` (up to ``n_max``) with ``100 numerator / n`` rounding to ``pct``."""
    check_rounding(rounding)
    p = _dec(pct, "percentage")
    k = _count(numerator, "numerator")
    d = _decimals(p, decimals)
    if k == 0:
        return list(range(1, n_max + 1)) if p == 0 else []
    lo, hi, _, _ = rounding_interval(p, d, rounding)
    n_lo = max(k, 1, math.floor(100 * k / hi) - 1) if hi > 0 else k
    n_hi = min(n_max, math.ceil(100 * k / lo) + 1) if lo > 0 else n_max
    target = to_fraction(p)
    return [
        n
        for n in range(n_lo, n_hi + 1)
        if round_share(k, n, decimals=d, rounding=rounding) == target
    ]


def _ranges(values: Sequence[int]) -> str:
    if not values:
        return "none"
    out, start, prev = [], values[0], values[0]
    for v in [*values[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(out)
