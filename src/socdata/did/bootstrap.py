"""Wild cluster restricted bootstrap (WCR) for fixed-effects regressions with few clusters.

With a handful of clusters (the SOCEIS evaluation has four areas) the cluster-robust
standard error is biased down and t tests over-reject badly.  The wild cluster bootstrap
with the null imposed (Cameron, Gelbach and Miller 2008; MacKinnon and Webb 2017; Roodman,
MacKinnon, Nielsen and Webb 2019, "Fast and wild") is the standard remedy:

1. fit the model with the tested coefficient fixed at its null value ``r`` and keep the
   restricted residuals ``u_r``;
2. build bootstrap samples ``y* = fitted_r + u_r * v_g``, one weight ``v_g`` per cluster:
   Rademacher (+1/-1) or, for very few clusters, Webb's six-point distribution
   (+-sqrt(1/2), +-1, +-sqrt(3/2)), which has many more distinct patterns;
3. refit each sample, with the unit and period fixed effects, and compute the
   cluster-robust t statistic ``t*`` of ``H0: beta = r``;
4. the p-value is the share of ``|t*| >= |t|`` (symmetric, ties count as at least as
   extreme).  When the number of weight patterns (``2^G`` or ``6^G``) is at most the
   requested draws, all patterns are enumerated and the p-value has no simulation error.

The confidence interval inverts the test: the set of ``r`` whose bootstrap p-value is at
least ``1 - conf_level``, found by bracketing outward from the estimate in steps of the
analytic standard error (up to ``2^20`` standard errors, beyond which the limit is reported
as infinite) and bisecting each crossing to ``1e-6`` standard errors.  Ties
``|t*| = |t|`` (within a relative ``1e-8``) count as at least as extreme.  With
four clusters even the Webb weights allow p-values no smaller than about 1/1296, and
Rademacher enumeration only 1/8, so a 95% interval from Rademacher weights with four
clusters is unbounded; the result then reports infinite limits rather than a false
precision.

Everything is computed from cluster-level sums (the "fast and wild" algebra): the
bootstrap statistic for a weight vector ``v`` is ``(c'v) / sqrt(sum_h ((L v)_h)^2)`` with a
G-vector ``c`` and a G x G matrix ``L``, both linear in ``r``.  ``L`` is exact for the
fixed-effects model: the bootstrap residuals are re-projected on the fixed effects, which
mixes clusters through the period effects (one demeaning per cluster, so exact only for
``G <=`` ``max_exact_clusters``; above it the re-projection is skipped, which is the
usual approximation of running the bootstrap on demeaned data, and the result says so).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from socdata.did._inference import cluster_sums
from socdata.did._linear import LinearFit, fit_linear
from socdata.did._panel import Panel, build_panel
from socdata.did._prune import drop_uninformative
from socdata.did._results import BootstrapInference
from socdata.did._threads import single_threaded_blas
from socdata.errors import EstimationError
from socdata.options import DEFAULT_SEED, Choice, Renamed, renamed_keywords
from socdata.provenance import Provenance
from socdata.results import Result, order_tidy

#: Use Webb six-point weights at or below this many clusters (``weights="auto"``).
WEBB_MAX_CLUSTERS = 12
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
BOOTSTRAP_WEIGHTS = Choice(
    "bootstrap_weights",
    ("auto", "rademacher", "webb"),
    ("Webb for few clusters, else Rademacher", "+-1", "Webb six-point"),
)
_WEIGHTS = BOOTSTRAP_WEIGHTS.allowed


def _weight_matrix(
    g: int, weights: str, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """(G, B) weights: all patterns when there are at most ``draws``, else random."""
    support = np.array([-1.0, 1.0]) if weights == "rademacher" else _WEBB
    if len(support) ** g <= draws:
        v = np.array(list(itertools.product(support, repeat=g))).T
        return v, True
    if weights == "rademacher":
        v = rng.choice(support, size=(g, draws))
    else:
        v = rng.choice(support, size=(g, draws))
    return v, False


@dataclasses.dataclass(frozen=True)
class _WCRParts:
    """Cluster-level pieces of the WCR statistic, linear in the null value ``r``."""

    c0: np.ndarray
    c1: np.ndarray
    l0: np.ndarray
    l1: np.ndarray
    estimate: float
    denom_obs: float
    exact: bool


def _wcr_parts(panel: Panel, fit: LinearFit, j: int, max_exact_clusters: int) -> _WCRParts:
    xt, yt, bread = fit.xt, fit.yt, fit.bread
    k = xt.shape[1]
    codes = panel.cluster_codes if panel.cluster_codes is not None else panel.units()
    g = panel.n_clusters
    # restricted residuals u(r) = u0 - r w: residuals of (y~ - r x~_j) on the other columns
    others = [i for i in range(k) if i != j]
    if others:
        xo = xt[:, others]
        go = xo.T @ xo
        u0 = yt - xo @ np.linalg.solve(go, xo.T @ yt)
        w = xt[:, j] - xo @ np.linalg.solve(go, xo.T @ xt[:, j])
    else:
        u0 = yt.copy()
        w = xt[:, j].copy()
    q = bread[:, j]
    xq = xt @ q  # row contributions to coefficient j
    r_mat = cluster_sums(panel, xt * xq[:, None])  # (G, k): q' H_h

    def pieces(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = np.bincount(codes, weights=xq * u, minlength=g)  # c_gj
        cmat = cluster_sums(panel, xt * u[:, None]) @ bread  # rows c_g
        kmat = r_mat @ cmat.T  # K_hg = q' H_h c_g
        if exact:
            a = np.empty((g, g))
            for gi in range(g):
                z = fit.demeaner.demean(np.where(codes == gi, u, 0.0))
                a[:, gi] = np.bincount(codes, weights=xq * z, minlength=g)
        else:
            a = np.diag(c)
        return c, a - kmat

    exact = g <= max_exact_clusters
    c0, l0 = pieces(u0)
    c1, l1 = pieces(w)
    # with v = 1 the bootstrap sample is the data, so L(r) 1 (the unrestricted scores) does
    # not depend on r: the rows of l1 sum to zero analytically.  Remove the rounding noise,
    # which r amplifies when the interval search goes far out.
    l1 = l1 - l1.mean(axis=1, keepdims=True)
    s_obs = np.bincount(codes, weights=xq * fit.residuals(), minlength=g)
    return _WCRParts(
        c0=c0,
        c1=c1,
        l0=l0,
        l1=l1,
        estimate=float(fit.coef[j]),
        denom_obs=float(np.sqrt(np.sum(s_obs**2))),
        exact=exact,
    )


def _t_boot(parts: _WCRParts, v: np.ndarray, r: float) -> np.ndarray:
    num = (parts.c0 - r * parts.c1) @ v
    den = np.sqrt(np.sum(((parts.l0 - r * parts.l1) @ v) ** 2, axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def _p_value(parts: _WCRParts, v: np.ndarray, r: float) -> float:
    t_obs = (parts.estimate - r) / parts.denom_obs
    tb = np.abs(_t_boot(parts, v, r))
    tb = np.where(np.isfinite(tb), tb, 0.0)
    return float(np.mean(tb >= abs(t_obs) * (1 - 1e-8)))


def _invert(parts: _WCRParts, v: np.ndarray, alpha: float, step: float) -> tuple[float, float]:
    est = parts.estimate
    limits = []
    for sign in (-1.0, 1.0):
        inner, outer = est, None
        m = 1.0
        for _ in range(21):  # out to 2^20 standard errors; beyond that: unbounded
            r = est + sign * m * step
            if _p_value(parts, v, r) < alpha:
                outer = r
                break
            inner = r
            m *= 2.0
        if outer is None:
            limits.append(sign * np.inf)
            continue
        for _ in range(100):
            mid = (inner + outer) / 2
            if _p_value(parts, v, mid) < alpha:
                outer = mid
            else:
                inner = mid
            if abs(outer - inner) <= 1e-6 * step:
                break
        limits.append((inner + outer) / 2)
    return limits[0], limits[1]


def wcr_inference(
    panel: Panel,
    fit: LinearFit,
    term: str,
    *,
    bootstrap_weights: str = "auto",
    bootstrap_draws: int = 9999,
    seed: int | None = DEFAULT_SEED,
    conf_level: float = 0.95,
    max_exact_clusters: int = 200,
) -> BootstrapInference:
    """WCR bootstrap p-value and test-inversion interval for one coefficient of ``fit``."""
    BOOTSTRAP_WEIGHTS.check(bootstrap_weights, error=EstimationError)
    weights = bootstrap_weights
    draws = bootstrap_draws
    g = panel.n_clusters
    if g < 2:
        raise EstimationError("the wild cluster bootstrap needs at least 2 clusters.")
    kind = ("webb" if g <= WEBB_MAX_CLUSTERS else "rademacher") if weights == "auto" else weights
    names = [panel.names[i] for i in fit.kept]
    j = names.index(term)
    parts = _wcr_parts(panel, fit, j, max_exact_clusters)
    rng = np.random.default_rng(seed)
    v, enumerated = _weight_matrix(g, kind, int(draws), rng)
    p = _p_value(parts, v, 0.0)
    step = float(np.sqrt(fit.vcov[j, j])) or 1.0
    lo, hi = _invert(parts, v, 1 - conf_level, step)
    return BootstrapInference(
        term=term,
        t_stat=parts.estimate / (parts.denom_obs * np.sqrt(fit.ssc)),
        p_value=p,
        conf_low=float(lo),
        conf_high=float(hi),
        weights=kind + ("" if parts.exact else ", FE re-projection skipped"),
        draws=int(v.shape[1]),
        enumerated=enumerated,
        n_clusters=g,
        seed=None if enumerated else seed,
    )


def bootstrap_t_draws(
    panel: Panel, fit: LinearFit, term: str, v: np.ndarray, r: float = 0.0
) -> tuple[float, np.ndarray]:
    """Observed t (without small-sample factor) and bootstrap t* for given weights (tests)."""
    names = [panel.names[i] for i in fit.kept]
    parts = _wcr_parts(panel, fit, names.index(term), max_exact_clusters=10_000)
    return (parts.estimate - r) / parts.denom_obs, _t_boot(parts, v, r)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class WildClusterBootstrapResult(Result):
    """Wild cluster bootstrap test of one coefficient.

    Attributes
    ----------
    term, estimate, std_error
        Coefficient, estimate and its analytic CRV1 standard error.
    inference
        Bootstrap p-value and interval (:class:`BootstrapInference`).
    n_obs
        Observations used.
    conf_level
        Level of the interval.
    """

    term: str = ""
    estimate: float = float("nan")
    std_error: float = float("nan")
    inference: BootstrapInference | None = None
    n_obs: int = 0
    conf_level: float = 0.95

    def tidy(self) -> pd.DataFrame:
        """One row: estimate, analytic SE, bootstrap p-value and interval."""
        b = self.inference
        assert b is not None
        row = {
            "term": self.term,
            "estimate": self.estimate,
            "std_error": self.std_error,
            "statistic": b.t_stat,
            "p_value": b.p_value,
            "conf_low": b.conf_low,
            "conf_high": b.conf_high,
            "ci_type": f"wild cluster bootstrap (WCR, {b.weights}, "
            + ("enumerated" if b.enumerated else f"B={b.draws}")
            + ")",
            "n": self.n_obs,
            "n_clusters": b.n_clusters,
            "draws": b.draws,
            "enumerated": b.enumerated,
        }
        return order_tidy(pd.DataFrame([row]))

    def _summary_body(self) -> str:
        b = self.inference
        assert b is not None
        return (
            self.tidy().to_string(index=False)
            + "\n\nInference: "
            + b.describe()
            + f". Null hypothesis: the coefficient on {self.term} is 0. The p-value is the "
            "share of bootstrap |t*| at least as large as the observed |t|."
        )


@renamed_keywords(
    weights=Renamed("bootstrap_weights", applies=lambda v: isinstance(v, str) and v in _WEIGHTS),
    draws="bootstrap_draws",
)
@single_threaded_blas
def wild_cluster_bootstrap(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    cluster: str,
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    bootstrap_weights: str = "auto",
    bootstrap_draws: int = 9999,
    seed: int | None = DEFAULT_SEED,
    conf_level: float = 0.95,
    max_exact_clusters: int = 200,
) -> WildClusterBootstrapResult:
    """Wild cluster restricted bootstrap test of a two-way fixed-effects coefficient.

    Parameters
    ----------
    data
        Long panel, one row per unit and period.
    outcome, unit, time, treatment
        Column names; the model is ``outcome ~ treatment + covariates | unit + time``.
    cluster
        Cluster column (e.g. ``"area"``).
    covariates
        Further time-varying regressors.
    weights
        Column of observation weights, as in every other estimator.  Not supported by the
        wild cluster bootstrap yet (an error says so).  Until this release ``weights=``
        meant the bootstrap distribution; ``weights="auto" | "rademacher" | "webb"`` is
        still read that way, with a :class:`~socdata.errors.SocdataDeprecationWarning`.
    bootstrap_weights
        ``"auto"`` (Webb six-point for at most :data:`WEBB_MAX_CLUSTERS` clusters, else
        Rademacher), ``"rademacher"`` or ``"webb"``.
    bootstrap_draws
        Bootstrap draws (old keyword ``draws``); all weight patterns are enumerated when
        there are at most this many.
    seed
        Seed for the random draws (unused when enumerating); default
        :data:`socdata.options.DEFAULT_SEED`.
    conf_level
        Level of the test-inversion interval.
    max_exact_clusters
        Up to this many clusters, the bootstrap residuals are re-projected on the fixed
        effects exactly (one demeaning per cluster).

    Returns
    -------
    WildClusterBootstrapResult
        p-value for ``H0: coefficient = 0`` and the interval.

    Examples
    --------
    >>> from benchmarks._common import make_panel  # doctest: +SKIP
    >>> res = wild_cluster_bootstrap(make_panel(400), outcome="y", unit="person_id",
    ...     time="month", treatment="treatment", cluster="area")  # doctest: +SKIP
    """
    params = {  # the provenance's parameters: the keywords, less weights (None) and the cap
        k: v for k, v in locals().items() if k not in ("data", "weights", "max_exact_clusters")
    }
    params["covariates"] = list(covariates or [])
    fn = "socdata.did.wild_cluster_bootstrap"
    if weights is not None:
        raise EstimationError(
            f"{fn}: observation weights (weights={weights!r}) are not supported by the wild "
            "cluster bootstrap; fit twfe(..., weights=..., inference='analytic') instead. "
            "For the bootstrap distribution use bootstrap_weights="
            + " | ".join(map(repr, _WEIGHTS))
            + "."
        )
    panel = build_panel(
        data,
        function=fn,
        outcome=outcome,
        unit=unit,
        time=time,
        treatment=treatment,
        covariates=tuple(covariates or ()),
        cluster=cluster,
    )
    panel = drop_uninformative(panel, function=fn)
    fit = fit_linear(panel, function=fn, need_arrays=True)
    inf = wcr_inference(
        panel,
        fit,
        treatment,
        bootstrap_weights=bootstrap_weights,
        bootstrap_draws=bootstrap_draws,
        seed=seed,
        conf_level=conf_level,
        max_exact_clusters=max_exact_clusters,
    )
    prov = Provenance.build(
        fn,
        parameters=params,
        frames={"data": data},
        n_in=panel.n_in,
        n_out=panel.n,
        flow=panel.flow,
        notes=[inf.describe()],
    )
    return WildClusterBootstrapResult(
        provenance=prov,
        term=treatment,
        estimate=float(fit.coef[0]),
        std_error=float(np.sqrt(fit.vcov[0, 0])),
        inference=inf,
        n_obs=panel.n,
        conf_level=conf_level,
    )
