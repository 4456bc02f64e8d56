"""The estimator's rules applied to cohort moments: the panel an estimate is finished on.

:func:`panel_from_moments` turns :class:`~socdata.scale.moments.CohortMoments` into the
:class:`socdata.did._att_gt_arrays.PanelArrays` that :func:`socdata.did.att_gt` finishes
(cells, influence-function statistics, aggregations), applying at cohort level the rules
``build_panel`` applies to unit rows, with the same messages, warnings and flow log:
incomplete units are an error (``balance="require"``) or dropped and counted; units
treated in the first period are dropped and counted; cohorts first treated after the last
period are never treated; without never-treated units the last cohort's periods are
dropped (R did).
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from typing import Any

import numpy as np

from socdata.did._att_gt_arrays import PanelArrays
from socdata.did._att_gt_prep import (
    NO_UNIT_LEFT,
    AttGtInputError,
    _cohort_codes,
    _last_cohort_periods,
    excluded_units_flow,
    incomplete_units,
)
from socdata.errors import EstimationError
from socdata.provenance import FlowLog
from socdata.scale.moments import NEVER, CohortMoments, combine

__all__ = ["panel_from_moments", "table_panel"]


def _cohort_numbers(m: CohortMoments, time_num: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numeric first treated period of each cohort (inf = never) and its raw value."""
    if m.time_kind == "datetime":
        raw = np.array(
            ["NaT" if c is NEVER else np.datetime64(int(c), "ns") for c in m.cohorts],
            dtype="datetime64[ns]",
        )
        g = np.searchsorted(m.time_labels.astype("datetime64[ns]"), raw).astype(np.float64)
        return np.where(np.isnat(raw), np.inf, g), raw
    raw = np.array([np.nan if c is NEVER else float(c) for c in m.cohorts])
    if np.any(raw[~np.isnan(raw)] < 0):
        raise AttGtInputError(
            "the cohort column has negative values; rule: the first treated period, or 0 / "
            "missing for never treated."
        )
    return np.where(np.isnan(raw), np.inf, raw), raw


def _excluded(
    m: CohortMoments,
    gnum: np.ndarray,
    time_num: np.ndarray,
    *,
    outcome: str,
    anticipation: int,
    balance: str,
) -> tuple[np.ndarray, FlowLog]:
    n_inc = int(m.n_incomplete.sum())
    n_all = int(m.n.sum()) + n_inc
    excluded = incomplete_units(
        n_inc,
        n_all,
        len(time_num),
        balance=balance,
        outcome=outcome,
        example=m.example_incomplete,
    )
    first = gnum <= time_num[0] + anticipation
    n_first = int(m.n[first].sum())
    if n_first:
        excluded["already treated in the first period"] = n_first
    keep = ~first & (m.n > 0)
    return keep, excluded_units_flow(n_all, int(m.n[keep].sum()), excluded)


