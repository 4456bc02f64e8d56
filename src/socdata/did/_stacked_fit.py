"""Least squares and Poisson fits with two sets of fixed effects nested in matched sets (private).

The stacked design (:mod:`socdata.did.stacked`) has unit-by-set effects ``alpha_{i,s}`` and
set-by-event-time effects ``lambda_{s,e}``: both sets of levels are nested in the matched
sets, so the two-way projection decomposes set by set.  It is solved exactly (sparse LU of
the dummy-variable normal equations), not by alternating projections, so that the estimates
do not depend on a convergence tolerance.

Inference: CRV1 with the clusters given (the matched sets by default), computed by the one
sandwich :func:`socdata.did._inference.crv1`: small-sample factor ``G/(G-1) * (N-1)/(N-K)``
with ``K`` the slopes plus the fixed effects not nested in the clusters, counted here
(pyfixest's and fixest's default; with both effect sets nested in the set clusters this is
``K = k + 1``), Student t with ``G - 1`` degrees of freedom.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from socdata._lazy import lazy_module
from socdata.did._encode import factorize
from socdata.did._inference import crv1
from socdata.errors import EstimationError

sp = lazy_module("scipy.sparse")
_csgraph = lazy_module("scipy.sparse.csgraph")
_splinalg = lazy_module("scipy.sparse.linalg")


def within(x: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Residuals of ``x`` (n, p) after weighted projection on the factors ``a`` and ``b``.

    ``a`` and ``b`` are integer codes ``0..A-1`` and ``0..B-1``; ``w`` positive weights.
    The projection is solved exactly: the normal equations of the dummy-variable regression,
    with one level of ``b`` dropped in each connected component of the bipartite graph of
    levels (the redundant one), factorised once by sparse LU for every column of ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    n = len(a)
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    rows = np.arange(n)
    ones = np.ones(n)
    mat_a = sp.csr_matrix((ones, (rows, a)), shape=(n, na))
    mat_b = sp.csr_matrix((ones, (rows, b)), shape=(n, nb))
    link = (mat_a.T @ mat_b).tocsr()
    graph = sp.bmat([[None, link], [link.T, None]]).tocsr()
    _, labels = _csgraph.connected_components(graph, directed=False)
    b_labels = labels[na:]
    _, first = np.unique(b_labels, return_index=True)  # one redundant b level per component
    keep_b = np.ones(nb, dtype=bool)
    keep_b[first] = False
    design = sp.hstack([mat_a, mat_b[:, keep_b]]).tocsc()
    gram = (design.T @ sp.diags(w) @ design).tocsc()
    try:
        lu = _splinalg.splu(gram)
    except RuntimeError as exc:
        raise EstimationError(
            "the fixed effects cannot be projected out (singular system); check for matched "
            "sets whose units are never observed in the same event month"
        ) from exc
    theta = lu.solve(np.asarray(design.T @ (w[:, None] * x)))
    return x - design @ theta


@dataclasses.dataclass(frozen=True)
class Fit:
    """Coefficients, CRV1 covariance and counts of one fit."""

    coef: np.ndarray
    vcov: np.ndarray
    n_obs: int
    n_clusters: int
    df_k: int
    ssc: float
    iterations: int | None = None
    dropped: int = 0  # rows dropped (Poisson: fixed-effect groups with only zeros)


def _crv1(
    xt: np.ndarray, resid_scores: np.ndarray, bread_w: np.ndarray, cluster: np.ndarray, k_fe: int
) -> tuple[np.ndarray, int, float, int]:
    """CRV1 covariance (:func:`socdata.did._inference.crv1`) from the demeaned regressors,
    the per-row score multipliers and the bread weights; also ``G``, ``ssc`` and ``K``."""
    n, k = xt.shape
    gram = xt.T @ (bread_w[:, None] * xt)
    try:
        bread = np.linalg.inv(gram)
    except np.linalg.LinAlgError as exc:  # pragma: no cover - guarded by callers
        raise EstimationError("the regressors are collinear with the fixed effects") from exc
    cl_codes, levels = factorize(cluster, sort=True)
    g = len(levels)
    sums = np.zeros((g, k))
    np.add.at(sums, cl_codes, xt * resid_scores[:, None])
    vcov, ssc, df_k = crv1(bread, sums.T @ sums, n=n, n_clusters=g, k_fe=k_fe)
    return vcov, g, ssc, df_k


def fit_ols(
    y: np.ndarray,
    x: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray,
    cluster: np.ndarray,
    *,
    k_fe: int = 1,
) -> Fit:
    """Weighted least squares of ``y`` on ``x`` with fixed effects ``a`` and ``b``."""
    z = within(np.column_stack([y, x]), a, b, w)
    yt, xt = z[:, 0], z[:, 1:]
    gram = xt.T @ (w[:, None] * xt)
    _check_rank(gram)
    coef = np.linalg.solve(gram, xt.T @ (w * yt))
    resid = yt - xt @ coef
    vcov, g, ssc, df_k = _crv1(xt, w * resid, w, cluster, k_fe)
    return Fit(coef, vcov, len(y), g, df_k, ssc)


def _check_rank(gram: np.ndarray) -> None:
    d = np.sqrt(np.clip(np.diag(gram), 0, None))
    if np.any(d <= 1e-12 * max(d.max(initial=0.0), 1.0)):
        raise EstimationError(
            "a regressor is constant within the fixed effects (collinear): e.g. no treated "
            "unit observed at some event time, or no post-period row"
        )
    if np.linalg.cond(gram / np.outer(d, d)) > 1e12:
        raise EstimationError("the regressors are collinear with the fixed effects")


def zero_groups(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows to keep: drop, until none is left, fixed-effect groups whose outcome is all zero."""
    keep = np.ones(len(y), dtype=bool)
    while True:
        changed = False
        for codes in (a, b):
            s = np.bincount(codes[keep], weights=y[keep], minlength=int(codes.max()) + 1)
            bad = keep & (s[codes] <= 0)
            if bad.any():
                keep &= ~bad
                changed = True
        if not changed:
            return keep


