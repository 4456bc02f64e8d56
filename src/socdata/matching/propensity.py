"""Unpenalised logistic regression for propensity scores (Newton-Raphson / IRLS).

The propensity score is the fitted probability of a binary logit with an intercept,
estimated by maximum likelihood without any penalty, as R's ``glm(family = binomial)``
that MatchIt's default ``distance = "glm"`` calls.  Optional frequency weights support the
seeded control subsample used by :func:`socdata.matching.riskset.risk_set_match` on large data.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from socdata._lazy import lazy_module
from socdata.errors import DataQualityWarning, MatchingError, caller_stacklevel

special = lazy_module("scipy.special")


@dataclasses.dataclass(frozen=True)
class LogitFit:
    """A fitted logit.

    Attributes
    ----------
    coef
        Shape ``(p + 1,)``: intercept first, then one coefficient per column of ``X``.
    names
        ``("(Intercept)", *column names)``.
    converged
        Whether the Newton iterations met the tolerance.
    n_iter
        Number of iterations.
    loglik
        Log-likelihood at the estimate (weighted when weights were given).
    """

    coef: np.ndarray
    names: tuple[str, ...]
    converged: bool
    n_iter: int
    loglik: float

    def linear_predictor(self, X: np.ndarray) -> np.ndarray:
        """Linear predictor ``b0 + X b`` for rows of ``X`` (without an intercept column)."""
        X = np.asarray(X, dtype=float)
        return self.coef[0] + X @ self.coef[1:]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Fitted probabilities for rows of ``X`` (without an intercept column)."""
        return _expit(self.linear_predictor(X))


def _expit(eta: np.ndarray) -> np.ndarray:
    return special.expit(np.asarray(eta, dtype=float))


def fit_logit(
    X: np.ndarray,
    y: np.ndarray,
    *,
    names: tuple[str, ...] | None = None,
    weights: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> LogitFit:
    """Maximum-likelihood logit with an intercept, no penalty.

    Parameters
    ----------
    X
        Shape ``(n, p)`` design without the intercept column.
    y
        Shape ``(n,)`` with values 0/1.
    names
        Column names of ``X`` (default ``x0, x1, ...``).
    weights
        Optional frequency weights, shape ``(n,)``.
    tol
        Convergence tolerance on the relative change in deviance (as ``glm.control``'s
        ``epsilon``, but tighter) and on the largest Newton step.
    max_iter
        Maximum number of Newton iterations.

    Returns
    -------
    LogitFit

    Raises
    ------
    MatchingError
        When a column is constant (collinear with the intercept), the design is rank
        deficient, or ``y`` has a single value.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, p = X.shape
    names = tuple(names) if names is not None else tuple(f"x{j}" for j in range(p))
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if y.min() == y.max():
        raise MatchingError(
            "the propensity model needs both engagers (treated) and comparators; "
            f"all {n} rows have treatment = {int(y[0])}"
        )
    # centre and scale columns for numerical stability; map back afterwards
    sw = float(w.sum())
    mu = (w @ X) / sw if p else np.zeros(0)
    sd = np.sqrt(np.maximum((w @ (X * X)) / sw - mu * mu, 0.0)) if p else np.zeros(0)
    const = np.flatnonzero(sd <= 1e-12 * np.maximum(1.0, np.abs(mu)))
    if const.size:
        raise MatchingError(
            "propensity model: covariate(s) "
            + ", ".join(repr(names[j]) for j in const)
            + " take a single value among the rows being matched, so their coefficient "
            "cannot be estimated; drop them from `covariates` (or match exactly on them "
            "with `exact=`)"
        )
    Z = np.column_stack([np.ones(n), (X - mu) / sd]) if p else np.ones((n, 1))
    rank = np.linalg.matrix_rank(Z[: min(n, 200_000)] if n > 200_000 else Z)
    if rank < Z.shape[1]:
        raise MatchingError(
            "propensity model: the covariates are collinear (design rank "
            f"{rank} < {Z.shape[1]} columns: intercept + {', '.join(names)}); "
            "drop a redundant covariate"
        )
    ybar = np.average(y, weights=w)
    beta = np.zeros(Z.shape[1])
    beta[0] = np.log(ybar / (1 - ybar))
    beta, converged, it = _irls(Z, y, w, beta, tol=tol, max_iter=max_iter)
    if not converged:
        warnings.warn(
            f"propensity model did not converge in {max_iter} iterations (possible "
            "separation: some covariate pattern predicts treatment perfectly); scores near "
            "0 or 1 may follow. Consider fewer covariates or exact matching on the "
            "separating variable.",
            DataQualityWarning,
            stacklevel=caller_stacklevel(),
        )
    fitted = _expit(Z @ beta)
    if np.any(fitted > 1 - 1e-10) or np.any(fitted < 1e-14):
        warnings.warn(
            "propensity scores numerically 0 or 1 occurred (quasi-separation); matching on "
            "them is unreliable near those values",
            DataQualityWarning,
            stacklevel=caller_stacklevel(),
        )
    # back-transform: eta = b0 + sum_j bj (x_j - mu_j)/sd_j
    coef = np.empty(p + 1)
    coef[1:] = beta[1:] / sd if p else beta[1:]
    coef[0] = beta[0] - (np.sum(beta[1:] * mu / sd) if p else 0.0)
    ll = float(
        np.sum(
            w
            * (
                y * np.log(np.clip(fitted, 1e-300, 1))
                + (1 - y) * np.log1p(-np.clip(fitted, 0, 1 - 1e-16))
            )
        )
    )
    return LogitFit(
        coef=coef, names=("(Intercept)", *names), converged=converged, n_iter=it, loglik=ll
    )


def _irls(
    Z: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray, *, tol: float, max_iter: int
) -> tuple[np.ndarray, bool, int]:
    """Newton-Raphson (IRLS) for the weighted logit from ``beta``: the estimate, whether
    the deviance or the step converged within ``tol``, and the iterations used."""
    dev_old = np.inf
    converged = False
    it = 0
    eta = Z @ beta
    for it in range(1, max_iter + 1):  # noqa: B007
        prob = _expit(eta)
        pc = np.clip(prob, 1e-300, 1 - 1e-16)
        dev = -2 * float(w @ np.where(y > 0, np.log(pc), np.log1p(-pc)))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            converged = True
            break
        dev_old = dev
        wt = w * prob * (1 - prob)
        grad = Z.T @ (w * (y - prob))
        hess = Z.T @ (Z * wt[:, None])
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as exc:  # pragma: no cover - guarded by rank check
            raise MatchingError(f"propensity model: singular information matrix ({exc})") from exc
        beta = beta + step
        eta = Z @ beta
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    return beta, converged, it
