"""2x2 panel DiD estimators with covariates and their influence functions.

Private helper of :mod:`socdata.did.att_gt`.  The formulas are those of Sant'Anna and Zhao
(2020, *Journal of Econometrics* 219(1)) for panel data, in the form R ``did::att_gt`` calls
them through the DRDID package:

* ``"dr"``  -- the locally efficient doubly robust estimator with a logit propensity score
  fitted by maximum likelihood and a linear outcome regression of the change in outcome
  fitted on the comparison units (``DRDID::drdid_panel``);
* ``"ipw"`` -- the normalised (Hajek) inverse-probability-weighted estimator
  (``DRDID::std_ipw_did_panel``);
* ``"reg"`` -- the outcome-regression estimator (``DRDID::reg_did_panel``);
* ``"dr_imp"`` -- the improved locally efficient doubly robust estimator of Sant'Anna and
  Zhao (2020, section 3.1): propensity score by inverse probability tilting (Graham, Pinto
  and Egel 2012), outcome regression by least squares weighted with the fitted odds
  (``DRDID::drdid_imp_panel``).  Its influence function has no estimation effect of the
  nuisance models (they vanish by construction), so it is doubly robust for inference too.

Each function returns the estimate and the influence function on the 2x2 subsample,
normalised so that ``att_hat - att ~ mean(IF)``; the estimation effect of the nuisance
models is included.  As in DRDID, propensity scores are capped at ``1 - 1e-6`` and comparison
units with a score of 0.995 or more get zero weight (trimming).
"""

from __future__ import annotations

import numpy as np

from socdata._lazy import lazy_module
from socdata.errors import EstimationError

special = lazy_module("scipy.special")

TRIM_LEVEL = 0.995


def fit_logit(
    d: np.ndarray, x: np.ndarray, *, tol: float = 1e-12, max_iter: int = 100
) -> np.ndarray:
    """Maximum-likelihood logit coefficients by Newton-Raphson (``x`` includes the intercept)."""
    p0 = np.clip(d.mean(), 1e-12, 1 - 1e-12)
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(p0 / (1 - p0))
    for _ in range(max_iter):
        p = special.expit(x @ beta)
        grad = x.T @ (d - p)
        hess = (x * (p * (1 - p))[:, None]).T @ x
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as exc:
            raise EstimationError(
                "the propensity-score design is singular (collinear or constant covariates "
                "within a 2x2 comparison); remove or combine covariates."
            ) from exc
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            return beta
    raise EstimationError(
        "the propensity-score logit did not converge (perfect separation of treated and "
        "comparison units by the covariates?); remove covariates or use est_method='reg'."
    )


