"""Exact rounding rules and the parsing of printed numbers.

All arithmetic is done with :class:`fractions.Fraction` so that ties such as 62.5% are ties
(no binary floating-point error decides them).

Rules (``rounding=``):

``"half_up"``
    Ties go away from zero: 62.5 -> 63 (what most reports and spreadsheets print).
``"half_even"``
    Ties go to the even neighbour ("banker's rounding"): 62.5 -> 62, 37.5 -> 38.
``"truncate"``
    Digits beyond the printed ones are dropped: 66.67 -> 66.

The number of decimal places (``decimals=``) is 0 for whole percentages and 1 for, e.g.,
``62.5``; when ``None`` it is read from the printed value.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from socdata.review.errors import PublishedFiguresError

#: Rounding rules, declared once: name -> description used in messages and docs.
ROUNDING_RULES: dict[str, str] = {
    "half_up": "round half up (ties away from zero)",
    "half_even": "round half to even (ties to the even digit)",
    "truncate": "truncate (drop the unprinted digits)",
}

_WORDS = {
    "zero": 0,
    "none": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}


def check_rounding(rounding: str) -> str:
    """Return ``rounding`` if it names a rule, else raise with the allowed names."""
    if rounding not in ROUNDING_RULES:
        allowed = ", ".join(repr(r) for r in ROUNDING_RULES)
        raise PublishedFiguresError(
            f"unknown rounding rule {rounding!r}; use one of {allowed} "
            "(and decimals=1 for one decimal place)"
        )
    return rounding


def parse_number(text: object) -> Decimal | None:
    """Parse a printed number: ``"92"``, ``"62.5"``, ``"7,936"``, ``"92%"``, ``"eleven"``.

    Returns ``None`` for empty or non-numeric text (including ``"-"``).
    """
    if text is None:
        return None
    if isinstance(text, float) and math.isnan(text):
        return None
    s = str(text).strip().lower().rstrip("%").strip()
    if not s or s == "-":
        return None
    s_num = s.replace(",", "")
    if re.fullmatch(r"[-+]?\d+(\.\d+)?", s_num):
        try:
            return Decimal(s_num)
        except InvalidOperation:  # pragma: no cover - regex guards this
            return None
    parts = re.split(r"[\s-]+", s)
    if parts and all(p in _WORDS for p in parts):
        return Decimal(sum(_WORDS[p] for p in parts))
    return None


def printed_decimals(value: Decimal | str | float | int) -> int:
    """Number of decimal places in a printed value (``"62.5"`` -> 1, ``63`` -> 0)."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    exp = d.as_tuple().exponent
    return max(0, -int(exp)) if isinstance(exp, int) else 0


def to_fraction(value: Decimal | float | int | Fraction) -> Fraction:
    """Exact fraction of a printed decimal (floats go through their shortest repr)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(value)


def round_exact(x: Fraction, decimals: int = 0, rounding: str = "half_up") -> Fraction:
    """Round an exact value to ``decimals`` places under ``rounding``."""
    check_rounding(rounding)
    scale = Fraction(10) ** decimals
    y = x * scale
    sign = -1 if y < 0 else 1
    a = abs(y)
    floor = a.numerator // a.denominator
    rest = a - floor
    if rounding == "truncate":
        r = floor
    elif rest > Fraction(1, 2):
        r = floor + 1
    elif rest < Fraction(1, 2):
        r = floor
    elif rounding == "half_up":
        r = floor + 1
    else:  # half_even
        r = floor if floor % 2 == 0 else floor + 1
    return sign * Fraction(r) / scale


def round_share(
    numerator: int, denominator: int, *, decimals: int = 0, rounding: str = "half_up"
) -> Fraction:
    """``100 * numerator / denominator`` rounded under the rule."""
    if denominator <= 0:
        raise PublishedFiguresError(f"denominator must be positive, got {denominator}")
    return round_exact(Fraction(100 * numerator, denominator), decimals, rounding)


def fmt(x: Fraction | Decimal | float | int, places: int = 2) -> str:
    """Format an exact value compactly (``62.5``, ``66.67``, ``63``)."""
    f = to_fraction(x) if not isinstance(x, Fraction) else x
    if f.denominator == 1:
        return str(f.numerator)
    s = f"{float(f):.{places}f}".rstrip("0").rstrip(".")
    return s


def rounding_interval(
    printed: Decimal | float | int, decimals: int, rounding: str = "half_up"
) -> tuple[Fraction, Fraction, bool, bool]:
    """Interval of true non-negative values that print as ``printed``.

    Returns ``(low, high, low_closed, high_closed)``.
    """
    check_rounding(rounding)
    p = to_fraction(printed)
    unit = Fraction(1, 10**decimals)
    h = unit / 2
    if rounding == "truncate":
        return p, p + unit, True, False
    if rounding == "half_up":
        return max(p - h, Fraction(0)), p + h, True, False
    last = int(p / unit) % 2
    closed = last == 0
    return max(p - h, Fraction(0)), p + h, closed or p - h <= 0, closed


def in_interval(x: Fraction, iv: tuple[Fraction, Fraction, bool, bool]) -> bool:
    """Whether ``x`` lies in an interval from :func:`rounding_interval`."""
    lo, hi, lc, hc = iv
    return (x > lo or (lc and x == lo)) and (x < hi or (hc and x == hi))
