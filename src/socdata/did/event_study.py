"""Event study: two-way fixed effects with indicators of time relative to treatment.

``y_it = sum_{e in window, e != reference} beta_e 1[t - cohort_i = e] + alpha_i + lambda_t + u_it``

for ever-treated units (never-treated units have every indicator zero).  ``cohort`` is the
first treated period (referral month); 0 or missing means never treated.  With datetime
columns event time counts calendar months; with numeric columns it is ``time - cohort``.

* ``bin_endpoints=True`` (default): the first indicator collects every event time at or
  before the window start, the last every event time at or after its end, so all
  observations are used and the window endpoints absorb the tails;
  ``bin_endpoints=False``: treated observations outside the window are dropped (counted in
  the flow log).
* Indicators collinear with the fixed effects are dropped and reported (e.g. without
  never-treated units one more event time must be normalised).
* Joint pre-trend test: Wald test that every lead (event time < 0, other than the
  reference) is zero, ``F(q, G - 1)`` with the CRV1 covariance, reported as a
  :class:`socdata.results.TestResult` stating its null; when the covariance of the leads
  is rank deficient (more leads than clusters) the test says why it is not computed.

Caution (in ``summary()`` too): with staggered adoption and effects that differ across
cohorts or over time, TWFE event-study coefficients are weighted averages that include
effects from other event times and cohorts (Sun and Abraham 2021) and can even have the
wrong sign; use :func:`socdata.did.att_gt` (Callaway and Sant'Anna 2021) with its dynamic
aggregation.  The plot is :func:`socdata.plots.event_study.event_study_plot`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from socdata.did._event_design import _check_design, _check_window, _event_dummies, event_times
from socdata.did._inference import FEW_CLUSTERS
from socdata.did._linear import fit_linear
from socdata.did._panel import build_panel, check_columns
from socdata.did._prune import drop_uninformative
from socdata.did._results import BootstrapInference, EventStudyResult, wald_test
from socdata.did._threads import single_threaded_blas
from socdata.did.bootstrap import wcr_inference
from socdata.did.twfe import (
    _frozen,
    _provenance,
    check_options,
    few_cluster_policy,
    raise_weighted_bootstrap,
)
from socdata.errors import EstimationError
from socdata.options import DEFAULT_SEED
from socdata.provenance import FlowLog, FrameFingerprint, Provenance

__all__ = ["EventStudyResult", "event_study", "event_times"]

_COVARIATE = 10**9  # event_time placeholder of covariate terms (shown as NA in tidy)


@single_threaded_blas
def event_study(
    data: pd.DataFrame | Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    window: tuple[int, int] = (-12, 12),
    reference: int = -1,
    cluster: str | None = None,
    bin_endpoints: bool = True,
    covariates: Sequence[str] | None = None,
    conf_level: float = 0.95,
    inference: str = "auto",
    bootstrap_weights: str = "auto",
    bootstrap_draws: int = 9999,
    seed: int | None = DEFAULT_SEED,
    weights: str | None = None,
) -> EventStudyResult:
    """TWFE event study around the first treated period, with a joint pre-trend test.

    Parameters
    ----------
    data
        Long panel, one row per unit and period.  Not modified.  A sorted balanced
        frame without covariates or weights is fitted from cohort statistics (no dense
        event-time dummies: 1M people x 48 months in a few seconds and under 1 GB above
        the frame); a table source (DuckDB relation, Parquet path, Arrow, Spark
        DataFrame, :class:`socdata.scale.CohortMoments`) always is.  With covariates, a
        DuckDB, Parquet or Arrow source of a balanced panel is read in two passes of
        whole units (:mod:`socdata.scale.fe_stream`).
    outcome, unit, time
        Outcome, unit (person) and period (calendar month) columns.
    cohort
        First treated period per unit (e.g. referral month); 0 or missing = never treated.
        Must be constant within a unit.
    window
        ``(first, last)`` event times with their own coefficient, e.g. ``(-12, 12)``.
    reference
        Omitted event time (normalised to 0), usually ``-1``.
    cluster
        Cluster column (default: ``unit``); fewer than 30 clusters switch the p-values and
        intervals to the wild cluster bootstrap (per coefficient) and warn.
    bin_endpoints
        Bin event times beyond the window into the endpoints (default) or drop them.
    covariates
        Further time-varying regressors.
    conf_level, inference, bootstrap_weights, bootstrap_draws, seed
        As in :func:`socdata.did.twfe`.
    weights
        Column of non-negative observation weights (analytic/matching weights): weighted
        least squares as in :func:`socdata.did.twfe`; rows with weight 0 are excluded and
        counted.  Not yet supported with the wild cluster bootstrap.

    Returns
    -------
    EventStudyResult
        ``tidy()`` has one row per event time (``event_time`` column), the reference
        included with estimate 0; ``pretrend`` holds the joint test.

    Raises
    ------
    socdata.errors.EstimationError
        A cohort that varies within a unit, a reference outside the window, no treated unit,
        negative or missing weights, weights with the wild cluster bootstrap.
    """
    fn = "socdata.did.event_study"
    check_options(fn, inference, conf_level, bootstrap_draws)
    params = dict(
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        window=tuple(window),
        reference=reference,
        cluster=cluster,
        bin_endpoints=bin_endpoints,
        covariates=list(covariates or []),
        conf_level=conf_level,
        inference=inference,
        bootstrap_weights=bootstrap_weights,
        bootstrap_draws=bootstrap_draws,
        seed=seed,
        weights=weights,
    )
    regs = params["covariates"]
    cols = [*(params[k] for k in ("outcome", "unit", "time", "cohort")), *regs, cluster, weights]
    # one fingerprint for either route (the frame route reads these columns too: it takes
    # no covariates or weights); started by whichever route runs
    digest = FrameFingerprint(data, cols)
    fast = _on_cohort_statistics(data, params, digest)
    if fast is not None:
        return fast
    digest.start()  # hashing overlaps the fit
    panel, (lo, hi) = _row_panel(data, fn, params)
    use_boot = few_cluster_policy(fn, panel, cluster or unit, inference)
    if use_boot and weights is not None:
        raise_weighted_bootstrap(fn, panel.n_clusters, cluster or unit, inference)
    fit = fit_linear(panel, function=fn, drop_collinear=True, need_arrays=use_boot)
    names, dropped = _kept_terms(fn, panel, fit, regs)
    ev_idx, pretrend = _pretrend_test(fit, names, reference, panel.n_clusters)
    boot = _wild_bootstrap(panel, fit, names, params) if use_boot else ()
    terms, coef, vcov, evt = _ordered_terms(fit, names, ev_idx)
    params = dict(params, window=(lo, hi))
    prov = _provenance(fn, panel, params, digest, notes=[str(pretrend)])
    return _result(
        prov,
        fit,
        (panel.n, panel.n_units, panel.n_times, panel.n_clusters),
        params,
        terms=terms,
        coef=coef,
        vcov=vcov,
        event_times=evt,
        pretrend=pretrend,
        dropped=dropped,
        boot=boot,
    )


def _wild_bootstrap(
    panel: Any, fit: Any, names: list[str], params: dict[str, Any]
) -> tuple[BootstrapInference, ...]:
    """The wild cluster restricted bootstrap of each event-time coefficient."""
    return tuple(
        wcr_inference(
            panel,
            fit,
            nm,
            bootstrap_weights=params["bootstrap_weights"],
            bootstrap_draws=params["bootstrap_draws"],
            seed=params["seed"],
            conf_level=params["conf_level"],
        )
        for nm in names
        if nm.startswith("event_time::")
    )


def _row_panel(data: pd.DataFrame, fn: str, params: dict[str, Any]) -> tuple[Any, tuple[int, int]]:
    """Check the frame, build the event-time dummies and encode the panel (row path)."""
    outcome, unit, time, cohort = (params[k] for k in ("outcome", "unit", "time", "cohort"))
    check_columns(data, {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort}, fn)
    reference, bin_endpoints = params["reference"], params["bin_endpoints"]
    lo, hi = _check_design(data, fn, unit, cohort, params["window"], reference, bin_endpoints)
    frame, dummies, pre_flow = _event_dummies(
        data,
        fn,
        time=time,
        cohort=cohort,
        window=(lo, hi),
        reference=reference,
        bin_endpoints=bin_endpoints,
    )
    panel = build_panel(
        frame,
        function=fn,
        outcome=outcome,
        unit=unit,
        time=time,
        covariates=params["covariates"],
        cluster=params["cluster"],
        regressor_arrays=dummies,
        weights=params["weights"],
    )
    panel = drop_uninformative(panel, function=fn)
    if pre_flow.steps:
        panel.flow = FlowLog((*pre_flow.steps, *panel.flow.steps))
        panel.n_in = len(data)
    return panel, (lo, hi)


def _result(
    provenance: Provenance,
    fit: Any,
    sizes: tuple[int, int, int, int],
    params: dict[str, Any],
    *,
    terms: Any,
    coef: np.ndarray,
    vcov: np.ndarray,
    event_times: Any,
    pretrend: Any,
    dropped: Any,
    boot: tuple[BootstrapInference, ...] = (),
) -> EventStudyResult:
    """The frozen result of a fit (its ``ssc`` and ``df_k``) with its provenance, shared by
    the row path and the cohort-statistics path (:mod:`socdata.scale.event_study`);
    ``sizes`` are the observations, units, periods and clusters."""
    n_obs, n_units, n_times, n_clusters = sizes
    return EventStudyResult(
        provenance=provenance,
        method="event_study",
        terms=terms,
        coef=_frozen(coef),
        vcov=_frozen(vcov),
        n_obs=n_obs,
        n_units=n_units,
        n_times=n_times,
        n_clusters=n_clusters,
        cluster=params["cluster"] or params["unit"],
        df_t=n_clusters - 1,
        ssc=fit.ssc,
        df_k=fit.df_k,
        conf_level=params["conf_level"],
        bootstrap=boot,
        few_clusters=n_clusters < FEW_CLUSTERS,
        event_times=event_times,
        reference=params["reference"],
        window=params["window"],
        binned=params["bin_endpoints"],
        pretrend=pretrend,
        dropped_event_times=dropped,
        outcome=params["outcome"],
        weights=params["weights"],
    )


def _on_cohort_statistics(
    data: Any, params: dict[str, Any], digest: FrameFingerprint
) -> EventStudyResult | None:
    """The event study from cohort statistics (:mod:`socdata.scale`) when that is exact:
    a table source always (else a clear error), a pandas frame when it is a sorted
    balanced panel without covariates, weights or a wild bootstrap; ``None`` otherwise.
    ``digest`` fingerprints a frame's columns (started once its layout is known)."""
    from socdata.scale.event_study import event_study_from_moments
    from socdata.scale.sources import (
        cohort_moments,
        frame_moments,
        is_table_source,
        moment_columns,
    )

    fn = "socdata.did.event_study"
    table = is_table_source(data)
    if table and params["covariates"]:  # two passes of whole units (balanced panel)
        from socdata.scale.fe_stream import event_study_streamed

        return event_study_streamed(data, params)
    why = [
        name
        for name, bad in (
            ("covariates", bool(params["covariates"])),
            ("weights", params["weights"] is not None),
            ("bin_endpoints=False (drops rows: unbalanced)", not params["bin_endpoints"]),
            (
                "inference='bootstrap' (wild cluster bootstrap needs rows)",
                params["inference"] == "bootstrap",
            ),
        )
        if bad
    ]
    if why:
        if table:
            raise EstimationError(
                f"{fn} on a table source is computed from cohort statistics, which do not "
                f"support: {'; '.join(why)}. Read the rows into a pandas DataFrame for these."
            )
        return None
    window = _check_window(fn, params["window"], params["reference"], True)
    cols = moment_columns(params)
    if table:
        m = cohort_moments(data, **cols)
        inputs = m.source
    else:
        if not isinstance(data, pd.DataFrame):
            return None
        m = frame_moments(data, **cols, on_layout=digest.start)
        if m is None:
            return None
        n_cl = m.n_units if m.clusters is None else len(m.clusters)
        if n_cl < FEW_CLUSTERS and params["inference"] != "analytic":
            return None
        inputs = digest.result()
    return event_study_from_moments(m, params=params, window=window, inputs=inputs)


