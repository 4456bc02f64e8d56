"""Counts of units implied by the cohort statistics of an outcome that takes few values.

For an outcome that is 0 or 1 (arrested in the month or not), the statistics a site
releases per cohort of ``n`` units -- the period means ``m`` and the within-cohort scatter
matrix ``M`` -- are frequency tables in disguise::

    S_t  = n m_t                 = sum_i y_it          units with a one in period t
    P_st = M_st + n m_s m_t      = sum_i y_is y_it     units with ones in both s and t

and, since ``y^2 = y``, ``P_tt = S_t`` (``M_tt + n m_t^2 = n m_t``).  Every pair of periods
therefore releases a 2 x 2 table: both ``P_st``, only s ``S_s - P_st``, only t
``S_t - P_st``, neither ``n - S_s - S_t + P_st``.  A reader can tell a 0/1 outcome from the
statistics alone: ``S_t`` and ``P_st`` are whole numbers and the diagonal identity holds
(:func:`implied_counts` tests it period by period, so a count outcome that is 0/1 in some
periods is caught in those periods).

For a declared count outcome (``y`` in 0, 1, 2, ...) the same sums are event counts, and
they bound the numbers of units (:func:`count_bounds`): ``k_t``, the units with at least one
event in period t, satisfies ``S_t^2 / P_tt <= k_t`` (Cauchy-Schwarz over those units)
and ``k_t <= S_t - (sqrt(1 + 4 D) - 1) / 2`` with ``D = P_tt - S_t = sum y (y - 1)`` (the
units with two or more events use up at least that many events beyond one each); the
units with events in both s and t number at least 1 when ``P_st > 0`` and at most
``min(P_st, k_s, k_t)``.  A period with ``P_tt = S_t`` is 0/1 in every unit (an integer
``y`` has ``y (y - 1) = 0`` only at 0 and 1), so its tables are exact.

:func:`socdata.federated.few_values.few_value_cells` applies the threshold rule to every
such count, exact or bounded: a count known to lie in ``1 .. threshold - 1`` fails
(``threshold``), a count known to be zero fails when the rule set says zeros are
disclosive (``zeros``).  A bounded count whose range reaches the threshold passes: it is
not pinned.  The pair tables also bound the 3-period tables (:func:`triple_bounds`).

Whole numbers are judged with a tolerance for floating-point rounding: ``1e-6`` plus
``2^14`` machine epsilons times the size of the terms (``n |m_t|`` for a sum,
``sqrt(M_ss M_tt) + n |m_s m_t|`` for a product, which bounds the summed centred
products).  Rounding errors in practice grow like ``sqrt(n) eps`` times the total for
naive sums and ``log n eps`` for pairwise or blocked ones (numpy, BLAS): about ``1e-7``
at a million units summed naively, ``9e-11`` measured on socdata's in-memory and DuckDB
paths at a million units, against a tolerance of ``4e-6`` there.  (The worst-case bound,
``n eps`` times the total, is looser than any useful tolerance.)  A sum that misses the
tolerance is read as not whole, so its period is not taken for 0/1: a missed detection,
not a false failure; a site that declares ``outcome_values="binary"`` turns that into an
error.  A continuous outcome lands within the tolerance of a whole number with
probability about ``1e-5`` per statistic, and must do so for the sum, the square sum and
their equality at once.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from socdata.scale.moments import CohortMoments

__all__ = [
    "PATTERNS",
    "ImpliedCounts",
    "count_bounds",
    "implied_counts",
    "is_whole",
    "pair_bounds",
    "triple_bounds",
    "triple_cells",
    "triple_index",
]

#: Cells of a 3-period table: 1 = positive outcome in that period (111 first).
PATTERNS = tuple(itertools.product((1, 0), repeat=3))
_SLACK = 2.0**14 * np.finfo(float).eps


@dataclasses.dataclass(frozen=True)
class ImpliedCounts:
    """Sums a cohort's statistics imply, and which periods look 0/1.

    Attributes
    ----------
    n
        Units per cohort, ``(H,)``.
    sums
        ``n m_t = sum_i y_it``, ``(H, T)`` (the count of ones of a 0/1 outcome).
    products
        ``M_st + n m_s m_t = sum_i y_is y_it``, ``(H, T, T)`` (the count of units with
        ones in both periods).
    whole_sums, whole_products
        Whether each is a whole number within the tolerance (module docstring).
    binary
        ``(H, T)``: the period's statistics are those of a 0/1 outcome (whole ``S_t`` in
        ``0 .. n`` and ``P_tt = S_t``).
    """

    n: np.ndarray
    sums: np.ndarray
    products: np.ndarray
    whole_sums: np.ndarray
    whole_products: np.ndarray
    binary: np.ndarray

    def pair_tables(self) -> np.ndarray:
        """The 2 x 2 tables of every pair of 0/1 periods, ``(H, T, T, 4)``.

        Cells, in order: units with ones in both periods, in the first only, in the second
        only, in neither.  NaN where either period is not 0/1 or ``P_st`` is not whole.
        """
        s = np.rint(self.sums)
        p = np.rint(self.products)
        n = self.n[:, None, None].astype(float)
        first, second = s[:, :, None], s[:, None, :]
        out = np.stack([p, first - p, second - p, n - first - second + p], axis=-1)
        ok = self.binary[:, :, None] & self.binary[:, None, :] & self.whole_products
        return np.where(ok[..., None], out, np.nan)


def is_whole(x: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Whether ``x`` is a whole number up to rounding of terms of magnitude ``size``."""
    return np.abs(x - np.rint(x)) <= 1e-6 + _SLACK * size


