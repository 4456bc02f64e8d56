"""Least squares with unit and period fixed effects on a prepared panel (private).

By the Frisch-Waugh-Lovell theorem the slopes of ``y ~ X + unit FE + period FE`` are the
slopes of the demeaned ``y~`` on the demeaned ``X~``, and the residuals coincide, so the
CRV1 sandwich uses ``X~`` and those residuals.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from socdata.did._demean import TwoWayDemeaner
from socdata.did._inference import cluster_sums, independent_columns, sandwich, small_sample_factor
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
        Demeaned regressors (n, k), demeaned outcome and residuals (n,); ``resid`` is
        ``None`` when the fast path did not need it (use :meth:`residuals`).
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
    xt: np.ndarray
    yt: np.ndarray
    resid: np.ndarray | None
    ssc: float
    df_k: int
    demeaner: TwoWayDemeaner
    kept: list[int]

    def residuals(self) -> np.ndarray:
        """Residuals ``y~ - X~ b`` (computed on demand)."""
        return self.resid if self.resid is not None else self.yt - self.xt @ self.coef


def fit_linear(panel: Panel, *, function: str, drop_collinear: bool = False) -> LinearFit:
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
    """
    dm = TwoWayDemeaner(panel)
    yt = dm.demean(panel.y)
    xt = dm.demean(panel.X)
    gram = xt.T @ xt
    # uncentred sums of squares: a column collinear with the FE demeans to ~0
    raw = np.array([float(panel.X[:, j] @ panel.X[:, j]) for j in range(xt.shape[1])])
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
        gram = gram[np.ix_(kept, kept)]
    if not kept:
        raise EstimationError(f"{function}: no regressor is identified after the fixed effects.")
    bread = np.linalg.inv(gram)
    coef = bread @ (xt.T @ yt)
    k = xt.shape[1]
    if panel.sorted_balanced and panel.cluster_codes is None and k <= 3:
        # person clusters on a sorted balanced panel: per-person score sums
        # sum_t x~ (y~ - x~'b) from row-wise dot products, without n-length temporaries
        shape = (panel.n_units, panel.n_times)
        yg = yt.reshape(shape)
        xg = [xt[:, j].reshape(shape) for j in range(k)]
        scores = np.empty((panel.n_units, k))
        for j in range(k):
            scores[:, j] = np.einsum("it,it->i", xg[j], yg)
            for m in range(k):
                scores[:, j] -= coef[m] * np.einsum("it,it->i", xg[j], xg[m])
        resid = None
    else:
        resid = yt - xt @ coef
        scores = cluster_sums(panel, xt * resid[:, None])
    ssc, df_k = small_sample_factor(
        n=panel.n,
        k=len(kept),
        n_units=panel.n_units,
        n_times=panel.n_times,
        n_clusters=panel.n_clusters,
        unit_nested=panel.unit_cluster_nested(),
        time_nested=panel.time_cluster_nested(),
    )
    vcov = sandwich(bread, scores, ssc)
    return LinearFit(coef, vcov, bread, xt, yt, resid, ssc, df_k, dm, kept)