def panel_from_moments(
    m: CohortMoments,
    *,
    outcome: str,
    anticipation: int,
    control_group: str,
    balance: str,
) -> PanelArrays:
    """The estimation panel (as cohort moments) under the rules of ``att_gt``."""
    n_t = len(m.time_labels)
    if n_t < 2:
        raise AttGtInputError("the panel has a single period; ATT(g,t) needs at least two.")
    time_num = (
        np.arange(n_t, dtype=np.float64)
        if m.time_kind == "datetime"
        else m.time_labels.astype(np.float64)
    )
    gnum, raw = _cohort_numbers(m, time_num)
    keep, flow = _excluded(
        m,
        gnum,
        time_num,
        outcome=outcome,
        anticipation=anticipation,
        balance=balance,
    )
    m, gnum, raw = m.select(keep), gnum[keep], raw[keep]
    notes: list[str] = []
    late = np.isfinite(gnum) & (gnum > time_num[-1] + anticipation)
    if late.any():
        notes.append(
            f"{int(m.n[late].sum())} units first treated after the last period were treated "
            "as never treated (as in R did)."
        )
        never = ~np.isfinite(gnum) | late
        idx = np.arange(len(gnum))
        rest = [[int(i)] for i in idx[~never]]
        m = m.merge_cohorts([list(idx[never]), *rest], [NEVER, *(m.cohorts[i[0]] for i in rest)])
        gnum, raw = _cohort_numbers(m, time_num)
    if control_group == "never_treated" and not np.isinf(gnum).any():
        # the row path's message: no never-treated unit is the reason, even if none is left
        _last_cohort_periods(gnum, time_num, n_t, anticipation, control_group, flow)
    if len(m.cohorts) == 0 or int(m.n.sum()) == 0:
        raise EstimationError(NO_UNIT_LEFT)
    time_labels = m.time_labels
    control_only = None
    if not np.isinf(gnum).any():
        keep_t, flow = _last_cohort_periods(gnum, time_num, n_t, anticipation, control_group, flow)
        notes.append(
            "No never-treated units: as in R did, periods from the last cohort's first treated "
            "period on are dropped and that cohort serves only as a comparison group."
        )
        m = m.periods(keep_t)
        time_num, time_labels = time_num[keep_t], time_labels[keep_t]
        control_only = float(gnum.max())
    code, cohort_values, labels = _cohort_codes(gnum, raw, time_labels, m.time_kind)
    order = np.argsort(code, kind="stable")
    if len(set(code.tolist())) != len(code):  # pragma: no cover - cohorts are distinct keys
        raise EstimationError("two cohorts share a first treated period.")
    m = m.select(np.ones(len(code), bool))
    m = dataclasses.replace(
        m,
        cohorts=tuple(m.cohorts[i] for i in order),
        n=m.n[order],
        mean=m.mean[order],
        scatter=m.scatter[order],
        n_incomplete=m.n_incomplete[order],
    )
    if m.clusters is not None:
        cn, cs = m.cluster_n[:, order], m.cluster_sum[:, order]
        used = cn.sum(axis=1) > 0
        m = dataclasses.replace(
            m, clusters=m.clusters[used], cluster_n=cn[used], cluster_sum=cs[used]
        )
    if 0 not in code:  # no never-treated cohort: code 0 exists but is empty
        m = _with_empty_never(m)
    n_cl = len(m.clusters) if m.clusters is not None else m.n_units
    return PanelArrays(
        y=np.empty((0, len(time_num))),
        cohort_code=np.zeros(0, dtype=np.int64),
        cohort_values=cohort_values,
        time_num=time_num,
        time_labels=time_labels,
        cohort_labels=labels,
        x=None,
        cluster_code=None,
        n_clusters=n_cl,
        flow=flow,
        notes=notes,
        n_rows_in=m.n_rows,
        control_only=control_only,
        moments=m,
    )


def _with_empty_never(m: CohortMoments) -> CohortMoments:
    """Prepend an empty never-treated cohort (code 0) to moments that have none."""
    n_t = len(m.time_labels)
    empty = CohortMoments(
        time_labels=m.time_labels,
        time_kind=m.time_kind,
        cohorts=(NEVER,),
        n=np.zeros(1, dtype=np.int64),
        mean=np.zeros((1, n_t)),
        scatter=np.zeros((1, n_t, n_t)),
        n_incomplete=np.zeros(1, dtype=np.int64),
        n_rows=0,
        clusters=m.clusters,
        cluster_n=None if m.clusters is None else np.zeros((len(m.clusters), 1)),
        cluster_sum=None if m.clusters is None else np.zeros((len(m.clusters), 1, n_t)),
        source=m.source,
    )
    out = combine([empty, m])
    return dataclasses.replace(out, example_incomplete=m.example_incomplete)


def table_panel(data: Any, params: dict[str, Any]) -> tuple[Future, PanelArrays]:
    """The estimation panel of ``att_gt`` from a table source (statistics computed by the
    engine), and a description of the input for provenance."""
    unsupported = []
    if params["weights"]:
        unsupported.append("weights")
    if params["inference"] == "bootstrap":
        unsupported.append("inference='bootstrap' (multipliers are drawn per unit)")
    if unsupported:
        raise AttGtInputError(
            "att_gt on a table source (DuckDB, Parquet, Arrow, Spark or site statistics) "
            "computes ATT(g,t) from cohort statistics, which do not support: "
            + "; ".join(unsupported)
            + ". Read the rows into a pandas DataFrame for these options."
        )
    if params["covariates"]:  # the 2x2 fits need unit rows: streamed in chunked passes
        from socdata.scale.covariates import covariate_panel

        return covariate_panel(data, params)
    from socdata.scale.sources import cohort_moments, moment_columns

    m = cohort_moments(data, **moment_columns(params))
    p = panel_from_moments(
        m,
        outcome=params["outcome"],
        anticipation=params["anticipation"],
        control_group=params["control_group"],
        balance=params["balance"],
    )
    digest: Future = Future()
    digest.set_result(m.source or type(data).__name__)
    return digest, p
