"""Pre-trend tests that hold their size in small samples.

The textbook joint Wald test of the pre-period coefficients, ``W = b' V^-1 b ~ chi2(q)``,
treats the estimated covariance ``V`` as known.  With ``G`` clusters (or units) ``V`` is an
average of ``G`` outer products, and when ``q`` is not small next to ``G`` the statistic is
far more dispersed than chi-squared: with 80 units and 21 pre-period cells, the chi-squared
test rejects almost always under exactly parallel trends.

* :func:`hotelling_test`: Hotelling's correction, ``F = W (G - q) / (q (G - 1)) ~ F(q, G - q)``,
  exact for normal cluster means and the standard small-sample fix for cluster-robust Wald
  tests (Hansen 2007; Pustejovsky and Tipton 2018 give refinements).  Not computed, with
  the reason, when ``q >= G - MIN_RESIDUAL_DF``: more pre-period cells than the data can
  support.
* :func:`sup_t_test`: a multiplier-bootstrap test of ``max_j |b_j / se_j|`` (the sup-t
  statistic of the uniform bands of Montiel Olea and Plagborg-Moller 2019) from
  per-cluster influence-function sums; usable when ``q`` is large, since it never inverts
  ``V``.

A pre-trend test that does not reject is not evidence of parallel trends: at these sample
sizes its power is low (Roth 2022).  :func:`socdata.did.honest_sensitivity` asks the more
useful question of how large a violation would overturn the estimate.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from socdata.results import TestResult

__all__ = ["MIN_RESIDUAL_DF", "hotelling_test", "sup_t_test", "wald_chi2_test"]

#: The F test needs ``G - q`` residual degrees of freedom; below this many it is not
#: computed (the covariance of ``q`` coefficients is then estimated from too few clusters).
MIN_RESIDUAL_DF = 10

_NULL = "every {what} is zero: parallel trends before treatment"


def _prep(est: np.ndarray, vcov: np.ndarray) -> tuple[np.ndarray, np.ndarray, str | None]:
    est = np.asarray(est, dtype=float).ravel()
    vcov = np.asarray(vcov, dtype=float)
    if est.size == 0:
        return est, vcov, "no pre-period coefficients to test"
    if not (np.all(np.isfinite(est)) and np.all(np.isfinite(vcov))):
        return est, vcov, "some pre-period estimates or variances are missing"
    return est, vcov, None


def wald_chi2_test(
    est: np.ndarray, vcov: np.ndarray, *, what: str = "pre-period coefficient"
) -> TestResult:
    """The uncorrected Wald test ``W ~ chi2(q)`` (large-sample; oversized at small ``G``)."""
    name = "joint pre-trend Wald test (chi-squared, large-sample)"
    null = _NULL.format(what=what)
    est, vcov, why = _prep(est, vcov)
    if why:
        return TestResult(name, null, reason=why)
    if np.linalg.cond(vcov) > 1 / np.finfo(float).eps:
        return TestResult(
            name, null, reason="the covariance of the pre-period estimates is singular"
        )
    w = float(est @ np.linalg.solve(vcov, est))
    q = est.size
    return TestResult(name, null, w, float(stats.chi2.sf(w, q)), float(q), f"chi2({q})")


def hotelling_test(
    est: np.ndarray, vcov: np.ndarray, n_clusters: int, *, what: str = "pre-period coefficient"
) -> TestResult:
    """Joint pre-trend test with Hotelling's small-sample correction.

    Parameters
    ----------
    est, vcov
        The ``q`` pre-period estimates and their cluster-robust covariance.
    n_clusters
        Clusters (or units, for unit-level influence functions) ``G`` behind ``vcov``.
    what
        What the coefficients are, for the null hypothesis in words.

    Returns
    -------
    TestResult
        ``F(q, G - q)``; or not computed, with the reason, when ``G - q <
        MIN_RESIDUAL_DF`` or the covariance is singular.
    """
    name = "joint pre-trend test (Hotelling F, small-sample corrected)"
    null = _NULL.format(what=what)
    est, vcov, why = _prep(est, vcov)
    if why:
        return TestResult(name, null, reason=why)
    q, g = est.size, int(n_clusters)
    if g - q < MIN_RESIDUAL_DF:
        return TestResult(
            name,
            null,
            reason=(
                f"{q} pre-period coefficients but only {g} clusters: the covariance of the "
                f"pre-period estimates cannot be estimated well enough to test them jointly "
                f"(needs at least {q + MIN_RESIDUAL_DF} clusters). Test fewer pre-periods "
                "(aggregate by event time, shorten the window) or use the sup-t bootstrap test"
            ),
        )
    if np.linalg.cond(vcov) > 1 / np.finfo(float).eps:
        return TestResult(
            name, null, reason="the covariance of the pre-period estimates is singular"
        )
    w = float(est @ np.linalg.solve(vcov, est))
    f = w * (g - q) / (q * (g - 1))
    return TestResult(
        name, null, f, float(stats.f.sf(f, q, g - q)), (float(q), float(g - q)), f"F({q}, {g - q})"
    )


def sup_t_test(
    est: np.ndarray,
    cluster_if: np.ndarray,
    *,
    draws: int = 999,
    seed: int | None = 20240301,
    what: str = "pre-period coefficient",
) -> TestResult:
    """Multiplier-bootstrap sup-t test of ``max_j |est_j| / se_j``.

    Parameters
    ----------
    est
        The ``q`` pre-period estimates.
    cluster_if
        ``(G, q)`` per-cluster sums of the estimates' influence functions, scaled so that
        ``cluster_if.T @ cluster_if`` is their covariance.
    draws, seed
        Bootstrap draws (Rademacher multipliers, one per cluster) and the seed.

    Returns
    -------
    TestResult
        The statistic ``max_j |t_j|`` and its bootstrap p-value, the share of draws with
        ``max_j |t*_j| >= max_j |t_j|`` where each draw is studentised by its own standard
        errors (the bootstrap-t; Rademacher draws make this exact in small samples for a
        symmetric influence function).
    """
    name = "pre-trend sup-t test (multiplier bootstrap)"
    null = _NULL.format(what=what)
    est = np.asarray(est, dtype=float).ravel()
    psi = np.asarray(cluster_if, dtype=float)
    if est.size == 0:
        return TestResult(name, null, reason="no pre-period coefficients to test")
    psi = psi - psi.mean(axis=0)
    se = np.sqrt((psi**2).sum(axis=0))
    ok = se > 0
    if not ok.any():
        return TestResult(name, null, reason="the pre-period estimates have no variance")
    est, psi, se = est[ok], psi[:, ok], se[ok]
    t_obs = float(np.max(np.abs(est / se)))
    rng = np.random.default_rng(seed)
    g = psi.shape[0]
    exceed = 0
    chunk = max(1, 200_000 // max(g, 1))
    done = 0
    while done < draws:
        m = min(chunk, draws - done)
        v = rng.choice(np.array([-1.0, 1.0]), size=(m, g))
        b = v @ psi  # (m, q) bootstrap deviations
        # bootstrap-t: each draw studentised by its own cluster-robust s.e.
        s2 = (v**2) @ (psi**2) - (b**2) / g
        sb = np.sqrt(np.maximum(s2, 1e-300))
        exceed += int(np.sum(np.max(np.abs(b) / sb, axis=1) >= t_obs))
        done += m
    p = (1 + exceed) / (1 + draws)
    return TestResult(
        name,
        null,
        t_obs,
        float(p),
        float(est.size),
        f"bootstrap sup-t ({draws} draws, {g} clusters)",
    )
