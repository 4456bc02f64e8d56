"""Two-way fixed-effects regressions with covariates on a table source, in two passes.

``did.twfe(..., cohort=, covariates=)`` and ``did.event_study(..., covariates=)`` regress
the outcome on regressors that depend on the cohort and the period (the treatment
``1[t >= g]`` or event-time indicators) *and* on unit-level time-varying covariates, which
no cohort statistic reduces.  On a balanced panel the two-way within transformation has a
closed form, so the fit is computed from a :class:`~socdata.scale.units.UnitStream` of
whole units (the reader of ``att_gt``'s covariate path), holding one chunk of units at a
time:

* **cohort statistics** (:func:`socdata.scale.sources.cohort_moments`, a unit with a
  missing or non-finite covariate counted as incomplete): the cohorts, periods,
  clusters and the balance check;
* **pass 1, cross products**: with ``v = (y, regressors)`` and ``v. = v - vbar_i``
  (demeaned within its unit, exactly, in its chunk), the two-way demeaned values are
  ``v~_it = v._it - c_t`` where ``c_t`` is the mean of ``v._it`` over units, so
  ``V~'V~`` is the within-period scatter of ``v.``: combined across chunks by the
  pairwise update (no sum of raw squares is differenced), it gives ``X~'X~``, ``X~'y~``
  and the slopes;
* **pass 2, scores**: per unit ``s_i = sum_t x~_it e~_it`` (``e~ = y~ - x~ b``), summed
  to the CRV1 meat by unit, or per cluster (clusters may span chunks).

The covariance is :func:`socdata.did._inference.crv1` with the row path's small-sample
conventions (``K`` counts the slopes and the period effects, the unit effects being nested
in the clusters; ``G/(G-1)``).  Memory is one Arrow batch, one chunk of units and
``O(T k + k^2)`` numbers (``O(G k)`` with ``G`` clusters), whatever the table's size; the
table is scanned four times (the order check of the stream, the statistics, two passes).

Limits: a balanced panel only (the row path drops a row with a missing covariate and
fits the unbalanced panel; here that is an error), no weights, and no wild cluster
bootstrap (it needs the rows): with fewer than 30 clusters pass ``inference="analytic"``.
DuckDB reads the table (DuckDB relation, Parquet, Arrow); Spark is refused.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any

import numpy as np

from socdata.did._inference import FEW_CLUSTERS, crv1, independent_columns
from socdata.errors import EstimationError
from socdata.provenance import FlowLog, Provenance
from socdata.scale.moments import CohortMoments
from socdata.scale.regression import MomentsFit
from socdata.scale.units import OrderChanged, UnitStream

#: DuckDB column types read as numbers besides the integers and decimals.
NUMERIC = frozenset({"FLOAT", "DOUBLE", "BOOLEAN"})

__all__ = [
    "StreamedPanel",
    "event_study_streamed",
    "fit_streamed",
    "streamed_panel",
    "twfe_streamed",
]


@dataclasses.dataclass(frozen=True)
class StreamedPanel:
    """A balanced panel on a table source: its cohort statistics (``moments``: cohorts,
    periods, clusters, counts), the stream of its units and a description of the input."""

    moments: CohortMoments
    stream: UnitStream
    source: str


def streamed_panel(data: Any, params: dict[str, Any], function: str) -> StreamedPanel:
    """Check the options and the table, and return its :class:`StreamedPanel`.

    Raises :class:`~socdata.errors.EstimationError` for a Spark DataFrame or cohort
    moments (no unit rows), weights, the wild cluster bootstrap (asked for, or implied by
    fewer than 30 clusters with ``inference="auto"``) and an unbalanced panel.
    """
    import duckdb

    from socdata.scale import units
    from socdata.scale.covariates import _masked_outcome
    from socdata.scale.sources import (
        _INTEGER_TYPES,
        _check_columns,
        _refuse_spark,
        _relation,
        cohort_moments,
    )

    _refuse_spark(data)
    covariates = list(params["covariates"])
    if isinstance(data, CohortMoments):
        raise EstimationError(
            f"{function} with covariates needs the unit rows; cohort statistics cannot give "
            "them. Pass a DuckDB relation, Parquet path or Arrow table."
        )
    if params["weights"] is not None:
        raise EstimationError(
            f"{function} with covariates on a table source does not support weights= yet. "
            "Read the rows into a pandas DataFrame for a weighted fit."
        )
    if params["inference"] == "bootstrap":
        raise EstimationError(
            f"{function} with covariates on a table source: inference='bootstrap' (the wild "
            "cluster bootstrap) needs unit rows; pass inference='analytic' or the rows as a "
            "pandas DataFrame."
        )
    cluster = None if params["cluster"] == params["unit"] else params["cluster"]
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        rel, desc = _relation(data, con)
        roles = {f"covariates[{i}]": c for i, c in enumerate(covariates)}
        types_ = _check_columns(rel, {**roles, "outcome": params["outcome"]})
        for c in covariates:
            d = types_[c].upper()
            if not (d in _INTEGER_TYPES or d in NUMERIC or d.startswith("DECIMAL")):
                raise EstimationError(
                    f"{function}: covariate column {c!r} must be numeric (type {types_[c]}). "
                    "Rule: covariates are numbers (0/1 for indicators); recode or cast it in "
                    "the query."
                )
        m = cohort_moments(
            _masked_outcome(rel, params["outcome"], covariates),
            outcome=params["outcome"],
            unit=params["unit"],
            time=params["time"],
            cohort=params["cohort"],
            cluster=cluster,
        )
    finally:
        con.close()
    _check_balanced(m, function)
    _check_clusters(m, params, function)
    cols = {c: params[c] for c in ("unit", "time", "cohort", "outcome")}
    stream = UnitStream(
        data=data,
        columns={**cols, "cluster": cluster},
        covariates=covariates,
        n_periods=len(m.time_labels),
        keep_t=np.ones(len(m.time_labels), dtype=bool),
        code_of_key={k: i for i, k in enumerate(m.cohorts)},
        cluster_pos=None
        if m.clusters is None
        else {c: i for i, c in enumerate(m.clusters.tolist())},
        batch_rows=units.BATCH_ROWS,
    )
    return StreamedPanel(m, stream, f"{desc} (covariates streamed in chunks of units)")


def _check_balanced(m: CohortMoments, function: str) -> None:
    n_bad = int(m.n_incomplete.sum())
    if n_bad:
        raise EstimationError(
            f"{function}: {n_bad} units lack a row, an outcome or a finite covariate in some "
            "period; with covariates on a table source the fit streams a balanced panel (the "
            "row path would drop those rows and fit an unbalanced panel). Restrict the table "
            "to a window in which every unit is fully observed, or pass the rows as a pandas "
            "DataFrame."
        )


def _check_clusters(m: CohortMoments, params: dict[str, Any], function: str) -> None:
    """Fewer than 30 clusters: an error with ``inference="auto"`` (the row path would use
    the wild cluster bootstrap, which needs rows), the row path's warning with
    ``"analytic"``."""
    from socdata.did.twfe import few_cluster_policy

    g = m.n_units if m.clusters is None else len(m.clusters)
    if g >= FEW_CLUSTERS:
        return
    if params["inference"] != "analytic":
        raise EstimationError(
            f"{function}: {g} clusters call for the wild cluster bootstrap, which needs unit "
            "rows; pass inference='analytic' or the rows as a pandas DataFrame."
        )
    few_cluster_policy(
        function,
        types.SimpleNamespace(n_clusters=g),
        params["cluster"] or params["unit"],
        "analytic",
    )


class _WithinScatter:
    """Running within-period scatter of unit-demeaned values ``v.`` ``(units, T, q)``:
    count, period means ``c_t`` and ``sum (v. - c_t)(v. - c_t)'``, combined across chunks by
    the pairwise update (Chan, Golub and LeVeque); and the uncentred sums of squares."""

    def __init__(self, n_t: int, q: int):
        self.n = 0
        self.mean = np.zeros((n_t, q))
        self.scatter = np.zeros((q, q))
        self.raw = np.zeros(q)

    def add(self, v: np.ndarray) -> None:
        self.raw += np.einsum("mtq,mtq->q", v, v)
        dv = v - v.mean(axis=1, keepdims=True)
        m = dv.shape[0]
        mean_b = dv.mean(axis=0)
        c = (dv - mean_b).reshape(-1, dv.shape[2])
        delta = mean_b - self.mean
        total = self.n + m
        self.scatter += c.T @ c + (self.n * m / total) * (delta.T @ delta)
        self.mean += delta * (m / total)
        self.n = total


def _values(ch: Any, design: np.ndarray, covariates_first: bool) -> np.ndarray:
    """``(y, design regressors, covariates)`` of a chunk's units, ``(m, T, 1 + K + p)``
    (the covariates before the design regressors when ``covariates_first``)."""
    regs = [ch.x, design[ch.code]] if covariates_first else [design[ch.code], ch.x]
    return np.concatenate([ch.y[:, :, None], *regs], axis=2)


def fit_streamed(
    panel: StreamedPanel,
    design: np.ndarray,
    *,
    function: str,
    drop_collinear: bool = False,
    names: tuple[str, ...] = (),
    covariates_first: bool = False,
) -> MomentsFit:
    """Least squares of the outcome on ``design`` and the covariates with unit and period
    fixed effects, and CRV1 by the clusters, from two passes of the panel's units.

    Parameters
    ----------
    panel
        The balanced panel (:func:`streamed_panel`).
    design
        Regressors per cohort and period, ``(H, T, K)`` (rows of ``panel.moments.cohorts``);
        the covariates follow them.
    function
        Public function name for messages.
    drop_collinear
        Drop regressors collinear with the fixed effects (else raise, naming them).
    names
        Names of all regressors in their order, for the message.
    covariates_first
        Order the covariates before the design regressors (the row path's order, which
        decides which of collinear regressors is dropped).

    Returns
    -------
    MomentsFit
        The slopes of the kept regressors, their covariance and the counts.
    """
    order = dict(drop_collinear=drop_collinear, names=names, covariates_first=covariates_first)
    try:
        return _fit_streamed(panel, design, function, **order)
    except OrderChanged:  # the stored order is not stable between scans: scan ordered
        panel.stream.ordered = False
        return _fit_streamed(panel, design, function, **order)


def _fit_streamed(
    panel: StreamedPanel,
    design: np.ndarray,
    function: str,
    *,
    drop_collinear: bool,
    names: tuple[str, ...],
    covariates_first: bool,
) -> MomentsFit:
    m, stream = panel.moments, panel.stream
    n_t = len(m.time_labels)
    k = design.shape[2] + len(stream.covariates)
    acc = _WithinScatter(n_t, 1 + k)
    for ch in stream.chunks():  # pass 1: cross products
        acc.add(_values(ch, design, covariates_first))
    if acc.n != m.n_units:  # pragma: no cover - the statistics pass saw every unit
        raise AssertionError(f"streamed {acc.n} units, the statistics counted {m.n_units}")
    gram_all = acc.scatter[1:, 1:]
    raw = acc.raw[1:]
    kept = [
        j for j in independent_columns(gram_all) if gram_all[j, j] > 1e-10 * max(raw[j], 1e-300)
    ]
    if len(kept) < k and not drop_collinear:
        dropped = [names[j] if names else str(j) for j in range(k) if j not in kept]
        raise EstimationError(
            f"{function}: regressor(s) {dropped} are collinear with the unit and period fixed "
            "effects or with each other, so their effect is not identified. Rule: a treatment "
            "must switch on within units at different times, and a covariate must vary within "
            "units beyond the common period effects."
        )
    if not kept:
        raise EstimationError(f"{function}: no regressor is identified after the fixed effects.")
    bread = np.linalg.inv(gram_all[np.ix_(kept, kept)])
    coef = bread @ acc.scatter[1:, 0][kept]
    meat, n_clusters = _meat(panel, (design, covariates_first), acc.mean, kept, coef)
    n_units = int(acc.n)
    n_obs = n_units * n_t
    vcov, ssc, df_k = crv1(
        bread,
        meat,
        n=n_obs,
        n_units=n_units,
        n_times=n_t,
        n_clusters=n_clusters,
        unit_nested=True,  # the statistics pass checked the cluster is constant within unit
        time_nested=n_clusters == 1,
    )
    return MomentsFit(
        coef=coef,
        vcov=vcov,
        kept=kept,
        ssc=ssc,
        df_k=df_k,
        n_obs=n_obs,
        n_units=n_units,
        n_times=n_t,
        n_clusters=n_clusters,
    )


def _meat(
    panel: StreamedPanel,
    design: tuple[np.ndarray, bool],
    c_t: np.ndarray,
    kept: list[int],
    coef: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Pass 2: the CRV1 meat ``sum_g s_g s_g'`` from each unit's score and the clusters."""
    m = panel.moments
    cols = [0] + [1 + j for j in kept]
    n_cl = m.n_units if m.clusters is None else len(m.clusters)
    k = len(kept)
    meat = np.zeros((k, k))
    sums = None if m.clusters is None else np.zeros((n_cl, k))
    for ch in panel.stream.chunks():
        v = _values(ch, *design)
        vt = (v - v.mean(axis=1, keepdims=True) - c_t)[:, :, cols]
        e = vt[:, :, 0] - vt[:, :, 1:] @ coef
        s = np.einsum("mtk,mt->mk", vt[:, :, 1:], e)
        if sums is None:
            meat += s.T @ s
        else:
            for j in range(k):
                sums[:, j] += np.bincount(ch.cluster, weights=s[:, j], minlength=n_cl)
    if sums is not None:
        meat = sums.T @ sums
    return meat, int(n_cl)