def implied_counts(m: CohortMoments) -> ImpliedCounts:
    """The sums and cross-products implied by a site's means and scatter matrices.

    Vectorised over cohorts and period pairs (no loop over cohorts).
    """
    n = np.asarray(m.n, dtype=float)
    mean = np.asarray(m.mean, dtype=float)
    scatter = np.asarray(m.scatter, dtype=float)
    sums = n[:, None] * mean
    outer = n[:, None, None] * mean[:, :, None] * mean[:, None, :]
    products = scatter + outer
    diag = np.sqrt(np.clip(np.diagonal(scatter, axis1=1, axis2=2), 0.0, None))
    size = diag[:, :, None] * diag[:, None, :] + np.abs(outer)
    whole_sums = is_whole(sums, np.abs(sums))
    whole_products = is_whole(products, size)
    s, q = np.rint(sums), np.rint(np.diagonal(products, axis1=1, axis2=2))
    binary = (
        whole_sums
        & np.diagonal(whole_products, axis1=1, axis2=2)
        & (q == s)
        & (s >= 0)
        & (s <= n[:, None])
        & (n[:, None] > 0)
    )
    return ImpliedCounts(n, sums, products, whole_sums, whole_products, binary)


def count_bounds(c: ImpliedCounts) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on the units with a positive outcome per cohort and period (count outcome).

    Returns ``(low, high)``, ``(H, T)``: ``ceil(S^2 / Q)`` and
    ``min(n, S - ceil((sqrt(1 + 4 (Q - S)) - 1) / 2))`` with ``S`` the period's event total
    and ``Q`` its sum of squares (module docstring); equal to ``S`` in a 0/1 period.
    """
    s = np.rint(c.sums)
    q = np.rint(np.diagonal(c.products, axis1=1, axis2=2))
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(q > 0, np.ceil(s * s / q - 1e-9), 0.0)
    spent = np.ceil((np.sqrt(1.0 + 4.0 * np.clip(q - s, 0.0, None)) - 1.0) / 2.0 - 1e-9)
    high = np.minimum(c.n[:, None], s - spent)
    return low, np.maximum(high, low)


def pair_bounds(
    c: ImpliedCounts, low: np.ndarray, high: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Bounds on the 2 x 2 table of units with a positive outcome in two periods.

    Parameters
    ----------
    c
        The implied sums (:func:`implied_counts`).
    low, high
        Bounds on the units with a positive outcome per cohort and period: the count of
        ones of a 0/1 period, :func:`count_bounds` for a count outcome.

    Returns
    -------
    dict
        ``"both"``, ``"first only"``, ``"second only"``, ``"neither"``: ``(low, high)``,
        each ``(H, T, T)`` (first period on axis 1).  Exact (``low == high``) where both
        periods are 0/1; otherwise ``both`` lies in ``[1 if P_st > 0, min(P_st, k_s, k_t)]``
        (a unit with events in both periods adds at least 1 to ``P_st``) and the other
        cells follow by interval arithmetic, which keeps the true count inside.
    """
    p = np.rint(c.products)
    n = c.n[:, None, None].astype(float)
    ls, hs, lt, ht = low[:, :, None], high[:, :, None], low[:, None, :], high[:, None, :]
    exact = c.binary[:, :, None] & c.binary[:, None, :]
    b_lo = np.where(exact, p, np.maximum((p > 0) * 1.0, ls + lt - n))
    b_hi = np.where(exact, p, np.minimum(p, np.minimum(hs, ht)))
    return {
        "both": (b_lo, b_hi),
        "first only": (np.maximum(ls - b_hi, 0.0), hs - b_lo),
        "second only": (np.maximum(lt - b_hi, 0.0), ht - b_lo),
        "neither": (
            np.maximum(n - hs - ht + b_lo, 0.0),
            np.minimum(n - ls - lt + b_hi, n - np.maximum(ls, lt)),
        ),
    }