def _kept_terms(
    fn: str, panel: Any, fit: Any, regs: list[str]
) -> tuple[list[str], tuple[int, ...]]:
    """Names of the estimated terms and the event times dropped as collinear; a collinear
    covariate is an error."""
    names = [panel.names[i] for i in fit.kept]
    dropped = tuple(
        int(nm.split("::")[1])
        for i, nm in enumerate(panel.names)
        if i not in fit.kept and nm.startswith("event_time::")
    )
    dropped_cov = [nm for i, nm in enumerate(panel.names) if i not in fit.kept and nm in regs]
    if dropped_cov:
        raise EstimationError(
            f"{fn}: covariate(s) {dropped_cov} are collinear with the fixed effects or the "
            "event-time indicators; remove them."
        )
    return names, dropped


def _ordered_terms(
    fit: Any, names: list[str], ev_idx: list[int]
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, tuple[int, ...]]:
    """Event-time terms first (covariates after): names, coefficients, covariance and the
    event time of each term."""
    order = ev_idx + [i for i in range(len(names)) if i not in ev_idx]
    terms = tuple(names[i] for i in order)
    evt = tuple(
        int(t.split("::")[1]) if t.startswith("event_time::") else _COVARIATE for t in terms
    )
    return terms, fit.coef[order], fit.vcov[np.ix_(order, order)], evt


