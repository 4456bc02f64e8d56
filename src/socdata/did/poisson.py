"""Poisson fixed-effects DiD for counts (arrests, missing episodes), reported as rate ratios.

``E[y_it] = exposure_it * exp(beta * D_it + gamma' Z_it + alpha_i + lambda_t)``, estimated by
Poisson pseudo-maximum likelihood (PPML): consistent whenever the conditional mean is right,
whatever the distribution of the counts (over-dispersion included), with cluster-robust
standard errors.  The fit is iteratively re-weighted least squares in which each step
projects the unit and period effects out of the working variables with weights ``mu``
(the algorithm of fixest's ``fepois``, pyfixest and Stata's ``ppmlhdfe``), using the exact
weighted demeaning of :mod:`socdata.did._demean`.

Units whose outcome is zero in every period, and periods with a zero outcome for every unit,
have fixed effects at minus infinity and carry no information about ``beta``; they are
dropped before fitting (iteratively, with singletons) and counted in the flow log.

Convergence: the relative change in deviance ``|dev - dev_old| / (0.1 + |dev|)`` below
``tol`` (fixest's criterion; default ``1e-10``, tighter than pyfixest's ``1e-8``).
Standard errors: CRV1 with the same small-sample convention as :func:`socdata.did.twfe`;
scores ``x~ (y - mu)`` and bread ``(x~' diag(mu) x~)^-1``, with ``x~`` the regressors
demeaned with weights ``mu`` at the converged fit (pyfixest uses the working quantities of
its last step, which converge to the same matrix: agreement to 1e-8 once both are tightly
converged).

Weights (``weights=``): each observation's contribution to the pseudo-likelihood is
multiplied by its weight, so the IRLS working weights are ``w * mu``, the deviance is
weighted and the scores are ``w x~ (y - mu)`` with bread ``(x~' diag(w mu) x~)^-1``
(pyfixest's ``fepois(..., weights=...)``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from socdata.did._demean import TwoWayDemeaner
from socdata.did._inference import (
    cluster_sums,
    independent_columns,
    panel_crv1,
)
from socdata.did._panel import Panel, build_panel
from socdata.did._prune import drop_uninformative
from socdata.did._results import FixedEffectsResult
from socdata.did._threads import single_threaded_blas
from socdata.did.twfe import check_options, few_cluster_policy, fixed_effects_result
from socdata.errors import EstimationError, SocdataWarning, caller_stacklevel
from socdata.provenance import FrameFingerprint

__all__ = ["poisson_twfe"]


@single_threaded_blas
def poisson_twfe(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    cluster: str | None = None,
    covariates: Sequence[str] | None = None,
    exposure: str | None = None,
    conf_level: float = 0.95,
    inference: str = "auto",
    tol: float = 1e-10,
    max_iter: int = 100,
    weights: str | None = None,
) -> FixedEffectsResult:
    """Poisson PML with unit and period fixed effects; treatment effect as a rate ratio.

    Parameters
    ----------
    data
        Long panel, one row per unit and period.  Not modified.
    outcome
        Non-negative count column (e.g. ``"arrests"``).
    unit, time
        Unit (person) and period (calendar month) columns.
    treatment
        Time-varying treatment indicator (0/1).
    cluster
        Cluster column; ``None`` clusters by ``unit``.  With fewer than 30 clusters a
        :class:`~socdata.errors.SmallClusterWarning` is raised and ``summary()`` says the
        cluster formula is unreliable (the wild bootstrap is implemented for the linear
        model only; use :func:`socdata.did.twfe` with ``cluster=`` for area-level tests).
    covariates
        Further time-varying regressors.
    exposure
        Column of exposure (e.g. ``"exposure_days"``, days at risk in the month, > 0);
        ``log(exposure)`` enters as an offset so the model is for the rate per day.
    conf_level
        Confidence level.
    inference
        ``"auto"`` or ``"analytic"`` (CRV1 t inference; the bootstrap is not available here).
    tol, max_iter
        IRLS convergence tolerance (relative deviance change) and iteration cap.
    weights
        Column of non-negative observation weights (analytic/matching weights); ``None``
        (default) unweighted.  The weights multiply the IRLS working weights.  Rows with
        weight 0 are excluded and counted in the flow log.

    Returns
    -------
    FixedEffectsResult
        ``tidy()`` rows per regressor: ``estimate`` on the log scale, plus ``rate_ratio``,
        ``rate_ratio_conf_low`` and ``rate_ratio_conf_high``.

    Raises
    ------
    socdata.errors.EstimationError
        Negative outcomes, missing columns, non-convergence, a collinear treatment,
        negative or missing weights.
    """
    parameters = {k: v for k, v in locals().items() if k != "data"}
    parameters["covariates"] = list(covariates or [])
    fn = "socdata.did.poisson_twfe"
    check_options(fn, inference, conf_level)
    if inference == "bootstrap":
        raise EstimationError(
            f"{fn}: inference='bootstrap' is not available for the Poisson model; use "
            "socdata.did.twfe(..., cluster=..., inference='bootstrap') for a wild cluster "
            "bootstrap of the linear model."
        )
    regs = [treatment, *(covariates or [])]
    columns = [outcome, unit, time, *regs, cluster, exposure, weights]
    digest = FrameFingerprint(data, columns).start()  # hashing overlaps the fit
    panel = build_panel(
        data,
        function=fn,
        outcome=outcome,
        unit=unit,
        time=time,
        treatment=treatment,
        covariates=tuple(covariates or ()),
        cluster=cluster,
        offset_column=exposure,
        weights=weights,
    )
    _check_counts(panel, fn, outcome)
    panel = drop_uninformative(panel, function=fn, poisson=True)
    cluster_name = cluster or unit
    few_cluster_policy(fn, panel, cluster_name, "analytic" if inference == "auto" else inference)

    beta, mu, iterations, last = _irls(panel, function=fn, tol=tol, max_iter=max_iter)
    vcov, ssc, df_k = _sandwich_at(panel, mu)
    rr = np.exp(beta[0])
    if not np.isfinite(rr):
        warnings.warn(
            f"{fn}: rate ratio is not finite.", SocdataWarning, stacklevel=caller_stacklevel()
        )
    return fixed_effects_result(
        fn,
        data,
        panel,
        method="poisson_twfe",
        coef=beta,
        vcov=vcov,
        ssc=ssc,
        df_k=df_k,
        cluster_name=cluster_name,
        parameters=parameters,
        fingerprint=digest,
        notes=[f"IRLS converged in {iterations} iterations (deviance {last:.6g})."],
        scale="log",
        iterations=iterations,
    )


def _check_counts(panel: Panel, function: str, outcome: str) -> None:
    """Raise when the outcome has negative values (Poisson needs non-negative outcomes)."""
    neg = panel.y < 0
    if neg.any():
        raise EstimationError(
            f"{function}: outcome {outcome!r} has {int(neg.sum())} negative values (e.g. "
            f"{panel.y[neg][0]:g}); Poisson models need counts or other non-negative outcomes."
        )


def _gram(xt: np.ndarray, omega: np.ndarray, zt: np.ndarray | None = None):
    """``x~' diag(omega) x~`` (and ``x~' diag(omega) z~`` when ``zt`` is given)."""
    k = xt.shape[1]
    xwx = np.empty((k, k))
    xwz = np.empty(k) if zt is not None else None
    for j in range(k):
        if zt is not None:
            xwz[j] = np.einsum("i,i,i->", xt[:, j], omega, zt)
        for m in range(j, k):
            xwx[j, m] = xwx[m, j] = np.einsum("i,i,i->", xt[:, j], omega, xt[:, m])
    return xwx, xwz


def _check_collinear(panel: Panel, xwx: np.ndarray, function: str) -> None:
    """Raise when a regressor is collinear with the fixed effects or the others."""
    x = panel.X
    k = x.shape[1]
    # uncentred sums of squares: a column collinear with the FE demeans to ~0
    raw = np.array([float(x[:, j] @ x[:, j]) for j in range(k)])
    kept = independent_columns(xwx)
    bad = [
        panel.names[j]
        for j in range(k)
        if j not in kept or xwx[j, j] <= 1e-10 * max(raw[j], 1e-300)
    ]
    if bad:
        raise EstimationError(
            f"{function}: regressor(s) {bad} are collinear with the unit and period fixed "
            "effects or with each other; use a time-varying treatment indicator."
        )


def _irls(
    panel: Panel, *, function: str, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, int, float]:
    """PPML by IRLS with the fixed effects projected out: ``beta``, ``mu``, iterations and
    the final deviance (see the module notes for the convergence rule)."""
    y, x = panel.y, panel.X
    off = panel.offset
    wts = panel.weights
    # deviance 2 sum(y log(y/mu) - (y - mu)) = 2 (sum y log y - y'eta - sum y + sum mu)
    # with eta = log mu: two passes per evaluation, the y log y term computed once
    # (weighted: every term multiplied by w)
    pos = y > 0
    if wts is None:
        ylogy = float(np.sum(y[pos] * np.log(y[pos])))
    else:
        ylogy = float(np.sum(wts[pos] * y[pos] * np.log(y[pos])))
    del pos
    sum_y = float(y.sum())
    wy = y if wts is None else wts * y
    sum_wy = float(wy.sum())

    def deviance(eta: np.ndarray, mu: np.ndarray) -> float:
        if wts is None:
            return 2.0 * (ylogy - float(y @ eta) - sum_y + float(mu.sum()))
        return 2.0 * (ylogy - float(wy @ eta) - sum_wy + float(wts @ mu))

    n, k = x.shape
    # buffers reused across IRLS steps: on tens of millions of rows, allocating (and
    # page-faulting) fresh arrays each step costs more than the arithmetic
    mu = (y + sum_y / n) / 2
    eta = np.log(mu)
    z = np.empty(n)
    zt = np.empty(n)
    xt = np.empty((n, k), order="F")
    work = np.empty(n)
    wmu = None if wts is None else np.empty(n)  # IRLS working weights w * mu
    last = deviance(eta, mu)
    crit = np.inf
    beta = np.zeros(k)
    for it in range(1, max_iter + 1):
        # working variable z = eta - offset + (y - mu) / mu
        np.divide(y, mu, out=z)
        z -= 1.0
        z += eta
        if off is not None:
            z -= off
        if wmu is not None:
            np.multiply(wts, mu, out=wmu)
        omega = mu if wmu is None else wmu
        dm = TwoWayDemeaner(panel, weights=omega, work=work)
        dm.demean(z, out=zt)
        dm.demean(x, out=xt)
        xwx, xwz = _gram(xt, omega, zt)
        if it == 1:
            _check_collinear(panel, xwx, function)
        beta = np.linalg.solve(xwx, xwz)
        # linear predictor = z - (z~ - x~ b) + offset, then mu = exp(eta), in place
        np.subtract(z, zt, out=eta)
        for j in range(k):
            np.multiply(xt[:, j], beta[j], out=work)
            eta += work
        if off is not None:
            eta += off
        np.exp(eta, out=mu)
        dev = deviance(eta, mu)
        crit = abs(dev - last) / (0.1 + abs(last))
        last = dev
        if crit < tol:
            return beta, mu, it, last
    raise EstimationError(
        f"{function}: IRLS did not converge in {max_iter} iterations (relative deviance change "
        f"{crit:.2e} > tol {tol:g}). Increase max_iter, or check for a regressor that "
        "perfectly predicts zero counts (separation)."
    )


def _sandwich_at(panel: Panel, mu: np.ndarray) -> tuple[np.ndarray, float, int]:
    """CRV1 covariance at the converged mean: ``x~`` re-projected with weights ``mu``,
    scores ``x~ (y - mu)``; exact at the optimum whatever the stopping point (pyfixest's
    last-step working quantities converge to the same matrix)."""
    y, x, wts = panel.y, panel.X, panel.weights
    n, k = x.shape
    work = np.empty(n)
    omega = mu if wts is None else wts * mu
    xt = np.empty((n, k), order="F")
    dm = TwoWayDemeaner(panel, weights=omega, work=work)
    dm.demean(x, out=xt)
    xwx, _ = _gram(xt, omega)
    bread = np.linalg.inv(xwx)
    resid = np.subtract(y, mu, out=work)  # response residuals y - mu
    if wts is not None:
        resid *= wts  # weighted scores w x~ (y - mu)
    if panel.sorted_balanced and panel.cluster_codes is None:
        shape = (panel.n_units, panel.n_times)
        rg = resid.reshape(shape)
        g_scores = np.column_stack(
            [np.einsum("it,it->i", xt[:, j].reshape(shape), rg) for j in range(k)]
        )
    else:
        g_scores = cluster_sums(panel, xt * resid[:, None])
    return panel_crv1(panel, bread, g_scores)
