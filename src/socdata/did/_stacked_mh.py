"""Mantel-Haenszel rate ratio of the stacked design, with set-clustered inference (private).

Why not Poisson maximum likelihood.  With unit-by-set effects ``alpha_{i,s}`` and
set-by-event-time effects ``lambda_{s,e}`` every matched set brings its own parameters and
only a few observations (one engager, ``k`` comparators, a count that is mostly zero).
Conditioning on the set-by-month totals turns the Poisson likelihood into a logit with one
intercept per set (the engager-comparator contrast), estimated from the set's few informative
months: the classic incidental-parameter problem of fixed-effect logit (Neyman and Scott 1948;
for three-way Poisson, Weidner and Zylkin 2021).  The maximum-likelihood rate ratio is then
biased away from 1 by an amount that does not shrink as the number of sets grows
(``docs/explanation/simulation.md`` measures it).

The Mantel-Haenszel estimator conditions the set effects out instead.  Collapsing each set's
months into the two periods compared (pre/post, or event month ``k``/reference month) gives a
2x2 table ``[[E_post, C_post], [E_pre, C_pre]]`` (``E`` the engager's weighted count, ``C`` the
comparators'), whose odds ratio is the rate ratio ``exp(beta)`` whatever the set's own effects;
the common ratio over sets is

``psi = sum_s R_s / sum_s S_s``,  ``R_s = E_post C_pre / n_s``,  ``S_s = E_pre C_post / n_s``,

with ``n_s`` the table total (Mantel and Haenszel 1959), consistent when there are many sparse
sets (Breslow 1981).  Its estimating function ``sum_s (R_s - psi S_s)`` is a sum over sets, so
the variance of ``log psi`` is the sandwich ``G/(G-1) sum_c U_c^2 / (sum_s R_s)^2`` over the
clusters ``c`` of whole sets (a CRV1 analogue, robust to overdispersion and to serial
correlation within a person), with a Student t on ``G - 1`` degrees of freedom as the least
squares version uses.  The event-time estimates use the same construction month by month
against the reference month; their joint covariance sums the products of the sets'
contributions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socdata.did._stacked_fit import Fit
from socdata.errors import EstimationError


def log_ratio(
    r: np.ndarray, s: np.ndarray, cluster: np.ndarray, g: int
) -> tuple[float, np.ndarray]:
    """The log Mantel-Haenszel rate ratio from the per-set terms ``r`` and ``s``, and its
    influence summed per cluster (``cluster`` codes each set's cluster, ``g`` clusters).

    Shared by the row path (:func:`fit_mh`) and the sums path
    (:mod:`socdata.scale.stacked`).

    Raises
    ------
    EstimationError
        ``r`` or ``s`` sums to 0: the ratio is 0 or infinite.
    """
    if r.sum() <= 0 or s.sum() <= 0:
        raise EstimationError(
            "the Mantel-Haenszel rate ratio is 0 or infinite: no matched set has an event "
            "for the engager in one period and for a comparator in the other; the outcome "
            "is too sparse for this comparison (aggregate, or use family='linear')"
        )
    psi = r.sum() / s.sum()
    return float(np.log(psi)), np.bincount(cluster, weights=r - psi * s, minlength=g) / r.sum()


def _tables(y, d, first, set_codes, w, n_sets):
    """Weighted engager and comparator counts per set in the rows of the two periods."""
    yw = w * y
    e1 = np.bincount(set_codes[first & (d == 1)], weights=yw[first & (d == 1)], minlength=n_sets)
    c1 = np.bincount(set_codes[first & (d == 0)], weights=yw[first & (d == 0)], minlength=n_sets)
    e0 = np.bincount(set_codes[~first & (d == 1)], weights=yw[~first & (d == 1)], minlength=n_sets)
    c0 = np.bincount(set_codes[~first & (d == 0)], weights=yw[~first & (d == 0)], minlength=n_sets)
    n = e1 + c1 + e0 + c0
    safe = np.where(n > 0, n, 1.0)
    return e1 * c0 / safe, e0 * c1 / safe


def _set_clusters(set_codes: np.ndarray, cluster: np.ndarray, n_sets: int) -> np.ndarray:
    """Cluster code of each set; every set must lie in one cluster."""
    cl_codes = pd.factorize(cluster)[0]
    per_set = pd.DataFrame({"s": set_codes, "c": cl_codes}).drop_duplicates()
    if per_set["s"].duplicated().any():
        raise EstimationError(
            "stacked_did(family='poisson', method='mantel-haenszel') needs clusters that hold "
            "whole matched sets (cluster by the matched set, or by a coarser unit such as the "
            "area); a cluster column that splits sets (e.g. person_id with matching with "
            "replacement) needs method='pml'"
        )
    out = np.full(n_sets, -1)
    out[per_set["s"].to_numpy()] = per_set["c"].to_numpy()
    return out


def fit_mh(
    y: np.ndarray,
    d: np.ndarray,
    periods: list[tuple[np.ndarray, np.ndarray]],
    set_codes: np.ndarray,
    w: np.ndarray,
    cluster: np.ndarray,
    n_obs: int,
) -> Fit:
    """Mantel-Haenszel log rate ratios for each ``(first, second)`` pair of row masks.

    ``first`` marks the rows of the later period (post, or event month ``k``) and ``second``
    those of the baseline (pre, or the reference month); ``d`` is 1 for engager rows.
    Returns the log rate ratios and their set-clustered covariance (Student t on
    ``G - 1`` degrees of freedom, ``G/(G-1)`` small-sample factor).
    """
    n_sets = int(set_codes.max()) + 1
    set_cl = _set_clusters(set_codes, cluster, n_sets)
    g = int(set_cl.max()) + 1
    if g < 2:
        raise EstimationError(
            f"cluster-robust standard errors need at least 2 clusters; the data has {g}."
        )
    coef = np.empty(len(periods))
    infl = np.zeros((g, len(periods)))
    for j, (later, base) in enumerate(periods):
        rows = later | base
        r, s = _tables(y[rows], d[rows], later[rows], set_codes[rows], w[rows], n_sets)
        coef[j], infl[:, j] = log_ratio(r, s, set_cl, g)
    ssc = g / (g - 1)
    vcov = ssc * infl.T @ infl
    return Fit(coef, vcov, n_obs, g, len(periods), ssc)
