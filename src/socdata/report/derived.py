"""Released proportions and their intervals, computed from the *protected* counts.

A percentage computed from exact counts and printed next to a rounded count is an attack
surface: for a rounded numerator ``r_n``, a rounded base ``r_d`` and a percentage ``p`` to
whole numbers, only a handful of exact pairs ``(n, d)`` with ``round5(n) = r_n``,
``round5(d) = r_d`` and ``round(100 n / d) = p`` remain, often just one, and a confidence
interval printed to a whole number narrows it further.  (Issue 9 found that about a
quarter of the percentage cells of a real-mode run pinned their exact counts this way.)

socdata therefore *derives* every released proportion and its interval from the counts as
they are released: the percentage is ``100 * rounded numerator / rounded base``, the
interval the Wilson score interval of the same two rounded numbers.  The released triple
(rounded n, %, interval) is then a function of (rounded n, rounded base) alone and says
nothing about the exact counts that those two numbers do not already say.  The price is
a small loss of accuracy (at most half a rounding base in each count), which the report
states beside the rule set.
"""

from __future__ import annotations

import math

from socdata.rounding import round_half_up, round_to_base

__all__ = ["derive_numerator", "proportion_scale", "protected_proportion", "wilson_interval"]

#: z for a two-sided 95% interval.
_Z95 = 1.959963984540054


def proportion_scale(measure: str) -> float:
    """100 for ``pct``, 1 for ``fraction`` and ``proportion``."""
    return 100.0 if str(measure).strip().lower() == "pct" else 1.0


def wilson_interval(numerator: float, denominator: float, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval of ``numerator / denominator`` (as fractions).

    >>> [round(x, 4) for x in wilson_interval(5, 10)]
    [0.2366, 0.7634]
    """
    if denominator <= 0:
        return (math.nan, math.nan)
    p = numerator / denominator
    z2 = z * z
    centre = (p + z2 / (2 * denominator)) / (1 + z2 / denominator)
    half = (z / (1 + z2 / denominator)) * math.sqrt(
        p * (1 - p) / denominator + z2 / (4 * denominator * denominator)
    )
    return (max(0.0, centre - half), min(1.0, centre + half))


def derive_numerator(value: float, base: float, measure: str) -> float:
    """The count behind a proportion that was given without its ``numerator``.

    ``round(value / scale * base)``: a proportion of a known base *is* a count, and
    is protected as one.
    """
    if value is None or base is None or math.isnan(value) or math.isnan(base):
        return math.nan
    return float(round(value / proportion_scale(measure) * base))


def protected_proportion(
    numerator: float, base: float, measure: str, rounding_base: int, decimals: int
) -> tuple[float, float, float]:
    """The released proportion and 95% Wilson interval, from the rounded counts.

    Parameters
    ----------
    numerator, base
        Exact counts (never released).
    measure
        ``pct`` (0-100) or ``fraction``/``proportion`` (0-1).
    rounding_base
        Rounding base of the rule set; the counts are rounded to it first.
    decimals
        Decimal places of the released proportion and interval.

    Returns
    -------
    tuple of float
        ``(value, conf_low, conf_high)`` computed from ``round(numerator)`` and
        ``round(base)`` only.

    Examples
    --------
    Issue 9's case: 23 of 26 (88%) released as "25/25, 88%" pinned 23/26.  From the
    rounded counts the release is 100% (25/25), consistent with the counts shown:

    >>> protected_proportion(23, 26, "pct", 5, 0)[0]
    100.0
    """

    rn = round_to_base(float(numerator), rounding_base)
    rd = round_to_base(float(base), rounding_base)
    scale = proportion_scale(measure)
    if not rd or math.isnan(rn) or math.isnan(rd):
        return (math.nan, math.nan, math.nan)
    lo, hi = wilson_interval(rn, rd)

    def fmt(x: float) -> float:
        return round_half_up(x * scale, decimals) if decimals < 15 else x * scale

    return (fmt(rn / rd), fmt(lo), fmt(hi))