def triple_bounds(c: ImpliedCounts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bounds on the 3-period tables of 0/1 periods that the pair tables imply.

    The 2 x 2 x 2 table of periods ``r < s < t`` has one cell the statistics leave free,
    ``x``, the units with ones in all three; every cell is ``a + x`` (an odd number of
    ones in the pattern) or ``a - x`` (an even number), with ``a`` from ``n``, ``S`` and
    ``P`` (e.g. ones in r and s only: ``P_rs - x``; in none: ``n - S_r - S_s - S_t + P_rs
    + P_rt + P_st - x``).  No cell is negative, so ``x`` lies between the largest ``-a``
    of the odd cells and the smallest ``a`` of the even ones; when those meet, the whole
    table is pinned.  Small cells pinned this way occur even when every pair table passes
    the threshold (a zero cell in a pair table, shown by default, is enough).

    Returns
    -------
    triples, low, high
        ``(K, 3)`` period indices; ``(H, K, 8)`` bounds of the cells in
        :data:`PATTERNS` order; NaN where a period is not 0/1 (or a pair sum is not
        whole, or the bounds cross, which no 0/1 outcome gives).
    """
    tri = triple_index(c.sums.shape[1])
    low = np.full((len(c.n), len(tri), 8), np.nan)
    high = np.full_like(low, np.nan)
    for q_i, (lo, hi, ok) in enumerate(triple_cells(c, tri)):
        low[..., q_i] = np.where(ok, lo, np.nan)
        high[..., q_i] = np.where(ok, hi, np.nan)
    return tri, low, high


def triple_index(n_t: int) -> np.ndarray:
    """The ``(K, 3)`` period indices ``r < s < t`` of the 3-period tables."""
    return np.array(list(itertools.combinations(range(n_t), 3)), np.int64).reshape(-1, 3)


def triple_cells(c: ImpliedCounts, tri: np.ndarray):
    """Yield ``(low, high, valid)``, each ``(H, K)``, for the cells in PATTERNS order."""
    s, p = np.rint(c.sums), np.rint(c.products)
    i, j, k = tri.T
    si, sj, sk = s[:, i], s[:, j], s[:, k]
    pij, pik, pjk = p[:, i, j], p[:, i, k], p[:, j, k]
    n = c.n[:, None].astype(float)
    a = {
        (1, 1, 1): np.zeros_like(si),
        (1, 1, 0): pij,
        (1, 0, 1): pik,
        (0, 1, 1): pjk,
        (1, 0, 0): si - pij - pik,
        (0, 1, 0): sj - pij - pjk,
        (0, 0, 1): sk - pik - pjk,
        (0, 0, 0): n - si - sj - sk + pij + pik + pjk,
    }
    odd = [q for q in PATTERNS if sum(q) % 2]
    x_lo = np.max([-a[q] for q in odd], axis=0)
    x_hi = np.min([a[q] for q in PATTERNS if q not in odd], axis=0)
    ok = (
        c.binary[:, i] & c.binary[:, j] & c.binary[:, k]
        & c.whole_products[:, i, j] & c.whole_products[:, i, k] & c.whole_products[:, j, k]
        & (x_lo <= x_hi)
    )  # fmt: skip
    for q in PATTERNS:
        yield (a[q] + x_lo, a[q] + x_hi, ok) if q in odd else (a[q] - x_hi, a[q] - x_lo, ok)
