"""Two-way fixed-effects least squares from cohort moments (TWFE, event study).

When every regressor depends only on the unit's cohort and the period (a staggered
treatment ``1[t >= g]``, event-time indicators), a balanced panel's two-way demeaned
regressors are a ``T x K`` matrix ``X_h`` per cohort, with ``sum_t X_h[t] = 0`` and
``sum_h n_h X_h[t] = 0``.  Then, with ``S_h`` the cohort's summed outcomes and ``M_h`` its
within-cohort scatter matrix (:class:`~socdata.scale.moments.CohortMoments`):

* ``X~'X~ = sum_h n_h X_h'X_h`` and ``X~'y~ = sum_h X_h' S_h``;
* the person's score ``sum_t x~_it e_it = X_h' y_i + c_h`` with
  ``c_h = -X_h' ybar - X_h'X_h b`` (``ybar`` the period means over all units);
* the CRV1 meat by person is ``sum_h X_h' M_h X_h + n_h u_h u_h'`` with
  ``u_h = X_h' mean_h + c_h``; by a coarser cluster ``c`` the cluster score is
  ``sum_h X_h' S_ch + n_ch c_h``.

So the fit needs no unit row and no dense dummy: ``O(H T K^2)`` work after the moments.
The covariance is :func:`socdata.did._inference.crv1` (pyfixest's CRV1 small-sample
default), the same code as the row-level fits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from socdata.did._inference import FEW_CLUSTERS, crv1, independent_columns
from socdata.errors import EstimationError
from socdata.provenance import FlowLog, Provenance
from socdata.scale.moments import CohortMoments

__all__ = ["MomentsFit", "fit_from_moments", "moments_provenance"]


@dataclasses.dataclass(frozen=True)
class MomentsFit:
    """Slopes, CRV1 covariance and counts of a fit on cohort moments."""

    coef: np.ndarray
    vcov: np.ndarray
    kept: list[int]
    ssc: float
    df_k: int
    n_obs: int
    n_units: int
    n_times: int
    n_clusters: int


def fit_from_moments(
    m: CohortMoments,
    design: np.ndarray,
    *,
    function: str,
    drop_collinear: bool = False,
    names: tuple[str, ...] = (),
) -> MomentsFit:
    """Least squares of the outcome on ``design`` with unit and period fixed effects.

    Parameters
    ----------
    m
        Moments of a balanced panel (no incomplete unit).
    design
        Regressors per cohort and period, ``(H, T, K)`` (rows of ``m.cohorts``).
    function
        Public function name for messages.
    drop_collinear
        Drop regressors collinear with the fixed effects (else raise).
    names
        Regressor names for the message.
    """
    if int(m.n_incomplete.sum()):
        raise EstimationError(
            f"{function}: {int(m.n_incomplete.sum())} units lack a row or an outcome in some "
            "period; the cohort-statistics path needs a balanced panel. Restrict the table to "
            "a window in which every unit is observed, or pass the rows as a pandas DataFrame."
        )
    nh = m.n.astype(np.float64)
    n_units = float(nh.sum())
    n_t = design.shape[1]
    dbar_t = np.einsum("h,htk->tk", nh, design) / n_units
    dbar_h = design.mean(axis=1)
    dbar = nh @ dbar_h / n_units
    x = design - dbar_h[:, None, :] - dbar_t[None, :, :] + dbar[None, None, :]
    raw = np.einsum("h,htk->k", nh, design**2)
    gram_all = np.einsum("h,htk,htl->kl", nh, x, x)
    kept = [
        j for j in independent_columns(gram_all) if gram_all[j, j] > 1e-10 * max(raw[j], 1e-300)
    ]
    if len(kept) < design.shape[2] and not drop_collinear:
        dropped = [names[j] if names else str(j) for j in range(design.shape[2]) if j not in kept]
        raise EstimationError(
            f"{function}: regressor(s) {dropped} are collinear with the unit and period fixed "
            "effects, so their effect is not identified."
        )
    if not kept:
        raise EstimationError(f"{function}: no regressor is identified after the fixed effects.")
    x = x[:, :, kept]
    gram = gram_all[np.ix_(kept, kept)]
    sums = m.sums()
    bread = np.linalg.inv(gram)
    coef = bread @ np.einsum("htk,ht->k", x, sums)
    ybar = sums.sum(axis=0) / n_units
    xx = np.einsum("htk,htl->hkl", x, x)
    c = -np.einsum("htk,t->hk", x, ybar) - xx @ coef
    if m.clusters is None:
        u = np.einsum("htk,ht->hk", x, m.mean) + c
        meat = np.einsum("htk,hts,hsl->kl", x, m.scatter, x) + np.einsum("h,hk,hl->kl", nh, u, u)
        n_clusters = int(n_units)
    else:
        s = np.einsum("htk,cht->ck", x, m.cluster_sum) + np.einsum("ch,hk->ck", m.cluster_n, c)
        meat = s.T @ s
        n_clusters = len(m.clusters)
    n_obs = int(n_units) * n_t
    vcov, ssc, df_k = crv1(
        bread,
        meat,
        n=n_obs,
        n_units=int(n_units),
        n_times=n_t,
        n_clusters=n_clusters,
        unit_nested=True,
        time_nested=int(n_units) == 1,
    )
    return MomentsFit(
        coef=coef,
        vcov=vcov,
        kept=kept,
        ssc=ssc,
        df_k=df_k,
        n_obs=n_obs,
        n_units=int(n_units),
        n_times=n_t,
        n_clusters=n_clusters,
    )


def cohort_periods(m: CohortMoments) -> tuple[np.ndarray, np.ndarray]:
    """Numeric first treated period per cohort (NaN = never) and numeric periods, on the
    event-time scale: calendar months (year * 12 + month) for dates, the values otherwise."""
    if m.time_kind == "datetime":
        from socdata.dates import month_index

        origin = "1970-01-01"
        tnum = month_index(m.time_labels, origin).astype(np.float64)
        dates = np.array(
            ["NaT" if c is None else np.datetime64(int(c), "ns") for c in m.cohorts],
            dtype="datetime64[ns]",
        )
        g = np.full(len(dates), np.nan)
        ok = ~np.isnat(dates)
        g[ok] = month_index(dates[ok], origin)
        return g, tnum
    g = np.array([np.nan if c is None else float(c) for c in m.cohorts])
    return g, m.time_labels.astype(np.float64)


def moments_provenance(
    function: str,
    m: CohortMoments,
    fit: MomentsFit,
    params: dict,
    inputs: str,
    notes: Sequence[str] = (),
) -> Provenance:
    """The option check shared by the fits on cohort moments (event study, TWFE) and their
    provenance: with fewer than 30 clusters the row path would switch to the wild cluster
    bootstrap, which needs unit rows, so that is an error unless ``inference="analytic"``."""
    if fit.n_clusters < FEW_CLUSTERS and params["inference"] != "analytic":
        raise EstimationError(
            f"{function}: {fit.n_clusters} clusters call for the wild cluster bootstrap, "
            "which needs unit rows; pass inference='analytic' or the rows as a pandas DataFrame."
        )
    flow = FlowLog().add("units in the balanced panel", fit.n_units, fit.n_units, {}, "units")
    prov = Provenance.build(
        function,
        parameters=params,
        n_in=m.n_rows,
        n_out=fit.n_obs,
        flow=flow,
        notes=[*notes, f"computed from cohort statistics ({m.source or 'moments'})"],
    )
    return dataclasses.replace(prov, inputs={"data": inputs})


def staggered_design(m: CohortMoments) -> np.ndarray:
    """The treatment ``1[period >= cohort]`` per cohort and period, ``(H, T, 1)`` (never
    treated cohorts all zero)."""
    g, tnum = cohort_periods(m)
    with np.errstate(invalid="ignore"):
        return (tnum[None, :] >= g[:, None]).astype(np.float64)[:, :, None]


def twfe_result(fit: MomentsFit, provenance: Provenance, params: dict, terms: tuple):
    """The :class:`~socdata.did.FixedEffectsResult` of a TWFE fit without rows (cohort
    moments, or the streamed covariate path of :mod:`socdata.scale.fe_stream`)."""
    from socdata.did._results import FixedEffectsResult
    from socdata.did.twfe import _frozen

    return FixedEffectsResult(
        provenance=provenance,
        method="twfe",
        terms=tuple(terms),
        coef=_frozen(fit.coef),
        vcov=_frozen(fit.vcov),
        n_obs=fit.n_obs,
        n_units=fit.n_units,
        n_times=fit.n_times,
        n_clusters=fit.n_clusters,
        cluster=params["cluster"] or params["unit"],
        df_t=fit.n_clusters - 1,
        ssc=fit.ssc,
        df_k=fit.df_k,
        conf_level=params["conf_level"],
        bootstrap=(),
        few_clusters=fit.n_clusters < FEW_CLUSTERS,
        weights=None,
    )


def twfe_from_moments(m: CohortMoments, *, params: dict, inputs: str, term: str):
    """:func:`socdata.did.twfe` with the staggered treatment ``1[period >= cohort]``,
    finished on cohort moments (balanced panel, no covariates or weights)."""
    fn = "socdata.did.twfe"
    fit = fit_from_moments(m, staggered_design(m), function=fn, names=(term,))
    return twfe_result(fit, moments_provenance(fn, m, fit, params, inputs), params, (term,))