def streamed_provenance(
    function: str, panel: StreamedPanel, fit: MomentsFit, params: dict, notes: tuple = ()
) -> Provenance:
    """Provenance of a streamed fit: the balanced panel's flow and the input described."""
    flow = FlowLog().add("units in the balanced panel", fit.n_units, fit.n_units, {}, "units")
    prov = Provenance.build(
        function,
        parameters=params,
        n_in=panel.moments.n_rows,
        n_out=fit.n_obs,
        flow=flow,
        notes=[*notes, "computed in two passes of whole units of a balanced panel"],
    )
    return dataclasses.replace(prov, inputs={"data": panel.source})


def twfe_streamed(data: Any, params: dict[str, Any]) -> Any:
    """:func:`socdata.did.twfe` with ``cohort=`` and ``covariates=`` on a table source
    (see module docstring): the same :class:`~socdata.did.FixedEffectsResult` as the row
    path, with the treatment term ``"treated"``."""
    from socdata.scale.regression import staggered_design, twfe_result

    fn = "socdata.did.twfe"
    panel = streamed_panel(data, params, fn)
    names = ("treated", *params["covariates"])
    fit = fit_streamed(panel, staggered_design(panel.moments), function=fn, names=names)
    return twfe_result(fit, streamed_provenance(fn, panel, fit, params), params, names)


