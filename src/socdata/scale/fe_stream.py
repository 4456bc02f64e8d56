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
  (demeaned within its unit), the two-way demeaned values are ``v~_it = v._it - c_t``
  where ``c_t`` is the mean of ``v._it`` over units, so ``V~'V~`` is the within-period
  scatter of ``v.``.  The design regressors are functions of cohort and period, so only
  ``u = (y, covariates)`` is read per unit: per cohort its count and period means, and its
  scatter within cohort and period, combined across chunks by the pairwise update (no sum
  of raw squares is differenced); the design and cross blocks follow from the cohort
  counts and means (``sum_(i in h) (u._it - c_t) = n_h (mean_h[t] - c_t)``).  This gives
  ``X~'X~``, ``X~'y~`` and the slopes;
* **pass 2, scores**: per unit ``s_i = sum_t x~_it e~_it`` (``e~ = y~ - x~ b``), summed
  to the CRV1 meat by unit, or per cluster (clusters may span chunks).

The covariance is :func:`socdata.did._inference.crv1` with the row path's small-sample
conventions (``K`` counts the slopes and the period effects, the unit effects being nested
in the clusters; ``G/(G-1)``).  Memory is one Arrow batch, one chunk of units
``(units, T, 1 + p)`` and ``O(H T (1 + p) + H T K + k^2)`` numbers (plus ``G x k`` with
``G`` clusters), whatever the table's size and however many event times; the
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
from socdata.errors import DiDInputError, EstimationError
from socdata.provenance import FlowLog, Provenance
from socdata.scale.moments import CohortMoments
from socdata.scale.regression import MomentsFit
from socdata.scale.units import OrderChanged, UnitStream

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
    from socdata.scale.sources import _refuse_spark, _relation, cohort_moments

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
        _check_table(rel, params, function)
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


def _check_table(rel: Any, params: dict[str, Any], function: str) -> None:
    """Every named column in the table (the row path's message), the covariates numeric."""
    from socdata.scale._sql import is_numeric_type

    types = dict(zip(rel.columns, (str(t).upper() for t in rel.types), strict=True))
    roles = {r: params[r] for r in ("outcome", "unit", "time", "cohort", "cluster")}
    roles.update({f"covariates[{i}]": c for i, c in enumerate(params["covariates"])})
    for role, col in roles.items():
        if col is not None and col not in types:
            raise DiDInputError(
                f"{function}: {role}={col!r} is not a column of the table. Columns in the "
                f"table: [{', '.join(list(types)[:30])}{', ...' if len(types) > 30 else ''}]."
            )
    for c in params["covariates"]:
        d = types[c]
        if not (is_numeric_type(d) or d == "BOOLEAN"):  # 0/1 indicators, as in memory
            raise DiDInputError(
                f"{function}: covariate column {c!r} must be numeric (type {d}). Rule: "
                "outcomes, treatments and covariates are numbers (0/1 for indicators). "
                "Recode labels to numbers first (or cast the column in the query)."
            )


def _check_balanced(m: CohortMoments, function: str) -> None:
    """Every unit complete (the statistics pass counted the incomplete ones)."""
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


class _CohortScatter:
    """Pass 1 sums of ``u = (y, covariates)`` demeaned within unit, ``(units, T, 1 + p)``:
    per cohort the count and period means, and the scatter within cohort and period pooled
    over cohorts, combined across chunks by the pairwise update (Chan, Golub and LeVeque);
    and the uncentred sums of squares (the collinearity rule).  The design regressors are
    functions of cohort and period, so they never need a unit-level array."""

    def __init__(self, n_h: int, n_t: int, q: int):
        self.n = np.zeros(n_h)
        self.mean = np.zeros((n_h, n_t, q))
        self.scatter = np.zeros((q, q))
        self.raw = np.zeros(q)

    def add(self, ch: Any) -> None:
        u = np.concatenate([ch.y[:, :, None], ch.x], axis=2)
        self.raw += np.einsum("mtq,mtq->q", u, u)
        u -= u.mean(axis=1, keepdims=True)
        for h, rows in _by_cohort(ch.code):
            uh = u[rows]
            m = len(uh)
            mean_b = uh.mean(axis=0)
            c = (uh - mean_b).reshape(-1, u.shape[2])
            delta = mean_b - self.mean[h]
            total = self.n[h] + m
            self.scatter += c.T @ c + (self.n[h] * m / total) * (delta.T @ delta)
            self.mean[h] += delta * (m / total)
            self.n[h] = total


