"""Least squares with unit and period fixed effects on a prepared panel (private).

By the Frisch-Waugh-Lovell theorem the slopes of ``y ~ X + unit FE + period FE`` are the
slopes of the demeaned ``y~`` on the demeaned ``X~``, and the residuals coincide, so the
CRV1 sandwich uses ``X~`` and those residuals.

With observation weights ``w`` (``panel.weights``) the same holds for weighted least squares:
the fixed effects are projected out with weights ``w`` (exact weighted demeaning), the slopes
are ``(X~'WX~)^-1 X~'Wy~`` and the cluster scores are ``sum_g w x~ e``, pyfixest's
``feols(..., weights=...)`` (analytic weights; ``N`` in the small-sample factor is the
number of rows, not the sum of the weights).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from socdata.did._demean import TwoWayDemeaner
from socdata.did._inference import cluster_sums, independent_columns, panel_crv1
from socdata.did._panel import Panel
from socdata.errors import EstimationError


@dataclasses.dataclass(frozen=True, eq=False)
class LinearFit:
    """Transient fit (holds n-length arrays; never stored in a result).

    Attributes
    ----------
    coef, vcov
        Slopes and CRV1 covariance (k,) and (k, k).
    bread
        ``(X~'X~)^-1``.
    xt, yt, resid
        Demeaned regressors (n, k), demeaned outcome and residuals (n,); all ``None`` on
        the moments-only fast path (``need_arrays=False``).
    ssc, df_k
        Small-sample factor and its K.
    demeaner
        The projector (reused by the wild bootstrap).
    kept
        Indices of the regressors kept (others collinear with the fixed effects).
    """

    coef: np.ndarray
    vcov: np.ndarray
    bread: np.ndarray
    xt: np.ndarray | None
    yt: np.ndarray | None
    resid: np.ndarray | None
    ssc: float
    df_k: int
    demeaner: TwoWayDemeaner
    kept: list[int]

    def residuals(self) -> np.ndarray:
        """Residuals ``y~ - X~ b`` (computed on demand)."""
        return self.resid if self.resid is not None else self.yt - self.xt @ self.coef


def _grid_moments(
    panel: Panel,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float] | None:
    """Per-unit cross-products of the two-way demeaned columns, without demeaning.

    For a sorted balanced panel with grids ``A`` and ``B`` (units x periods), row means
    ``r``, column means ``c`` and ``c' = c - grand mean``, the demeaned cross-product within
    unit ``i`` is ``sum_t A B - T r_A r_B - (A c'_B)_i - (B c'_A)_i + c'_A . c'_B`` (the other
    terms vanish because ``sum_t c' = 0``).  Every term is a read-only pass (row-wise dot
    products, matrix-vector products), so no n-length array is written.

    Returns ``(sxy, sxx, gram, xty, ratio)`` with ``sxy`` (units, k), ``sxx`` (units, k, k),
    or ``None`` when the columns' means are so large next to their within variation that
    the expansion would lose precision (then the caller demeans explicitly).
    """
    na, nb = panel.n_units, panel.n_times
    k = panel.X.shape[1]
    cols = [panel.y.reshape(na, nb)] + [
        np.ascontiguousarray(panel.X[:, j]).reshape(na, nb) for j in range(k)
    ]
    row = [c.mean(axis=1) for c in cols]
    colm = [c.mean(axis=0) for c in cols]
    cprime = [cm - r.mean() for cm, r in zip(colm, row, strict=True)]

    def cross(a: int, b: int) -> np.ndarray:
        e = np.einsum("it,it->i", cols[a], cols[b])
        e -= nb * row[a] * row[b]
        e -= cols[a] @ cprime[b]
        e -= cols[b] @ cprime[a]
        e += float(cprime[a] @ cprime[b])
        return e

    sxy = np.empty((na, k))
    sxx = np.empty((na, k, k))
    for j in range(k):
        sxy[:, j] = cross(j + 1, 0)
        for m in range(j, k):
            sxx[:, j, m] = sxx[:, m, j] = cross(j + 1, m + 1)
    syy = cross(0, 0)
    # precision guard: uncentred over demeaned sums of squares (rounding error ~ eps * ratio)
    ratio = 0.0
    for a, ss in [(0, float(syy.sum()))] + [(j + 1, float(sxx[:, j, j].sum())) for j in range(k)]:
        unc = float(np.einsum("it,it->", cols[a], cols[a]))
        if ss <= 0:
            ratio = max(ratio, np.inf if unc > 0 else 0.0)
        else:
            ratio = max(ratio, unc / ss)
    if ratio > 1e4:
        return None
    return sxy, sxx, sxx.sum(axis=0), sxy.sum(axis=0), ratio


def fit_linear(
    panel: Panel, *, function: str, drop_collinear: bool = False, need_arrays: bool = False
) -> LinearFit:
    """OLS slopes with two-way fixed effects and CRV1 covariance.

    Parameters
    ----------
    panel
        Prepared panel (clusters set).
    function
        Public function name for messages.
    drop_collinear
        Drop regressors collinear with the fixed effects or each other (event studies);
        otherwise raise :class:`~socdata.errors.EstimationError` naming them.
    need_arrays
        Keep the demeaned arrays (the wild bootstrap needs them).  Otherwise a sorted
        balanced panel clustered by unit with at most 3 regressors uses
        :func:`_grid_moments` and never materialises them.
    """
    k0 = panel.X.shape[1]
    w = panel.weights
    if w is not None:
        return _fit_weighted(panel, w, function=function, drop_collinear=drop_collinear)
    if panel.sorted_balanced and panel.cluster_codes is None and k0 <= 3 and not need_arrays:
        moments = _grid_moments(panel)
        if moments is not None:
            sxy, sxx, gram, xty, _ = moments
            raw = np.array([float(panel.X[:, j] @ panel.X[:, j]) for j in range(k0)])
            kept = [
                j for j in independent_columns(gram) if gram[j, j] > 1e-10 * max(raw[j], 1e-300)
            ]
            if len(kept) == k0:
                bread = np.linalg.inv(gram)
                coef = bread @ xty
                scores = sxy - np.einsum("ijm,m->ij", sxx, coef)
                vcov, ssc, df_k = panel_crv1(panel, bread, scores)
                return LinearFit(
                    coef,
                    vcov,
                    bread,
                    None,
                    None,
                    None,
                    ssc,
                    df_k,
                    TwoWayDemeaner(panel),
                    list(range(k0)),
                )
    return _fit_weighted(panel, None, function=function, drop_collinear=drop_collinear)


def _fit_weighted(
    panel: Panel, w: np.ndarray | None, *, function: str, drop_collinear: bool
) -> LinearFit:
    """General path: explicit (weighted when ``w`` is given) demeaning, then the sandwich."""
    dm = TwoWayDemeaner(panel, weights=w)
    yt = dm.demean(panel.y)
    xt = dm.demean(panel.X)
    wxt = xt if w is None else xt * w[:, None]
    gram = wxt.T @ xt
    # uncentred sums of squares: a column collinear with the FE demeans to ~0
    if w is None:
        raw = np.array([float(panel.X[:, j] @ panel.X[:, j]) for j in range(xt.shape[1])])
    else:
        raw = np.array([float((w * panel.X[:, j]) @ panel.X[:, j]) for j in range(xt.shape[1])])
    kept = [j for j in independent_columns(gram) if gram[j, j] > 1e-10 * max(raw[j], 1e-300)]
    if len(kept) < xt.shape[1]:
        dropped = [panel.names[j] for j in range(xt.shape[1]) if j not in kept]
        if not drop_collinear:
            raise EstimationError(
                f"{function}: regressor(s) {dropped} are collinear with the unit and period "
                "fixed effects (e.g. constant within every unit, or the same for everyone in "
                "each period) or with each other, so their effect is not identified. Rule: a "
                "treatment must switch on within units at different times. Use a "
                "time-varying treatment indicator (e.g. treated x post), not the group label."
            )
        xt = np.asfortranarray(xt[:, kept])
        wxt = xt if w is None else xt * w[:, None]
        gram = gram[np.ix_(kept, kept)]
    if not kept:
        raise EstimationError(f"{function}: no regressor is identified after the fixed effects.")
    bread = np.linalg.inv(gram)
    coef = bread @ (wxt.T @ yt)
    resid = yt - xt @ coef
    scores = cluster_sums(panel, wxt * resid[:, None])
    vcov, ssc, df_k = panel_crv1(panel, bread, scores)
    return LinearFit(coef, vcov, bread, xt, yt, resid, ssc, df_k, dm, kept)
