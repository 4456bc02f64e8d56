"""Cohort-level sufficient statistics for the influence functions of ATT(g,t) estimators.

Private helper of :mod:`socdata.did.att_gt`.

Every quantity the estimator reports (an ATT(g,t), or an aggregation of them) is
asymptotically linear: ``theta_hat - theta ~ (1/n) sum_i IF_i``.  Its influence function,
for unit ``i`` in cohort ``h``, has the form

    IF_i = beta_h . z_i + c_h,

where ``z_i`` is a feature vector of the unit and ``beta``, ``c`` depend only on the cohort:

* without covariates, ``z_i`` is the unit's outcome vector ``y_i`` (length T), centred within
  its cohort, and ``beta_h``/``c_h`` follow from cohort-by-period means (the ATT(g,t) is a
  difference of cohort mean changes) -- "cohort mode";
* with covariates, ``z_i`` is the unit's vector of per-cell influence functions (length K)
  from the 2x2 doubly robust / IPW / regression estimators, ``beta`` is common to all
  cohorts and ``c_h`` carries the (cohort-level) effect of estimating aggregation weights --
  "common mode".

So every variance, covariance and multiplier-bootstrap draw needs only per-cohort counts,
within-cohort scatter matrices of ``z`` (per cohort in cohort mode, pooled in common mode),
per-cluster sums, and per-draw multiplier-weighted sums.  These are aggregates: no person
row is kept, and an n x (G*T) influence matrix is never formed in cohort mode.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from socdata._lazy import lazy_module

sparse = lazy_module("scipy.sparse")

_SQRT5 = np.sqrt(5.0)


def multipliers(rng: np.random.Generator, size: tuple[int, int], kind: str) -> np.ndarray:
    """Draw multiplier-bootstrap weights with mean 0 and variance 1 (float64)."""
    if kind == "rademacher":
        v = rng.integers(0, 2, size=size, dtype=np.int8).astype(np.float64)
        v *= 2.0
        v -= 1.0
        return v
    # Mammen (1993) two-point weights, third moment 1
    p = (_SQRT5 + 1.0) / (2.0 * _SQRT5)
    lo, hi = (1.0 - _SQRT5) / 2.0, (1.0 + _SQRT5) / 2.0
    return np.where(rng.random(size) < p, lo, hi)


@dataclasses.dataclass(frozen=True)
class IFStats:
    """Aggregates that determine every influence-function variance (see module docstring).

    Attributes
    ----------
    n
        Number of units.
    n_h
        Units per cohort, shape ``(H,)``.
    mode
        ``"cohort"`` (features = outcomes) or ``"common"`` (features = cell IFs).
    scatter
        Within-cohort scatter of the features, ``(H, d, d)`` in cohort mode, pooled
        ``(1, d, d)`` in common mode.
    means
        Cohort means of the features, ``(H, d)`` (used in common mode).
    pairs
        Cohort mode: ``(cell, cohort, a, c)`` arrays describing each cell's influence
        function, ``IF_i = a (z_it - z_ib) + c`` for units of ``cohort`` (``None`` otherwise).
    cell_t, cell_b
        Cohort mode: column of the current and base period of each cell.
    cluster_sums, cluster_n
        Per-cluster sums of centred features ``(C, Hb, d)`` and unit counts ``(C, H)``, or
        ``None`` when units are the clusters.
    boot_sums, boot_n
        Per-draw multiplier-weighted sums of centred features ``(B, Hb, d)`` and of the
        multipliers per cohort ``(B, H)``, or ``None`` without bootstrap.
    sum_zw, sum_ww
        With unit weights ``w`` (cohort mode only) the features are ``z_i = w_i (y_i -
        mean_h)`` and the constant part of an influence function is ``c_h w_i``: then
        ``n_h`` holds the summed weights, ``scatter`` ``sum w^2 (y - mean)(y - mean)'``,
        ``sum_zw`` ``sum w^2 (y - mean)`` ``(H, d)`` and ``sum_ww`` ``sum w^2`` ``(H,)``.
        ``None`` without weights (``sum_zw = 0``, ``sum_ww = n_h``).
    """

    n: int
    n_h: np.ndarray
    mode: str
    scatter: np.ndarray
    means: np.ndarray
    n_cells: int
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    cell_t: np.ndarray | None = None
    cell_b: np.ndarray | None = None
    cluster_sums: np.ndarray | None = None
    cluster_n: np.ndarray | None = None
    boot_sums: np.ndarray | None = None
    boot_n: np.ndarray | None = None
    sum_zw: np.ndarray | None = None
    sum_ww: np.ndarray | None = None

    # ------------------------------------------------------------------ coefficients
    def coefficients(
        self, weights: np.ndarray, extra: np.ndarray | None = None
    ) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Influence-function coefficients of linear combinations of cells.

        Parameters
        ----------
        weights
            ``(J, K)`` array or sparse matrix: functional ``j`` is
            ``sum_k weights[j, k] * ATT_k``.
        extra
            ``(J, H)`` cohort-level additions to the influence function (estimated
            aggregation weights), or None.

        Returns
        -------
        beta, c
            ``beta`` as a sparse ``(J, Hb * d)`` matrix (cohort-major), ``c`` ``(J, H)``.
        """
        if sparse.issparse(weights):
            w = sparse.csr_matrix(weights, dtype=np.float64)
        else:
            w = sparse.csr_matrix(np.atleast_2d(np.asarray(weights, dtype=np.float64)))
        n_h = len(self.n_h)
        if self.mode == "cohort":
            k, h, a, c = self.pairs
            d = self.scatter.shape[1]
            rows = np.concatenate([k, k])
            cols = np.concatenate([h * d + self.cell_t[k], h * d + self.cell_b[k]])
            vals = np.concatenate([a, -a])
            amat = sparse.csr_matrix((vals, (rows, cols)), shape=(self.n_cells, n_h * d))
            cmat = sparse.csr_matrix((c, (k, h)), shape=(self.n_cells, n_h))
            beta = (w @ amat).tocsr()
            cc = np.asarray((w @ cmat).todense())
        else:
            beta = w
            cc = np.asarray(w @ self.means.T)
        if extra is not None:
            cc = cc + extra
        return beta, cc

    # ------------------------------------------------------------------ moments
    def gram(
        self, weights: np.ndarray, extra: np.ndarray | None = None, *, full: bool = False
    ) -> np.ndarray:
        """Sum over clusters of products of influence functions.

        Returns ``sum_i IF_ij^2`` (``(J,)``), or the ``(J, J)`` matrix of cross products
        when ``full``; clustered sums when the statistics carry clusters.  The variance of
        the functional is this divided by ``n**2``.
        """
        beta, c = self.coefficients(weights, extra)
        if self.cluster_sums is not None:
            n_cl = self.cluster_sums.shape[0]
            s = np.asarray(beta @ self.cluster_sums.reshape(n_cl, -1).T) + c @ self.cluster_n.T
            return s @ s.T if full else np.einsum("jc,jc->j", s, s)
        n_j = beta.shape[0]
        d = self.scatter.shape[1]
        sww = self.n_h if self.sum_ww is None else self.sum_ww
        out = (c * sww) @ c.T if full else (c * c) @ sww
        if self.sum_zw is not None:
            n_h = len(self.n_h)
            rows = np.arange(n_h * d)
            blk = sparse.csr_matrix((self.sum_zw.ravel(), (rows, rows // d)), shape=(n_h * d, n_h))
            bz = np.asarray((beta @ blk).todense())  # (J, H): beta_jh . sum_zw_h
            out = out + (bz @ c.T + c @ bz.T if full else 2.0 * np.einsum("jh,jh->j", bz, c))
        beta = beta.tocsc()
        for hb in range(self.scatter.shape[0]):
            b = beta[:, hb * d : (hb + 1) * d].tocsr()
            if b.nnz == 0:
                continue
            rows = np.flatnonzero(np.diff(b.indptr))
            br = b[rows].toarray()
            bw = br @ self.scatter[hb]
            if full:
                out[np.ix_(rows, rows)] += bw @ br.T
            else:
                out[rows] += np.einsum("jd,jd->j", bw, br)
        return out.reshape(n_j, n_j) if full else out

    def variance(self, weights: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
        """Analytic variance of each functional (``gram / n**2``)."""
        return self.gram(weights, extra) / float(self.n) ** 2

    def covariance(self, weights: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
        """Analytic covariance matrix of the functionals."""
        return self.gram(weights, extra, full=True) / float(self.n) ** 2

    def boot_deviations(
        self, weights: np.ndarray, extra: np.ndarray | None = None
    ) -> np.ndarray | None:
        """Multiplier-bootstrap draws of ``theta* - theta_hat``, shape ``(B, J)``."""
        if self.boot_sums is None:
            return None
        beta, c = self.coefficients(weights, extra)
        n_b = self.boot_sums.shape[0]
        s = np.asarray(beta @ self.boot_sums.reshape(n_b, -1).T).T + self.boot_n @ c.T
        return s / float(self.n)


# ---------------------------------------------------------------------- builders
def _cohort_blocks(cohort_code: np.ndarray, n_h_total: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(cohort_code, kind="stable")
    counts = np.bincount(cohort_code, minlength=n_h_total)
    starts = np.concatenate([[0], np.cumsum(counts)])
    return order, starts


def cohort_mode_stats(
    y: np.ndarray,
    cohort_code: np.ndarray,
    n_cohorts: int,
    *,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    cell_t: np.ndarray,
    cell_b: np.ndarray,
    cluster_code: np.ndarray | None,
    n_clusters: int,
    n_boot: int,
    boot_weights: str,
    rng: np.random.Generator | None,
    weights: np.ndarray | None = None,
) -> tuple[IFStats, np.ndarray]:
    """Build :class:`IFStats` in cohort mode from the ``(n, T)`` outcome matrix.

    Returns the statistics and the cohort means ``(H, T)`` (needed for the estimates).
    One pass over the data: units are grouped by cohort, each cohort block is centred and
    its scatter matrix formed with one matrix product.
    """
    n, n_t = y.shape
    order, starts = _cohort_blocks(cohort_code, n_cohorts)
    counts = np.diff(starts)
    n_h = counts.astype(np.float64)
    szw = np.zeros((n_cohorts, n_t)) if weights is not None else None
    sww = np.zeros(n_cohorts) if weights is not None else None
    means = np.zeros((n_cohorts, n_t))
    scatter = np.zeros((n_cohorts, n_t, n_t))
    csums = np.zeros((n_clusters, n_cohorts, n_t)) if cluster_code is not None else None
    cn = np.zeros((n_clusters, n_cohorts)) if cluster_code is not None else None
    unit_boot = n_boot > 0 and cluster_code is None
    bsums = np.zeros((n_boot, n_cohorts, n_t)) if unit_boot else None
    bn = np.zeros((n_boot, n_cohorts)) if unit_boot else None
    for h in range(n_cohorts):
        if counts[h] == 0:
            continue
        idx = order[starts[h] : starts[h + 1]]
        # a contiguous slice avoids a gather when units are already grouped by cohort
        if idx[-1] - idx[0] + 1 == len(idx):
            yc = y[idx[0] : idx[-1] + 1].copy()
        else:
            yc = y[idx]  # a copy (fancy indexing): centred in place below
        if weights is None:
            wh = np.ones(len(idx))
            mu = yc.mean(axis=0)
            yc -= mu
            scatter[h] = yc.T @ yc
        else:
            wh = weights[idx]
            n_h[h] = wh.sum()
            mu = (wh @ yc) / n_h[h] if n_h[h] > 0 else yc.mean(axis=0)
            yc -= mu
            yc *= wh[:, None]  # features z = w (y - mean)
            scatter[h] = yc.T @ yc
            szw[h] = wh @ yc
            sww[h] = wh @ wh
        means[h] = mu
        if csums is not None:
            cl = cluster_code[idx]
            ind = sparse.csr_matrix(
                (np.ones(len(idx)), (cl, np.arange(len(idx)))), shape=(n_clusters, len(idx))
            )
            csums[:, h, :] = ind @ yc
            cn[:, h] = np.bincount(cl, weights=wh, minlength=n_clusters)
        if unit_boot:
            chunk = max(1, min(n_boot, 20_000_000 // max(len(idx), 1)))
            for b0 in range(0, n_boot, chunk):
                b1 = min(n_boot, b0 + chunk)
                v = multipliers(rng, (b1 - b0, len(idx)), boot_weights)
                bsums[b0:b1, h, :] = v @ yc
                bn[b0:b1, h] = v @ wh
        del yc
    if n_boot > 0 and cluster_code is not None:
        v = multipliers(rng, (n_boot, n_clusters), boot_weights)
        bsums = np.einsum("bc,chd->bhd", v, csums)
        bn = v @ cn
    stats = IFStats(
        n=n,
        n_h=n_h,
        mode="cohort",
        scatter=scatter,
        means=means,
        n_cells=len(cell_t),
        pairs=pairs,
        cell_t=cell_t,
        cell_b=cell_b,
        cluster_sums=csums,
        cluster_n=cn,
        boot_sums=bsums,
        boot_n=bn,
        sum_zw=szw,
        sum_ww=sww,
    )
    return stats, means


def common_mode_stats(
    z: np.ndarray,
    cohort_code: np.ndarray,
    n_cohorts: int,
    *,
    cluster_code: np.ndarray | None,
    n_clusters: int,
    n_boot: int,
    boot_weights: str,
    rng: np.random.Generator | None,
) -> IFStats:
    """Build :class:`IFStats` in common mode from the ``(n, K)`` matrix of cell IFs."""
    n, k = z.shape
    n_h = np.bincount(cohort_code, minlength=n_cohorts).astype(np.float64)
    onehot = sparse.csr_matrix((np.ones(n), (np.arange(n), cohort_code)), shape=(n, n_cohorts))
    sums = np.asarray(onehot.T @ z)
    means = np.divide(sums, n_h[:, None], out=np.zeros_like(sums), where=n_h[:, None] > 0)
    zc = z - means[cohort_code]
    scatter = (zc.T @ zc)[None, :, :]
    csums = cn = bsums = bn = None
    if cluster_code is not None:
        ind = sparse.csr_matrix((np.ones(n), (cluster_code, np.arange(n))), shape=(n_clusters, n))
        csums = np.asarray(ind @ zc)[:, None, :]
        cn = np.asarray((ind @ onehot).todense())
    if n_boot > 0:
        if cluster_code is not None:
            v = multipliers(rng, (n_boot, n_clusters), boot_weights)
            bsums = (v @ csums[:, 0, :])[:, None, :]
            bn = v @ cn
        else:
            bsums = np.zeros((n_boot, 1, k))
            bn = np.zeros((n_boot, n_cohorts))
            chunk = max(1, min(n_boot, 20_000_000 // max(n, 1)))
            for b0 in range(0, n_boot, chunk):
                b1 = min(n_boot, b0 + chunk)
                v = multipliers(rng, (b1 - b0, n), boot_weights)
                bsums[b0:b1, 0, :] = v @ zc
                bn[b0:b1] = np.asarray((onehot.T @ v.T).T)
    return IFStats(
        n=n,
        n_h=n_h,
        mode="common",
        scatter=scatter,
        means=means,
        n_cells=k,
        cluster_sums=csums,
        cluster_n=cn,
        boot_sums=bsums,
        boot_n=bn,
    )


def stats_from_moments(
    n_h: np.ndarray,
    means: np.ndarray,
    scatter: np.ndarray,
    *,
    cell_t: np.ndarray,
    cell_b: np.ndarray,
    cluster_n: np.ndarray | None = None,
    cluster_sum: np.ndarray | None = None,
) -> IFStats:
    """:class:`IFStats` in cohort mode from cohort moments (no unit rows).

    ``n_h`` units per cohort, ``means`` ``(H, T)``, ``scatter`` the within-cohort scatter
    ``(H, T, T)``; with clusters, units ``(C, H)`` and summed outcomes ``(C, H, T)`` per
    cluster and cohort (the centred cluster sums are ``sum - n * mean``).  The same
    statistics :func:`cohort_mode_stats` computes from the ``(n, T)`` outcome matrix
    (unweighted, analytic inference).
    """
    csums = None
    if cluster_sum is not None:
        csums = cluster_sum - cluster_n[:, :, None] * means[None, :, :]
    return IFStats(
        n=round(float(np.sum(n_h))),
        n_h=np.asarray(n_h, dtype=np.float64),
        mode="cohort",
        scatter=scatter,
        means=means,
        n_cells=len(cell_t),
        cell_t=cell_t,
        cell_b=cell_b,
        cluster_sums=csums,
        cluster_n=None if cluster_n is None else np.asarray(cluster_n, dtype=np.float64),
    )
