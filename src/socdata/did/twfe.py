"""Two-way fixed-effects (TWFE) difference-in-differences on a person-month panel.

``y_it = beta * D_it + gamma' Z_it + alpha_i + lambda_t + e_it`` with person effects
``alpha_i`` and calendar-month effects ``lambda_t``, estimated by least squares after
projecting the fixed effects out exactly (see :mod:`socdata.did._demean`: closed-form
two-way demeaning on balanced panels, a direct solve on unbalanced ones).

Inference
---------
* Default: CRV1 standard errors clustered by the unit (person), with the small-sample
  factor ``G/(G-1) * (N-1)/(N-K)`` where ``K`` counts the slopes and the fixed effects not
  nested in the clusters (person effects are nested in person clusters, so
  ``K = k + number of months``).  This is pyfixest's default for
  ``feols("y ~ d | unit + time", vcov={"CRV1": "unit"})`` (and R fixest's).  Student t with
  ``G - 1`` degrees of freedom.
* ``cluster=`` another column (e.g. ``"area"``): with fewer than
  :data:`~socdata.did._inference.FEW_CLUSTERS` (30) clusters the cluster formula is not
  trusted; p-values and intervals come from a wild cluster restricted bootstrap
  (:func:`socdata.did.wild_cluster_bootstrap`), a
  :class:`~socdata.errors.SmallClusterWarning` is raised and ``summary()`` says so.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from socdata.did._inference import FEW_CLUSTERS
from socdata.did._linear import fit_linear
from socdata.did._panel import Panel, build_panel
from socdata.did._prune import drop_uninformative
from socdata.did._results import BootstrapInference, FixedEffectsResult
from socdata.did._threads import single_threaded_blas
from socdata.did.bootstrap import wcr_inference
from socdata.errors import EstimationError, SmallClusterWarning, caller_stacklevel
from socdata.options import DEFAULT_SEED, Choice, check_bootstrap_draws, check_conf_level
from socdata.provenance import FrameFingerprint, Provenance

__all__ = ["FixedEffectsResult", "twfe"]

INFERENCE = Choice(
    "inference",
    ("auto", "analytic", "bootstrap"),
    (
        "wild cluster bootstrap when clusters are few, else analytic",
        "cluster-robust formula",
        "wild cluster restricted bootstrap",
    ),
)


def check_options(
    function: str, inference: str, conf_level: float, draws: int | None = None
) -> None:
    """Validate the shared options (messages generated from :mod:`socdata.options`)."""
    INFERENCE.check(inference, function=function, error=EstimationError)
    check_conf_level(conf_level, function=function, error=EstimationError)
    if draws is not None:
        check_bootstrap_draws(draws, function=function, error=EstimationError)


def few_cluster_policy(function: str, panel: Panel, cluster_name: str, inference: str) -> bool:
    """Whether to bootstrap; warn when clusters are few."""
    g = panel.n_clusters
    few = g < FEW_CLUSTERS
    if few:
        warnings.warn(
            f"{function}: only {g} clusters in {cluster_name!r}. The cluster-robust formula "
            f"is unreliable with fewer than {FEW_CLUSTERS} clusters (standard errors too "
            "small, tests over-reject). "
            + (
                "Using a wild cluster restricted bootstrap for p-values and intervals."
                if inference != "analytic"
                else "inference='analytic' was requested: p-values and intervals use the "
                "unreliable formula; use inference='auto' for the wild cluster bootstrap."
            ),
            SmallClusterWarning,
            stacklevel=caller_stacklevel(),
        )
    return inference == "bootstrap" or (few and inference == "auto")


def raise_weighted_bootstrap(function: str, n_clusters: int, cluster: str, inference: str) -> None:
    """Weights with the wild cluster bootstrap: not supported yet, say what to do instead."""
    why = (
        "inference='bootstrap' was requested"
        if inference == "bootstrap"
        else f"only {n_clusters} clusters in {cluster!r} (fewer than {FEW_CLUSTERS}) switch "
        "inference='auto' to the wild cluster bootstrap"
    )
    raise EstimationError(
        f"{function}: weights= combined with the wild cluster bootstrap is not supported yet "
        f"({why}). Use inference='analytic' for weighted CRV1 inference (unreliable with few "
        "clusters), or cluster by a variable with at least "
        f"{FEW_CLUSTERS} clusters (e.g. the unit)."
    )


@single_threaded_blas
def twfe(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str | None = None,
    cluster: str | None = None,
    covariates: Sequence[str] | None = None,
    conf_level: float = 0.95,
    inference: str = "auto",
    bootstrap_weights: str = "auto",
    bootstrap_draws: int = 9999,
    seed: int | None = DEFAULT_SEED,
    weights: str | None = None,
    cohort: str | None = None,
) -> FixedEffectsResult:
    """Two-way fixed-effects DiD: ``outcome ~ treatment + covariates | unit + time``.

    Parameters
    ----------
    data
        Long panel, one row per unit and period (e.g. from
        :func:`socdata.derive.person_month_panel`); not modified.
    outcome
        Outcome column (numeric).
    unit, time
        Unit (person) and period (calendar month) columns; their fixed effects are
        projected out.
    treatment
        Time-varying treatment indicator (0/1, e.g. engager x post-referral).
    cluster
        Cluster column; ``None`` clusters by ``unit`` (see ``inference`` for few clusters).
    covariates
        Further time-varying regressors.
    conf_level
        Confidence level of the intervals.
    inference
        ``"auto"`` (CRV1 t, or the wild cluster bootstrap with fewer than 30 clusters),
        ``"analytic"`` (always CRV1 t) or ``"bootstrap"`` (always WCR).
    bootstrap_weights
        ``"auto"`` (Webb for at most 12 clusters, else Rademacher), ``"rademacher"``,
        ``"webb"``.
    bootstrap_draws
        Draws for the bootstrap (all patterns are enumerated when fewer).
    seed
        Seed for bootstrap draws.
    weights
        Column of non-negative analytic weights (e.g. ``match_weight`` of
        :func:`socdata.matching.matched_panel`); ``None`` (default) unweighted.  Weighted
        least squares, CRV1 scores ``w x~ e`` (pyfixest's ``feols(..., weights=...)``);
        weight-0 rows are excluded and counted.  Not with the wild cluster bootstrap.
    cohort
        Instead of ``treatment``: the unit's first treated period (0 or missing = never);
        the treatment is then ``period >= cohort`` (term ``"treated"``).  Without
        covariates or weights the fit uses cohort statistics (:mod:`socdata.scale`), so
        ``data`` may be a table source (DuckDB, Parquet, Arrow, Spark or
        :class:`socdata.scale.CohortMoments`) of a balanced panel; with covariates a
        DuckDB, Parquet or Arrow source of a balanced panel is read in two passes of
        whole units (:mod:`socdata.scale.fe_stream`).

    Returns
    -------
    FixedEffectsResult
        ``tidy()`` has one row per regressor; the ``treatment`` row is the DiD estimate.

    Raises
    ------
    socdata.errors.EstimationError
        Missing or non-numeric columns, duplicate unit-period rows, a treatment collinear
        with the fixed effects, too few observations, negative or missing weights, or
        weights with the wild cluster bootstrap.

    Warns
    -----
    socdata.errors.ExcludedRowsWarning
        Rows with missing values or singleton units/periods excluded (counted in the flow).
    socdata.errors.SmallClusterWarning
        Fewer than 30 clusters.

    Examples
    --------
    >>> import socdata.did as did  # doctest: +SKIP
    >>> res = did.twfe(panel, outcome="arrests", unit="person_id", time="month",
    ...                treatment="post_engager")  # doctest: +SKIP
    >>> res.tidy().loc[0, ["term", "estimate", "std_error"]]  # doctest: +SKIP
    """
    fn = "socdata.did.twfe"
    check_options(fn, inference, conf_level, bootstrap_draws)
    if (treatment is None) == (cohort is None):
        raise EstimationError(f"{fn}: pass exactly one of treatment= and cohort=.")
    options = dict(
        cluster=cluster,
        covariates=list(covariates or []),
        conf_level=conf_level,
        inference=inference,
        bootstrap_weights=bootstrap_weights,
        bootstrap_draws=bootstrap_draws,
        seed=seed,
        weights=weights,
    )
    if cohort is not None:
        data, treatment = _cohort_treatment(
            data, dict(outcome=outcome, unit=unit, time=time, cohort=cohort, **options)
        )
        if isinstance(data, FixedEffectsResult):
            return data
    return _fit_rows(fn, data, dict(outcome=outcome, unit=unit, time=time), treatment, options)


def _fit_rows(
    fn: str,
    data: pd.DataFrame,
    cols: dict[str, str],
    treatment: str,
    options: dict[str, Any],
) -> FixedEffectsResult:
    """Row-level :func:`twfe`: the panel, the least-squares fit, (when clusters are few or it
    is asked for) the wild cluster restricted bootstrap of the treatment, and the result."""
    outcome, unit, time = cols["outcome"], cols["unit"], cols["time"]
    cluster, weights = options["cluster"], options["weights"]
    covariates = options["covariates"]
    columns = [outcome, unit, time, treatment, *covariates, cluster, weights]
    digest = FrameFingerprint(data, columns).start()  # hashing overlaps the fit
    panel = build_panel(
        data,
        function=fn,
        outcome=outcome,
        unit=unit,
        time=time,
        treatment=treatment,
        covariates=tuple(covariates),
        cluster=cluster,
        weights=weights,
    )
    panel = drop_uninformative(panel, function=fn)
    cluster_name = cluster or unit
    inference = options["inference"]
    use_boot = few_cluster_policy(fn, panel, cluster_name, inference)
    if use_boot and weights is not None:
        raise_weighted_bootstrap(fn, panel.n_clusters, cluster_name, inference)
    fit = fit_linear(panel, function=fn, need_arrays=use_boot)
    boot: tuple[BootstrapInference, ...] = ()
    if use_boot:
        boot = (
            wcr_inference(
                panel,
                fit,
                treatment,
                bootstrap_weights=options["bootstrap_weights"],
                bootstrap_draws=options["bootstrap_draws"],
                seed=options["seed"],
                conf_level=options["conf_level"],
            ),
        )
    return fixed_effects_result(
        fn,
        data,
        panel,
        method="twfe",
        coef=fit.coef,
        vcov=fit.vcov,
        ssc=fit.ssc,
        df_k=fit.df_k,
        cluster_name=cluster_name,
        parameters=dict(**cols, treatment=treatment, **options),
        fingerprint=digest,
        bootstrap=boot,
    )


def fixed_effects_result(
    function: str,
    data: pd.DataFrame,
    panel: Panel,
    *,
    method: str,
    coef: np.ndarray,
    vcov: np.ndarray,
    ssc: float,
    df_k: int,
    cluster_name: str,
    parameters: dict[str, Any],
    fingerprint: FrameFingerprint,
    notes: Sequence[str] = (),
    **extra: Any,
) -> FixedEffectsResult:
    """The frozen :class:`FixedEffectsResult` of a fit on ``panel`` (shared by
    :func:`twfe` and :func:`socdata.did.poisson_twfe`); ``fingerprint`` is that of
    the columns read, started before the fit so that hashing overlaps it; ``extra`` holds
    the method-specific fields (``bootstrap``, ``scale``, ``iterations``)."""
    return FixedEffectsResult(
        provenance=_provenance(function, panel, parameters, fingerprint, notes=notes),
        method=method,
        terms=tuple(panel.names),
        coef=_frozen(coef),
        vcov=_frozen(vcov),
        n_obs=panel.n,
        n_units=panel.n_units,
        n_times=panel.n_times,
        n_clusters=panel.n_clusters,
        cluster=cluster_name,
        df_t=panel.n_clusters - 1,
        ssc=ssc,
        df_k=df_k,
        conf_level=parameters["conf_level"],
        few_clusters=panel.n_clusters < FEW_CLUSTERS,
        weights=parameters["weights"],
        **extra,
    )


def _cohort_treatment(data: Any, params: dict[str, Any]) -> tuple[Any, str]:
    """``twfe(..., cohort=)``: the fit from cohort statistics when exact (a table source, or
    a sorted balanced frame without covariates or weights), else the frame with the
    indicator column ``treated`` for the row-level path."""
    from socdata.scale.regression import twfe_from_moments
    from socdata.scale.sources import (
        cohort_moments,
        frame_moments,
        is_table_source,
        moment_columns,
    )

    fn = "socdata.did.twfe"
    cols = moment_columns(params)
    simple = not params["covariates"] and params["weights"] is None
    simple = simple and params["inference"] != "bootstrap"
    if is_table_source(data):
        if params["covariates"]:  # two passes of whole units (balanced panel)
            from socdata.scale.fe_stream import twfe_streamed

            return twfe_streamed(data, params), ""
        if not simple:
            raise EstimationError(
                f"{fn} on a table source is computed from cohort statistics, which do not "
                "support weights or the wild cluster bootstrap. Read the rows into a pandas "
                "DataFrame for these."
            )
        m = cohort_moments(data, **cols)
        return twfe_from_moments(m, params=params, inputs=m.source, term="treated"), ""
    digest = FrameFingerprint(data, cols.values())  # started once the layout is known
    m = frame_moments(data, **cols, on_layout=digest.start) if simple else None
    if m is not None:
        n_cl = m.n_units if m.clusters is None else len(m.clusters)
        if n_cl >= FEW_CLUSTERS or params["inference"] == "analytic":
            inputs = digest.result()
            return twfe_from_moments(m, params=params, inputs=inputs, term="treated"), ""
    if "treated" in data.columns:
        raise EstimationError(f"{fn}: data already has a column 'treated'; rename it.")
    t, g = data[params["time"]], data[params["cohort"]]
    if pd.api.types.is_datetime64_any_dtype(t.dtype):
        on = g.notna() & (t >= g)
    else:
        gn = pd.to_numeric(g, errors="coerce")
        on = gn.notna() & (gn != 0) & (pd.to_numeric(t, errors="coerce") >= gn)
    return data.assign(treated=on.astype(np.float64).to_numpy()), "treated"


def _frozen(a: np.ndarray) -> np.ndarray:
    out = np.array(a, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


def _provenance(
    function: str,
    panel: Panel,
    parameters: dict,
    digest: FrameFingerprint,
    notes: Sequence[str] = (),
) -> Provenance:
    prov = Provenance.build(
        function,
        parameters=parameters,
        n_in=panel.n_in,
        n_out=panel.n,
        flow=panel.flow,
        notes=notes,
    )
    return dataclasses.replace(prov, inputs={"data": digest.result()})
