"""The probability distributions socdata's intervals and tests use, from :mod:`scipy.special`.

Confidence intervals, p-values and critical values need five distributions: normal,
Student's t, beta (Clopper-Pearson), F and chi-squared.  :mod:`scipy.stats` offers them
through its distribution objects, but importing it loads most of SciPy (about 0.8 s, the
largest import of a ``socdata reproduce`` kernel); these functions call the same special
functions that :mod:`scipy.stats` itself calls, so the values are the same
(``tests/test_distributions.py`` compares them to :mod:`scipy.stats` over grids that include
the edges).  They are spelled like :mod:`scipy.stats` (``t.ppf(q, df)``, ``norm.sf(x)``), so
a module reads ``from socdata.distributions import t`` where it would have read
``from scipy.stats import t``.

Only the methods socdata uses are here; arguments broadcast like NumPy ufuncs, and a
scalar argument gives a NumPy scalar.

Examples
--------
>>> from socdata.distributions import norm, t
>>> round(float(norm.ppf(0.975)), 6), round(float(t.ppf(0.975, 10)), 6)
(1.959964, 2.228139)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

__all__ = ["beta", "chi2", "f", "norm", "t"]

ArrayLike = Any


def _out(value: Any) -> Any:
    """A 0-d array as a NumPy scalar (as :mod:`scipy.stats` returns it)."""
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value


def _positive(*dfs: ArrayLike) -> Any:
    ok = True
    for df in dfs:
        ok = np.logical_and(ok, np.asarray(df, dtype=float) > 0)
    return ok


class _Norm:
    """Standard normal distribution."""

    @staticmethod
    def cdf(x: ArrayLike) -> Any:
        """P(Z <= x)."""
        return special.ndtr(x)

    @staticmethod
    def sf(x: ArrayLike) -> Any:
        """P(Z > x), accurate in the upper tail."""
        return special.ndtr(-x)

    @staticmethod
    def ppf(q: ArrayLike) -> Any:
        """The ``q`` quantile."""
        return special.ndtri(q)


class _T:
    """Student's t distribution with ``df`` degrees of freedom."""

    @staticmethod
    def cdf(x: ArrayLike, df: ArrayLike) -> Any:
        """P(T <= x)."""
        return special.stdtr(df, x)

    @staticmethod
    def sf(x: ArrayLike, df: ArrayLike) -> Any:
        """P(T > x)."""
        return special.stdtr(df, -x)

    @staticmethod
    def ppf(q: ArrayLike, df: ArrayLike) -> Any:
        """The ``q`` quantile (``-inf`` at 0, ``inf`` at 1)."""
        q = np.asarray(q, dtype=float)
        return _out(np.where((q == 0) & _positive(df), -np.inf, special.stdtrit(df, q)))


class _Beta:
    """Beta distribution with shapes ``a`` and ``b``."""

    @staticmethod
    def ppf(q: ArrayLike, a: ArrayLike, b: ArrayLike) -> Any:
        """The ``q`` quantile (the Clopper-Pearson limits are beta quantiles)."""
        return special.betaincinv(a, b, q)


class _F:
    """F distribution with ``dfn`` and ``dfd`` degrees of freedom."""

    @staticmethod
    def sf(x: ArrayLike, dfn: ArrayLike, dfd: ArrayLike) -> Any:
        """P(F > x) (1 below the support; NaN unless both degrees of freedom are positive)."""
        x = np.asarray(x, dtype=float)
        value = np.where(x <= 0, 1.0, special.fdtrc(dfn, dfd, np.maximum(x, 0)))
        return _out(np.where(_positive(dfn, dfd), value, np.nan))


class _Chi2:
    """Chi-squared distribution with ``df`` degrees of freedom."""

    @staticmethod
    def sf(x: ArrayLike, df: ArrayLike) -> Any:
        """P(X > x) (1 below the support; NaN unless ``df`` is positive)."""
        x = np.asarray(x, dtype=float)
        value = np.where(x < 0, 1.0, special.chdtrc(df, np.maximum(x, 0)))
        value = np.where(x == np.inf, 0.0, value)
        return _out(np.where(_positive(df), value, np.nan))


norm = _Norm()
t = _T()
beta = _Beta()
f = _F()
chi2 = _Chi2()
