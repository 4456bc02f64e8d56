"""Cluster-robust inference helpers shared by the fixed-effects estimators (private).

Small-sample convention (CRV1), chosen to match pyfixest's default ``ssc()`` for
``vcov={"CRV1": cluster}`` (``k_adj=True, k_fixef="nonnested", G_adj=True``), which itself
follows R fixest:

``V = G/(G-1) * (N-1)/(N-K) * (X~'WX~)^-1 (sum_g s_g s_g') (X~'WX~)^-1``

with ``s_g`` the sum of the scores in cluster ``g`` and ``K`` the number of slopes plus the
fixed effects that are *not* nested in the clusters: with unit and period effects,
``K = k + n_units + n_periods - 1`` (one level is redundant) minus ``n_units - 1`` when the
units are nested in the clusters (always, when clustering by unit), and likewise for
periods.  Clustering by person therefore gives ``K = k + n_periods``.  Tests and intervals
use Student's t with ``G - 1`` degrees of freedom.
"""

from __future__ import annotations

import numpy as np

from socdata import distributions as stats
from socdata.did._panel import Panel
from socdata.errors import EstimationError

#: Fewer clusters than this and the cluster formula is not trusted: a wild cluster
#: bootstrap gives the p-value and interval, and ``SmallClusterWarning`` is raised.
FEW_CLUSTERS = 30


def two_way_k_fe(*, n_units: int, n_times: int, unit_nested: bool, time_nested: bool) -> int:
    """Fixed effects counted in ``K`` for unit and period effects (see module docstring):
    ``n_units + n_times - 1`` less the levels nested in the clusters (one kept per nested
    set of effects)."""
    k_fe = n_units + n_times - 1
    nested_levels = (n_units if unit_nested else 0) + (n_times if time_nested else 0)
    if nested_levels == 0:
        return k_fe
    return k_fe - nested_levels + int(unit_nested) + int(time_nested)


def small_sample_factor(
    *,
    n: int,
    k: int,
    n_clusters: int,
    n_units: int = 0,
    n_times: int = 0,
    unit_nested: bool = True,
    time_nested: bool = True,
    k_fe: int | None = None,
) -> tuple[float, int]:
    """Return the CRV1 factor ``G/(G-1) (N-1)/(N-K)`` and ``K = k + k_fe``.

    ``k_fe`` is the number of fixed effects not nested in the clusters; by default that of
    unit and period effects (:func:`two_way_k_fe`); the stacked design counts its own.
    """
    if k_fe is None:
        k_fe = two_way_k_fe(
            n_units=n_units, n_times=n_times, unit_nested=unit_nested, time_nested=time_nested
        )
    df_k = k + k_fe
    if n - df_k <= 0:
        raise EstimationError(
            f"not enough observations ({n}) for {df_k} parameters; the panel is too small for "
            "the fixed effects with these regressors."
        )
    if n_clusters < 2:
        raise EstimationError(
            "cluster-robust standard errors need at least 2 clusters; the data has "
            f"{n_clusters}. Cluster by a finer variable (e.g. the person)."
        )
    g = n_clusters
    return (g / (g - 1)) * (n - 1) / (n - df_k), df_k


def cluster_sums(panel: Panel, scores: np.ndarray) -> np.ndarray:
    """Sum the (n, k) score matrix within clusters: returns (G, k)."""
    scores = np.asarray(scores)
    k = scores.shape[1]
    if panel.cluster_codes is None:
        if panel.sorted_balanced:
            return scores.reshape(panel.n_units, panel.n_times, k).sum(axis=1)
        codes, g = panel.units(), panel.n_units
    else:
        codes, g = panel.cluster_codes, panel.n_clusters
    out = np.empty((g, k))
    for j in range(k):
        out[:, j] = np.bincount(codes, weights=scores[:, j], minlength=g)
    return out


def crv1(
    bread: np.ndarray,
    meat: np.ndarray,
    *,
    n: int,
    n_clusters: int,
    n_units: int = 0,
    n_times: int = 0,
    unit_nested: bool = True,
    time_nested: bool = True,
    k_fe: int | None = None,
) -> tuple[np.ndarray, float, int]:
    """CRV1 covariance ``ssc * bread meat bread`` (symmetrised), ``ssc`` and ``K``.

    The one implementation of the cluster-robust sandwich for every fixed-effects fit
    (row-level :func:`panel_crv1`; the cohort-statistics path of :mod:`socdata.scale`,
    which forms ``meat = sum_g s_g s_g'`` from moments; the stacked design of
    :mod:`socdata.did._stacked_fit`, which passes its own count ``k_fe`` of the fixed
    effects not nested in the clusters).  ``k`` is ``bread.shape[0]``; the small-sample
    factor is :func:`small_sample_factor`.
    """
    ssc, df_k = small_sample_factor(
        n=n,
        k=bread.shape[0],
        n_clusters=n_clusters,
        n_units=n_units,
        n_times=n_times,
        unit_nested=unit_nested,
        time_nested=time_nested,
        k_fe=k_fe,
    )
    v = ssc * bread @ meat @ bread
    return (v + v.T) / 2, ssc, df_k


def panel_crv1(
    panel: Panel, bread: np.ndarray, cluster_scores: np.ndarray
) -> tuple[np.ndarray, float, int]:
    """:func:`crv1` for a fit on ``panel`` from its (G, k) cluster score sums."""
    return crv1(
        bread,
        cluster_scores.T @ cluster_scores,
        n=panel.n,
        n_units=panel.n_units,
        n_times=panel.n_times,
        n_clusters=panel.n_clusters,
        unit_nested=panel.unit_cluster_nested(),
        time_nested=panel.time_cluster_nested(),
    )


def t_inference(
    estimate: np.ndarray, se: np.ndarray, df: float, conf_level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """t statistic, two-sided p-value and t-based interval with ``df`` degrees of freedom."""
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = estimate / se
    p = 2 * stats.t.sf(np.abs(stat), df)
    q = stats.t.ppf(0.5 + conf_level / 2, df)
    return stat, p, estimate - q * se, estimate + q * se


def independent_columns(gram: np.ndarray, tol: float = 1e-10) -> list[int]:
    """Indices of columns kept by sequential (Gram-Schmidt) elimination on ``X'X``.

    Column ``j`` is dropped when its residual sum of squares after the previously kept
    columns is below ``tol`` times its own sum of squares (collinear within rounding).
    """
    kept: list[int] = []
    for j in range(gram.shape[0]):
        if gram[j, j] <= 0:
            continue
        if kept:
            g_kk = gram[np.ix_(kept, kept)]
            g_kj = gram[kept, j]
            coef = np.linalg.solve(g_kk, g_kj)
            rss = gram[j, j] - g_kj @ coef
        else:
            rss = gram[j, j]
        if rss > tol * gram[j, j]:
            kept.append(j)
    return kept