def _pretrend_test(
    fit: Any, names: list[str], reference: int, n_clusters: int
) -> tuple[list[int], Any]:
    """Positions of the event-time terms and the joint Wald test of the leads."""
    ev_idx = [i for i, nm in enumerate(names) if nm.startswith("event_time::")]
    ev_times = [int(names[i].split("::")[1]) for i in ev_idx]
    lead_idx = [i for i, k in zip(ev_idx, ev_times, strict=True) if k < 0]
    pretrend = wald_test(
        fit.coef,
        fit.vcov,
        lead_idx,
        n_clusters - 1,
        name="joint pre-trend Wald test",
        null=(
            "all lead coefficients (event times "
            + ", ".join(str(ev_times[ev_idx.index(i)]) for i in lead_idx)
            + f"; reference {reference}) are zero: no difference in trends before treatment"
        ),
    )
    return ev_idx, pretrend


def _evt_only(result: EventStudyResult) -> EventStudyResult:
    """Result restricted to event-time terms (drops covariates), for plotting."""
    keep = [i for i, t in enumerate(result.terms) if t.startswith("event_time::")]
    return dataclasses.replace(
        result,
        terms=tuple(result.terms[i] for i in keep),
        coef=result.coef[keep],
        vcov=result.vcov[np.ix_(keep, keep)],
        event_times=tuple(result.event_times[i] for i in keep),
    )
