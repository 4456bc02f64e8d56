"""Mahalanobis distance exactly as MatchIt computes it (``transform_covariates``).

MatchIt 4.7 (``R/dist_functions.R``, ``transform_covariates(method = "mahalanobis")``
with a treatment vector) computes the Mahalanobis distance in five steps:

1. drop covariates without variance (range below ``sqrt(.Machine$double.eps)``);
2. **scale** every covariate (``scale(X)``: centre, divide by its standard deviation);
3. the pooled within-group covariance ``S`` of the scaled covariates
   (``pooled_cov``: ``sum_g (X_g - mean_g)' (X_g - mean_g) / (n - G)``);
4. ``S^-1`` by ``solve(S)`` when ``det(S) > 1e-8``, else the generalised inverse
   (``generalized_inverse``, a port of ``MASS::ginv`` with tolerance ``1e-8`` relative to
   the largest singular value);
5. the covariates multiplied by a square root of ``S^-1`` (``mahalanobize``), so that
   the Euclidean distance of the transformed rows is the Mahalanobis distance.

Step 2 is what makes the distance independent of the units of the covariates: the
tolerance of step 4 is applied to a covariance of standardised variables, so a covariate
measured in thousands (income) and one measured in years (age) enter on the same footing.
Without it, the eigen-directions of a small-scale covariate fall below the tolerance and
the covariate is silently ignored.

:func:`mahalanobis_matrix` returns a matrix ``A`` with ``Z = X @ A``; the distance of two
rows is ``||Z_i - Z_j||``.  ``A`` folds in the scaling, so it can be applied to covariate
rows computed later (risk-set matching computes them stratum by stratum).

:func:`matchit_visit_order` gives the order in which MatchIt's ``find_control_mahcovs``
visits candidate controls; MatchIt breaks ties in distance in favour of the candidate
visited **last** (see :func:`socdata.matching._greedy.greedy_match_kdtree`).
"""

from __future__ import annotations

import numpy as np

#: MatchIt's threshold for "no variance" (``sqrt(.Machine$double.eps)``).
NO_VARIANCE_TOL = float(np.sqrt(np.finfo(float).eps))
#: MatchIt's determinant threshold and generalised-inverse tolerance.
SINGULAR_TOL = 1e-8


def pooled_within_cov(
    X: np.ndarray, treated: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Pooled within-group covariance (Rubin 1980; MatchIt's ``pooled_cov``).

    Unweighted: ``sum_g (X_g - mean_g)'(X_g - mean_g) / (n - 2)``.  With frequency
    weights ``w``: group means and cross-products weighted, divided by ``sum(w) - 2``.
    """
    X = np.asarray(X, dtype=float)
    t = np.asarray(treated, dtype=bool)
    w = np.ones(X.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    out = np.zeros((X.shape[1], X.shape[1]))
    for g in (t, ~t):
        if not g.any():
            continue
        wg = w[g]
        D = X[g] - np.average(X[g], axis=0, weights=wg)
        out += (D * wg[:, None]).T @ D
    return out / max(float(w.sum()) - 2.0, 1.0)


def _inverse_root(cov: np.ndarray) -> np.ndarray:
    """``B`` with ``B B' = S^-1`` (``solve``) or ``S^+`` (generalised inverse), as MatchIt."""
    vals, vecs = np.linalg.eigh(cov)
    vals = np.clip(vals, 0.0, None)
    if vals.size == 0 or vals.max() <= 0:
        return np.zeros((cov.shape[0], 0))
    if float(np.prod(vals)) > SINGULAR_TOL:
        keep = vals > 0
    else:
        # generalized_inverse(): singular values above 1e-8 x the largest
        keep = vals > SINGULAR_TOL * vals.max()
    return vecs[:, keep] / np.sqrt(vals[keep])


def mahalanobis_matrix(
    X: np.ndarray, treated: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Linear map ``A`` such that ``||(x_i - x_j) A||`` is MatchIt's Mahalanobis distance.

    Parameters
    ----------
    X
        Covariates, shape ``(n, p)`` (rows used to estimate the scaling and covariance).
    treated
        Boolean group indicator, shape ``(n,)``.
    weights
        Optional frequency weights (risk-set matching's sampled model rows).

    Returns
    -------
    numpy.ndarray
        Shape ``(p, r)``; rows of covariates without variance are zero.  Rescaling any
        column of ``X`` by ``c`` rescales its row of ``A`` by ``1/c``, so distances do
        not depend on the units of the covariates.
    """
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    varying = (X.max(axis=0) - X.min(axis=0)) >= NO_VARIANCE_TOL if n else np.zeros(p, bool)
    A = np.zeros((p, 0))
    if not varying.any():
        # MatchIt falls back to the Euclidean distance on one constant column: all zero
        return np.zeros((p, 1))
    Xv = X[:, varying]
    mu = np.average(Xv, axis=0, weights=w)
    sd = np.sqrt(np.sum(w[:, None] * (Xv - mu) ** 2, axis=0) / max(float(w.sum()) - 1.0, 1.0))
    B = _inverse_root(pooled_within_cov((Xv - mu) / sd, treated, w))
    A = np.zeros((p, B.shape[1]))
    A[varying] = B / sd[:, None]
    return A


def matchit_visit_order(X: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Sort key of MatchIt's search for Mahalanobis matches (``match_var``).

    MatchIt sorts all units by the first column of its transformed covariates
    (``tcrossprod(X, chol(S^-1, pivot = TRUE))``); that column is the scaled covariates
    times the column of ``S^-1`` with the largest diagonal, over the square root of that
    diagonal.  Only the *ordering* matters here (for ties), so the value is computed
    from ``A`` directly: ``S^-1`` in the original units is ``A A'``.

    Returns
    -------
    numpy.ndarray
        Positions (0-based) of the rows of ``X`` in R's stable ``order(match_var)``.
    """
    inv = A @ A.T
    if inv.size == 0 or not np.any(np.diag(inv) > 0):
        return np.arange(X.shape[0])
    # pivoted Cholesky picks the largest diagonal; compare on the scaled diagonal
    # (S^-1 of the standardised covariates), where MatchIt makes that choice
    sd_inv = np.sqrt(np.clip(np.diag(inv), 0.0, None))
    scale = _column_sd(X)
    diag_scaled = (sd_inv * scale) ** 2
    j = int(np.argmax(diag_scaled))
    # identical rows must get identical keys (BLAS may round rows differently), and keys
    # equal up to rounding must not be ordered by noise: compute on the unique rows and
    # round to 10 significant digits of the largest key
    uniq, back = np.unique(X, axis=0, return_inverse=True)
    mv = (uniq @ inv[:, j])[np.ravel(back)]
    top = float(np.max(np.abs(mv))) if mv.size else 0.0
    if top > 0:
        mv = np.round(mv / top, 10)
    order = np.argsort(mv, kind="stable")
    pos = np.empty(X.shape[0], dtype=np.int64)
    pos[order] = np.arange(X.shape[0])
    return pos


def _column_sd(X: np.ndarray) -> np.ndarray:
    if X.shape[0] < 2:
        return np.ones(X.shape[1])
    return X.std(axis=0, ddof=1)
