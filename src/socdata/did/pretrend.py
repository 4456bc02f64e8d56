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
* :func:`parametric_bootstrap_test`: when the covariance is a sum of independently
  estimated parts (the cohorts of ATT(g,t)), the small-sample null distribution of the
  sup-t (or Wald) statistic drawn from normal means and Wishart covariances: holds its
  size with many pre-period cells and small cohorts (see tests/did/test_did_pretrend.py).
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

from socdata import distributions as stats
from socdata.results import TestResult

__all__ = [
    "MIN_RESIDUAL_DF",
    "hotelling_test",
    "parametric_bootstrap_test",
    "sup_t_test",
    "wald_chi2_test",
]

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


def parametric_bootstrap_test(
    est: np.ndarray,
    parts: list[np.ndarray],
    dfs: list[float],
    *,
    draws: int = 999,
    seed: int | None = 20240301,
    statistic: str = "sup_t",
    what: str = "pre-period coefficient",
) -> TestResult:
    """Pre-trend test calibrated by a parametric bootstrap of its small-sample distribution.

    The multivariate Behrens-Fisher problem: ``V = sum_h V_h`` with each part estimated on
    ``dfs[h]`` degrees of freedom (the unbiased within-cohort covariance of a cohort of
    ``dfs[h] + 1`` units).  Under the null, with normal cohort means, ``b ~ N(0, V)`` and
    ``V_h_hat ~ Wishart(V_h, df_h) / df_h`` independently; the test draws ``(b*, V*)`` from
    that model with the estimated parts plugged in and compares ``W = b' V^-1 b`` with the
    draws of ``b*' V*^-1 b*`` (Krishnamoorthy, Lu and Mathew 2007's parametric bootstrap).
    Unlike the chi-squared reference it accounts for the noise in ``V``, which dominates
    when cohorts are small and pre-period cells many.

    ``statistic="sup_t"`` (default) uses ``max_j |b_j| / sqrt(V_jj)`` instead of the Wald
    form: it needs no inverse of ``V`` and holds its size when some cohorts have fewer
    units than pre-period cells (each part is then rank-deficient, and the Wald form's
    bootstrap, which plugs the estimated parts in for the true ones, is oversized).

    Returns
    -------
    TestResult
        The statistic and the bootstrap p-value ``(1 + #{S* >= S}) / (1 + draws)``; not
        computed, with the reason, when there are too few degrees of freedom.
    """
    if statistic not in ("sup_t", "wald"):
        raise ValueError(f"statistic must be 'sup_t' or 'wald', got {statistic!r}")
    name = (
        "joint pre-trend sup-t test, small-sample parametric bootstrap"
        if statistic == "sup_t"
        else "joint pre-trend Wald test, small-sample parametric bootstrap"
    )
    null = _NULL.format(what=what)
    v = np.sum(parts, axis=0) if parts else np.zeros((0, 0))
    est, v, why = _prep(est, v)
    if why:
        return TestResult(name, null, reason=why)
    q = est.size
    total_df = float(np.sum(dfs))
    wald = statistic == "wald"
    if (
        q > total_df
        or np.any(np.diag(v) <= 0)
        or (wald and (q > total_df - MIN_RESIDUAL_DF or np.linalg.cond(v) > 1e12))
    ):
        return TestResult(
            name,
            null,
            reason=f"{q} pre-period estimates but only {total_df:.0f} degrees of freedom for "
            "their covariance: more pre-period cells than the data can support",
        )
    if wald:
        w_obs = float(est @ np.linalg.solve(v, est))
    else:
        w_obs = float(np.max(np.abs(est) / np.sqrt(np.diag(v))))
    rng = np.random.default_rng(seed)
    roots = []
    for part in parts:
        val, vec = np.linalg.eigh(part)
        keep = val > 1e-12 * val.max()
        roots.append(vec[:, keep] * np.sqrt(val[keep]))
    stat = np.empty(draws)
    chunk = 200
    for b0 in range(0, draws, chunk):
        m = min(chunk, draws - b0)
        b = np.zeros((m, q))
        vb = np.zeros((m, q, q)) if wald else np.zeros((m, q))
        for root, df in zip(roots, dfs, strict=True):
            r = root.shape[1]
            b += rng.standard_normal((m, r)) @ root.T
            z = rng.standard_normal((m, round(df), r))
            if wald:
                wish = np.matmul(z.transpose(0, 2, 1), z) / df
                vb += np.matmul(np.matmul(root, wish), root.T)
            else:  # only the diagonal: sum_k (z_k . root_q)^2 / df
                vb += np.square(np.matmul(z, root.T)).sum(axis=1) / df
        if wald:
            stat[b0 : b0 + m] = np.einsum("mq,mq->m", b, np.linalg.solve(vb, b[..., None])[..., 0])
        else:
            stat[b0 : b0 + m] = np.max(np.abs(b) / np.sqrt(vb), axis=1)
    p = (1 + int(np.sum(stat >= w_obs))) / (1 + draws)
    return TestResult(
        name, null, w_obs, float(p), float(q), f"parametric bootstrap ({draws} draws)"
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