def _wls(y: np.ndarray, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    xtwx = (x * w[:, None]).T @ x
    try:
        return np.linalg.solve(xtwx, (x * w[:, None]).T @ y)
    except np.linalg.LinAlgError as exc:
        raise EstimationError(
            "the outcome-regression design for the comparison units is singular "
            "(collinear covariates, or a covariate constant among comparison units); "
            "remove or combine covariates."
        ) from exc


def _pscore(d: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    beta = fit_logit(d, x)
    ps = np.minimum(special.expit(x @ beta), 1 - 1e-6)
    trim = np.ones_like(ps)
    ctrl = d == 0
    trim[ctrl] = (ps[ctrl] < TRIM_LEVEL).astype(float)
    n = len(d)
    info = (x * (ps * (1 - ps))[:, None]).T @ x
    hess_inv = np.linalg.inv(info) * n
    asy_ps = ((d - ps)[:, None] * x) @ hess_inv
    return ps, trim, asy_ps


def _ols_rep(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = 1.0 - d
    coef = _wls(dy, x, w)
    fitted = x @ coef
    n = len(d)
    xpx_inv = np.linalg.inv((x * w[:, None]).T @ x / n)
    asy = ((w * (dy - fitted))[:, None] * x) @ xpx_inv
    return fitted, asy


def dr_panel(y1, y0, d, x) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DiD for panel data (``DRDID::drdid_panel``)."""
    dy = y1 - y0
    ps, trim, asy_ps = _pscore(d, x)
    out, asy_ols = _ols_rep(dy, d, x)
    w_t = trim * d
    w_c = trim * ps * (1 - d) / (1 - ps)
    att_t = w_t * (dy - out)
    att_c = w_c * (dy - out)
    eta_t = att_t.mean() / w_t.mean()
    eta_c = att_c.mean() / w_c.mean()
    inf_t = (att_t - w_t * eta_t - asy_ols @ (w_t[:, None] * x).mean(0)) / w_t.mean()
    m2 = (w_c * (dy - out - eta_c))[:, None] * x
    inf_c = (
        att_c - w_c * eta_c + asy_ps @ m2.mean(0) - asy_ols @ (w_c[:, None] * x).mean(0)
    ) / w_c.mean()
    return float(eta_t - eta_c), inf_t - inf_c


def ipw_panel(y1, y0, d, x) -> tuple[float, np.ndarray]:
    """Normalised IPW DiD for panel data (``DRDID::std_ipw_did_panel``)."""
    dy = y1 - y0
    ps, trim, asy_ps = _pscore(d, x)
    w_t = trim * d
    w_c = trim * ps * (1 - d) / (1 - ps)
    eta_t = (w_t * dy).mean() / w_t.mean()
    eta_c = (w_c * dy).mean() / w_c.mean()
    inf_t = (w_t * dy - w_t * eta_t) / w_t.mean()
    m2 = ((w_c * (dy - eta_c))[:, None] * x).mean(0)
    inf_c = (w_c * dy - w_c * eta_c + asy_ps @ m2) / w_c.mean()
    return float(eta_t - eta_c), inf_t - inf_c


def reg_panel(y1, y0, d, x) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD for panel data (``DRDID::reg_did_panel``)."""
    dy = y1 - y0
    out, asy_ols = _ols_rep(dy, d, x)
    w_t = d
    eta_t = (w_t * dy).mean() / w_t.mean()
    eta_c = (w_t * out).mean() / w_t.mean()
    inf_t = (w_t * dy - w_t * eta_t) / w_t.mean()
    inf_c = (w_t * out - w_t * eta_c + asy_ols @ (w_t[:, None] * x).mean(0)) / w_t.mean()
    return float(eta_t - eta_c), inf_t - inf_c


def fit_ipt(d: np.ndarray, x: np.ndarray, *, tol: float = 1e-12, max_iter: int = 200) -> np.ndarray:
    """Inverse probability tilting coefficients (Graham, Pinto and Egel 2012).

    Maximises the concave ``mean(d x'g - (1 - d) exp(x'g))`` by damped Newton steps from the
    logit fit; at the optimum the comparison units reweighted by ``exp(x'g)`` (the fitted
    propensity odds) reproduce the treated units' covariate sums exactly.
    """
    g = fit_logit(d, x)
    ctrl = 1.0 - d

    def objective(gam: np.ndarray) -> float:
        idx = x @ gam
        return float(np.mean(d * idx - ctrl * np.exp(np.minimum(idx, 700))))

    val = objective(g)
    for _ in range(max_iter):
        odds = np.exp(np.minimum(x @ g, 700))
        grad = x.T @ (d - ctrl * odds) / len(d)
        hess = (x * (ctrl * odds)[:, None]).T @ x / len(d)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as exc:
            raise EstimationError(
                "the propensity-score design is singular for inverse probability tilting; "
                "remove or combine covariates."
            ) from exc
        t = 1.0
        while t > 1e-8:
            new = objective(g + t * step)
            if new >= val - 1e-15 * abs(val):
                break
            t /= 2
        g = g + t * step
        val = objective(g)
        if np.max(np.abs(t * step)) < tol * (1 + np.max(np.abs(g))):
            return g
    raise EstimationError(
        "inverse probability tilting did not converge (no overlap between treated and "
        "comparison units?); use est_method='dr' or 'reg'."
    )


def dr_imp_panel(y1, y0, d, x) -> tuple[float, np.ndarray]:
    """Improved locally efficient doubly robust DiD (``DRDID::drdid_imp_panel``)."""
    dy = y1 - y0
    ps = np.clip(special.expit(x @ fit_ipt(d, x)), 1e-6, 1 - 1e-6)
    trim = np.ones_like(ps)
    ctrl = d == 0
    trim[ctrl] = (ps[ctrl] < TRIM_LEVEL).astype(float)
    out = x @ _wls(dy, x, (1 - d) * ps / (1 - ps))
    summand = trim * (1 - (1 - d) / (1 - ps)) * (dy - out)
    att = summand.mean() / d.mean()
    inf = trim * (summand - d * att) / d.mean()
    return float(att), inf


ESTIMATORS = {"dr": dr_panel, "ipw": ipw_panel, "reg": reg_panel, "dr_imp": dr_imp_panel}