def event_study_streamed(data: Any, params: dict[str, Any]) -> Any:
    """:func:`socdata.did.event_study` with ``covariates=`` on a table source (see module
    docstring): the event-time indicators of the cohort-statistics path
    (:mod:`socdata.scale.event_study`, endpoints binned) and the covariates, in the row
    path's order (covariates first), and the same :class:`~socdata.did.EventStudyResult`."""
    from socdata.did._event_design import _check_window
    from socdata.scale.event_study import _design, finish_event_study

    fn = "socdata.did.event_study"
    if not params["bin_endpoints"]:
        raise EstimationError(
            f"{fn} with covariates on a table source needs bin_endpoints=True (dropping the "
            "event times outside the window unbalances the panel). Read the rows into a "
            "pandas DataFrame for bin_endpoints=False."
        )
    reference = params["reference"]
    window = _check_window(fn, params["window"], reference, True)
    panel = streamed_panel(data, params, fn)
    design, ev_names = _design(panel.moments, *window, reference)
    covs = list(params["covariates"])
    names = (*covs, *ev_names)
    fit = fit_streamed(
        panel, design, function=fn, drop_collinear=True, names=names, covariates_first=True
    )
    dropped_cov = [nm for j, nm in enumerate(covs) if j not in fit.kept]
    if dropped_cov:
        raise EstimationError(
            f"{fn}: covariate(s) {dropped_cov} are collinear with the fixed effects or the "
            "event-time indicators; remove them."
        )
    return finish_event_study(
        fit,
        names,
        params,
        window,
        lambda p, notes: streamed_provenance(fn, panel, fit, p, notes=tuple(notes)),
    )