def _by_cohort(code: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """The chunk's rows of each cohort present: ``(cohort code, row indices)``."""
    order = np.argsort(code, kind="stable")
    cuts = np.flatnonzero(np.diff(code[order])) + 1
    return [(int(code[r[0]]), r) for r in np.split(order, cuts)]


@dataclasses.dataclass(frozen=True)
class _TwoWay:
    """The two-way demeaned design ``(H, T, K)``, the period means ``(T, 1 + p)`` of the
    unit-demeaned outcome and covariates, ``V~'V~`` of ``(y, regressors)`` and the
    uncentred sums of squares of the regressors, in the regressors' order."""

    design: np.ndarray
    c_u: np.ndarray
    scatter: np.ndarray
    raw: np.ndarray
    x_pos: np.ndarray
    d_pos: np.ndarray


def _two_way(acc: _CohortScatter, design: np.ndarray, covariates_first: bool) -> _TwoWay:
    """``V~'V~`` from the pass-1 sums: the ``u`` block is the pooled scatter plus the
    cohorts' deviations from the period means; the design block and the cross block need
    only the cohort counts, since ``sum_(i in h) (u_it - c_t) = n_h (mean_h[t] - c_t)``."""
    nh = acc.n
    n = nh.sum()
    c_u = np.einsum("h,htq->tq", nh, acc.mean) / n
    dev = acc.mean - c_u
    d_dot = design - design.mean(axis=1, keepdims=True)
    d_t = d_dot - np.einsum("h,htk->tk", nh, d_dot) / n
    s_uu = acc.scatter + np.einsum("h,htq,htr->qr", nh, dev, dev)
    s_dd = np.einsum("h,htk,htl->kl", nh, d_t, d_t)
    s_ud = np.einsum("h,htq,htk->qk", nh, dev, d_t)
    p, k_d = acc.mean.shape[2] - 1, design.shape[2]
    x_pos = np.arange(p) if covariates_first else k_d + np.arange(p)
    d_pos = p + np.arange(k_d) if covariates_first else np.arange(k_d)
    u_pos = np.concatenate([[0], 1 + x_pos])
    full = np.empty((1 + k_d + p, 1 + k_d + p))
    full[np.ix_(u_pos, u_pos)] = s_uu
    full[np.ix_(1 + d_pos, 1 + d_pos)] = s_dd
    full[np.ix_(u_pos, 1 + d_pos)] = s_ud
    full[np.ix_(1 + d_pos, u_pos)] = s_ud.T
    raw = np.empty(k_d + p)
    raw[x_pos] = acc.raw[1:]
    raw[d_pos] = np.einsum("h,htk->k", nh, design**2)
    return _TwoWay(d_t, c_u, full, raw, x_pos, d_pos)


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
    acc = _CohortScatter(len(m.cohorts), n_t, 1 + len(stream.covariates))
    for ch in stream.chunks():  # pass 1: cross products
        acc.add(ch)
    if acc.n.sum() != m.n_units:  # pragma: no cover - the statistics pass saw every unit
        raise AssertionError(f"streamed {acc.n.sum()} units, the statistics counted {m.n_units}")
    tw = _two_way(acc, design, covariates_first)
    gram_all = tw.scatter[1:, 1:]
    kept = [
        j for j in independent_columns(gram_all) if gram_all[j, j] > 1e-10 * max(tw.raw[j], 1e-300)
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
    coef = bread @ tw.scatter[1:, 0][kept]
    meat, n_clusters = _meat(panel, tw, kept, coef)
    n_units = int(acc.n.sum())
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
    panel: StreamedPanel, tw: _TwoWay, kept: list[int], coef: np.ndarray
) -> tuple[np.ndarray, int]:
    """Pass 2: the CRV1 meat ``sum_g s_g s_g'`` from each unit's score
    ``s_i = sum_t x~_it e~_it`` and the clusters (a dropped regressor has slope 0)."""
    m = panel.moments
    b = np.zeros(len(tw.raw))
    b[kept] = coef
    fitted_d = tw.design @ b[tw.d_pos]  # (H, T): the design's part of the fit
    n_cl = m.n_units if m.clusters is None else len(m.clusters)
    k = len(kept)
    meat = np.zeros((k, k))
    sums = None if m.clusters is None else np.zeros((n_cl, k))
    for ch in panel.stream.chunks():
        u = np.concatenate([ch.y[:, :, None], ch.x], axis=2)
        u -= u.mean(axis=1, keepdims=True) + tw.c_u
        e = u[:, :, 0] - u[:, :, 1:] @ b[tw.x_pos] - fitted_d[ch.code]
        s = np.empty((len(e), len(b)))
        s[:, tw.x_pos] = np.einsum("mtp,mt->mp", u[:, :, 1:], e)
        for h, rows in _by_cohort(ch.code):
            s[np.ix_(rows, tw.d_pos)] = e[rows] @ tw.design[h]
        s = s[:, kept]
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