def fit_poisson(
    y: np.ndarray,
    x: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray,
    cluster: np.ndarray,
    *,
    k_fe: int = 1,
    tol: float = 1e-13,
    max_iter: int = 100,
) -> Fit:
    """Poisson pseudo-maximum likelihood with fixed effects ``a`` and ``b`` (IRLS).

    Rows in a fixed-effect group whose outcome is zero throughout are dropped first (their
    effect is minus infinity and they carry no information on the slopes), as pyfixest and
    fixest do; ``Fit.dropped`` counts them.
    """
    keep = zero_groups(y, a, b)
    dropped = int((~keep).sum())
    y, x, w, cluster = y[keep], x[keep], w[keep], cluster[keep]
    a = np.unique(a[keep], return_inverse=True)[1]
    b = np.unique(b[keep], return_inverse=True)[1]
    if len(y) == 0:
        raise EstimationError("every fixed-effect group has a zero outcome throughout")
    mu = (y + y.mean()) / 2.0
    eta = np.log(mu)
    dev_old = np.inf
    coef = np.zeros(x.shape[1])
    coef_old = np.full(x.shape[1], np.inf)
    for it in range(1, max_iter + 1):
        z = eta + (y - mu) / mu
        omega = w * mu
        zt = within(np.column_stack([z, x]), a, b, omega)
        xt = zt[:, 1:]
        gram = xt.T @ (omega[:, None] * xt)
        _check_rank(gram)
        coef = np.linalg.solve(gram, xt.T @ (omega * zt[:, 0]))
        resid = zt[:, 0] - xt @ coef
        eta = z - resid
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(y > 0, y * np.log(y / mu), 0.0)
        dev = float(2 * np.sum(w * (term - (y - mu))))
        if abs(dev - dev_old) / (0.1 + abs(dev)) < tol or (
            np.max(np.abs(coef - coef_old)) < 1e-12 and it > 2
        ):
            break
        dev_old = dev
        coef_old = coef
    else:
        raise EstimationError(f"the Poisson fit did not converge in {max_iter} iterations")
    omega = w * mu
    xt = within(x, a, b, omega)
    vcov, g, ssc, df_k = _crv1(xt, w * (y - mu), omega, cluster, k_fe)
    return Fit(coef, vcov, len(y), g, df_k, ssc, iterations=it, dropped=dropped)
