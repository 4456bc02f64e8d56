"""Rounding as printed reports round: half up (ties away from zero), never banker's.

One implementation for the whole package: ``describe`` rounds percentages and means with
it, ``compare`` recomputes printed figures with it, ``report`` rounds disclosed
percentages with it. (``socdata.review.rounding`` adds the exact, rule-selectable
arithmetic a reviewer needs: half-even, truncation, one decimal place.)
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["round_half_up"]


def round_half_up(x: float | None, ndigits: int = 0) -> float | None:
    """Round half away from zero, as printed reports do (2.5 -> 3, 62.5 -> 63).

    Python's :func:`round` rounds half to even (62.5 -> 62); reports do not. The value is
    rounded through its shortest decimal representation, so binary floating point does
    not decide ties: ``round_half_up(0.285, 2)`` is 0.29 although ``0.285`` is stored as
    0.28499999...

    Parameters
    ----------
    x
        Value to round; ``None`` and NaN give ``None``.
    ndigits
        Decimal places to keep.

    Examples
    --------
    >>> round_half_up(62.5)
    63.0
    >>> round_half_up(-2.5)
    -3.0
    >>> round_half_up(0.285, 2)
    0.29
    >>> round_half_up(float("nan")) is None
    True
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    q = Decimal(1).scaleb(-ndigits)
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))
