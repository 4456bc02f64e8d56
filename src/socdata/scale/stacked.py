"""The stacked matched-set design on a table source: sums per set, arm and event time.

In :func:`socdata.did.stacked_did` every regressor (``treated x post``, ``treated x 1{e =
k}``) depends only on the arm (treated unit or comparator) and the event time, and both
sets of fixed effects (unit x set, set x event time) are nested in the matched set.  When
every unit of a set is observed at the same event times (a balanced set) and its weight is
constant, the two-way within transformation inside set ``s`` is the closed form

``x~_{a,e} = x_{a,e} - xbar_a - xbar^w_e + xbar^w``

(arm means over the set's event times, weighted means over the arms, ``W_{s,a}`` the summed
unit weights of arm ``a``), so with ``Y_{s,a,e} = sum_i w_i y_{i,e}`` over the arm's units:

* ``X~'WX~ = sum_{s,a,e} W_{s,a} x~ x~'`` and ``X~'Wy = sum_{s,a,e} x~ Y_{s,a,e}``;
* a unit's CRV1 score is ``sum_e w x~ (y_e - x_{a,e}'b - rbar_{s,e})`` with ``rbar`` the
  set's weighted mean residual at ``e`` (the unit effect drops out: ``x~`` sums to zero over
  the set's event times), so a cluster's score needs the sums per cluster, set, arm and
  event time; for clusters that hold whole sets the ``rbar`` terms cancel and the set
  sums suffice, and with person clusters (comparators reused across sets) the sums are
  per person;
* the Mantel-Haenszel rate ratio (``family="poisson"``) is a function of the same sums
  collapsed to the two periods compared, and its set-clustered variance of the sets'
  contributions.

The engine computes ``Y``, ``W`` and the row counts with one ``GROUP BY`` (set, arm, event
time, cluster) after two checking queries (the row rules; per unit and set); no unit row
reaches Python (with person clusters the groups are per person and event time).  The
queries are written once and run by DuckDB (DuckDB relation, Parquet, Arrow, pandas) or
by Spark (a Spark DataFrame) through :mod:`socdata.scale.engine`.  Not reducible this
way, and a clear error on a table source: unbalanced sets (a unit missing an event time
the set has), a cluster, weight or arm that changes within a unit's set, the
Mantel-Haenszel estimator with clusters that split sets (as in memory), and
``method="pml"`` (Poisson pseudo-maximum likelihood: not implemented here).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from socdata.did._stacked_fit import Fit, _check_rank
from socdata.did._stacked_mh import log_ratio
from socdata.errors import EstimationError
from socdata.provenance import FlowLog, Provenance
from socdata.scale.engine import Table, open_table

__all__ = ["stacked_did_table"]

_FN = "stacked_did"


@dataclasses.dataclass(frozen=True)
class SetSums:
    """Weighted outcome sums ``Y`` and weights ``W`` and row counts ``N`` per set, arm
    (0 comparators, 1 treated) and event time ``(S, 2, E)``, each set's cluster code, and
    the counts the result reports; ``groups`` holds the same sums split by cluster (one
    entry per cluster, set, arm and event time: ``s``, ``a``, ``e``, ``c``, ``y``, ``w``),
    and ``set_cluster`` is ``None`` when a cluster column splits sets."""

    y: np.ndarray
    w: np.ndarray
    n: np.ndarray
    event_times: np.ndarray
    set_cluster: np.ndarray | None
    n_rows: int
    n_sets: int
    n_treated: int
    source: str
    groups: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)


def _month(t: Table, col: str) -> str:
    if t.kinds[col] in ("date", "timestamp"):
        return f"(year({t.q(col)}) * 12 + month({t.q(col)}) - 1)"
    t.require(col, ("integer",), "give dates or whole-number periods", EstimationError)
    return f"CAST({t.q(col)} AS BIGINT)"


def _check_rows(t: Table, p: dict[str, Any], inwin: str) -> tuple[int, int, int]:
    """The row rules of the in-memory call, in its order, and the rules of the set sums
    (constant arm, weight and cluster within a unit's set; balanced sets), counted by the
    engine in two queries (rows; units and sets); the rows, sets and treated units."""
    n_key, n_bad_y, n_neg, n_bad_d, n_bad_w, *counts = t.one(
        "SELECT count(*) FILTER (WHERE s IS NULL OR u IS NULL OR e IS NULL), "
        f"count(*) FILTER (WHERE y IS NULL OR NOT {t.finite('y')}), count(*) FILTER (WHERE y < 0), "
        "count(*) FILTER (WHERE d IS NULL OR d NOT IN (0, 1)), "
        f"count(*) FILTER (WHERE w IS NULL OR NOT {t.finite('w')} OR w < 0), "
        "count(*), count(DISTINCT CASE WHEN d = 1 THEN u END) FROM src"
    )
    keys = ", ".join(repr(p[k]) for k in ("matched_set", "unit", "time", "index_time"))
    _raise_first(
        (n_key, f": {n_key} rows lack a value of {keys}; every row needs its set, unit, period "
                "and index period: drop or fill them first"),
        (n_bad_y, f": outcome {p['outcome']!r} is missing or not numeric in {n_bad_y} rows; "
                  "drop or fill them first"),
        (n_neg * (p["family"] == "poisson"),
         f": family='poisson' needs a non-negative outcome {p['outcome']!r}"),
        (n_bad_d, f": column {p['treated']!r} must be 0/1"),
    )  # fmt: skip
    # per unit and set over all rows (and its rows in the window), per set; a unit without
    # rows in the window is not in the fit, so it cannot unbalance its set (one DISTINCT
    # per grouping: Spark runs several as an Expand copying every row once per DISTINCT)
    ewin = f"CASE WHEN {inwin} THEN e END"
    n_sets, n_none, n_empty, n_arm, n_w, n_c, n_dup, n_unbal = t.one(
        "WITH per_unit AS (SELECT s, min(d) < max(d) AS dd, min(w) < max(w) AS ww, "
        f"min(c) < max(c) AS cc, count({ewin}) AS n, count(DISTINCT {ewin}) AS ne FROM src "
        "GROUP BY s, u), per_set AS (SELECT s, max(d) AS d1, min(d) AS d0, "
        f"count(DISTINCT {ewin}) AS ne FROM src GROUP BY s) "
        "SELECT count(*), count(*) FILTER (WHERE d1 = 0), count(*) FILTER (WHERE d0 = 1), "
        "sum(dd), sum(ww), sum(cc), sum(dup), sum(unbal) FROM (SELECT s, max(d1) AS d1, "
        "max(d0) AS d0, count(*) FILTER (WHERE dd) AS dd, count(*) FILTER (WHERE ww) AS ww, "
        "count(*) FILTER (WHERE cc) AS cc, count(*) FILTER (WHERE per_unit.n > per_unit.ne) "
        "AS dup, count(*) FILTER (WHERE per_unit.n > 0 AND per_unit.ne < per_set.ne) AS unbal "
        "FROM per_unit JOIN per_set USING (s) GROUP BY s)"
    )
    _raise_first(
        (n_none, f": {n_none} matched set(s) have no treated unit; each set needs its treated "
                 f"unit ({p['treated']} == 1)"),
        (n_empty * (p["weights"] == "auto"), f": {n_empty} matched set(s) have no comparator "
                                             "rows; drop unmatched engagers before stacking"),
        (n_bad_w * (p["weights"] not in (None, "auto")),
         f": weights {p['weights']!r} must be finite and non-negative"),
        *((n_bad, f" on a table source: {n_bad} unit(s) change their {what} within a matched "
                  "set; the set-sums path needs it constant within unit and set (pass the rows "
                  "as a pandas DataFrame).")
          for n_bad, what in ((n_arm, "treated value"), (n_w, "weight"), (n_c, "cluster"))),
        (n_dup, f" on a table source: {n_dup} unit(s) have more than one row at an event time "
                "of a matched set; rule: one row per unit, set and period."),
        (n_unbal, f" on a table source: {n_unbal} unit(s) lack some event times their matched "
                  "set has in the window; the set sums are exact for balanced sets only. "
                  "Restrict the window to event times every unit is observed in, or pass the "
                  "rows as a pandas DataFrame."),
    )  # fmt: skip
    return counts[0], n_sets, counts[1]


def _raise_first(*checks: tuple[int, str]) -> None:
    """Raise ``stacked_did`` + the message of the first check whose count is not zero."""
    for n_bad, msg in checks:
        if n_bad:
            raise EstimationError(_FN + msg)


_WEIGHTS = {
    "auto": "CASE WHEN d = 1 THEN CAST(1 AS DOUBLE) ELSE CAST(1 AS DOUBLE) / k END",
    None: "CAST(1 AS DOUBLE)",
}


def set_sums(data: Any, p: dict[str, Any]) -> SetSums:
    """The engine's sums per set, arm and event time (see module docstring)."""
    with open_table(data, _FN) as t0:
        cols = [p[k] for k in ("outcome", "unit", "time", "index_time", "matched_set", "treated")]
        wcol = p["weights"] if p["weights"] not in (None, "auto") else None
        missing = sorted({c for c in [*cols, p["cluster"], wcol] if c and c not in t0.kinds})
        if missing:
            raise EstimationError(
                f"{_FN}: data has no column(s) {missing}; stack the matched sets first "
                "(socdata.did.stack_matched_sets)"
            )
        num = ("integer", "float", "decimal")
        for col, kinds, rule in ((p["outcome"], num, "the outcome must be numeric"),
                                 (p["treated"], (*num, "bool"), "it must be 0/1"),
                                 (wcol, num, "weights must be numeric")):  # fmt: skip
            if col is not None:
                t0.require(col, kinds, rule, EstimationError)
        q = t0.q
        e = f"{_month(t0, p['time'])} - {_month(t0, p['index_time'])}"
        t = t0.project(
            f"{q(p['matched_set'])} AS s, {q(p['unit'])} AS u, "
            f"CAST({q(p['treated'])} AS DOUBLE) AS d, CAST({q(p['outcome'])} AS DOUBLE) AS y, "
            f"{e} AS e, CAST({q(wcol) if wcol else 1} AS DOUBLE) AS w, {q(p['cluster'])} AS c"
        )
        lo, hi = p["window"]
        inwin = f"e BETWEEN {int(lo)} AND {int(hi)}" + (" AND w > 0" if wcol else "")
        n_rows, n_sets, n_treated = _check_rows(t, p, inwin)
        wexpr = _WEIGHTS.get(p["weights"], "w")  # "auto": treated 1, comparators 1 / k_s
        k = "SELECT s, count(DISTINCT CASE WHEN d = 0 THEN u END) AS k FROM src GROUP BY s"
        join = f"JOIN ({k}) USING (s) " if p["weights"] == "auto" else ""
        agg = t.frame(
            f"SELECT s, d, e, c, sum(ww * y) AS y, sum(ww) AS w, count(*) AS n FROM (SELECT *, "
            f"{wexpr} AS ww FROM src {join}WHERE {inwin}) GROUP BY s, d, e, c",
        )
        source = f"{t.engine} GROUP BY matched set, arm, event time, cluster of {t.desc}"
    return _arrays(agg, p, n_rows, n_sets, n_treated, source)


def _arrays(
    agg: pd.DataFrame, p: dict[str, Any], n_rows: int, n_sets: int, n_treated: int, source: str
) -> SetSums:
    if len(agg) == 0:
        raise EstimationError(f"{_FN}: no row in the event-time window {p['window']}.")
    s_code, s_labels = pd.factorize(agg["s"], sort=True)
    c_code = pd.factorize(agg["c"])[0]
    per_set = pd.DataFrame({"s": s_code, "c": c_code}).drop_duplicates()
    set_cluster = None
    if not per_set["s"].duplicated().any():  # clusters hold whole sets
        set_cluster = np.empty(len(s_labels), dtype=np.int64)
        set_cluster[per_set["s"].to_numpy()] = per_set["c"].to_numpy()
    lo, hi = p["window"]
    ev = np.arange(lo, hi + 1)
    shape = (len(s_labels), 2, len(ev))
    a_code = agg["d"].to_numpy().astype(np.int64)
    e_code = agg["e"].to_numpy().astype(np.int64) - lo
    groups = dict(s=s_code, a=a_code, e=e_code, c=c_code)
    out = {k: np.zeros(shape) for k in ("y", "w", "n")}
    for k in out:
        groups[k] = agg[k].to_numpy(dtype=np.float64)
        np.add.at(out[k], (s_code, a_code, e_code), groups[k])
    return SetSums(
        y=out["y"],
        w=out["w"],
        n=out["n"],
        event_times=ev,
        set_cluster=set_cluster,
        n_rows=int(n_rows),
        n_sets=int(n_sets),
        n_treated=int(n_treated),
        source=source,
        groups=groups,
    )


# ---------------------------------------------------------------------- the fits
def fit_ols_sums(ss: SetSums, x: np.ndarray, mask: np.ndarray, by_set: bool) -> Fit:
    """Least squares with unit x set and set x event-time effects on the set sums.

    ``x`` ``(2, E, K)``: the regressors by arm and event time; ``mask`` ``(E,)``: the event
    times in the model; ``by_set``: the clusters are the matched sets (else the fixed
    effects not nested in the clusters count in the small-sample factor, as fixest's)."""
    pres = (ss.n.sum(axis=1) > 0) & mask[None, :]  # (S, E)
    t_s = pres.sum(axis=1).astype(np.float64)
    t_safe = np.maximum(t_s, 1.0)[:, None]
    y = ss.y * pres[:, None, :]
    wa = (ss.w * pres[:, None, :]).sum(axis=2) / t_safe  # (S, 2) unit weights per arm
    xm = x[None, :, :, :] * pres[:, None, :, None]  # (S, 2, E, K)
    xbar_a = xm.sum(axis=2) / t_safe[:, :, None]  # (S, 2, K)
    wtot = np.maximum(wa.sum(axis=1), 1e-300)
    xbar_e = np.einsum("sa,saek->sek", wa, xm) / wtot[:, None, None]
    xbar = np.einsum("sa,sak->sk", wa, xbar_a) / wtot[:, None]
    xt = xm - xbar_a[:, :, None, :] - xbar_e[:, None, :, :] + xbar[:, None, None, :]
    xt *= pres[:, None, :, None]
    gram = np.einsum("sa,saek,sael->kl", wa, xt, xt)
    _check_rank(gram)
    coef = np.linalg.solve(gram, np.einsum("saek,sae->k", xt, y))
    # a unit's score is sum_e w x~ (y - x'b - rbar_e), rbar_e the set's weighted mean
    # residual at e (the unit effect drops out: x~ sums to 0 over e); summed by cluster
    fitted = np.einsum("aek,k->ae", x, coef)
    rbar = (y - wa[:, :, None] * fitted[None]).sum(axis=1) / wtot[:, None]  # (S, E)
    gr = ss.groups
    keep = pres[gr["s"], gr["e"]]
    s_, a_, e_ = gr["s"][keep], gr["a"][keep], gr["e"][keep]
    cl = pd.factorize(gr["c"][keep])[0]
    g = int(cl.max()) + 1 if len(cl) else 0
    if g < 2:
        raise EstimationError(
            f"cluster-robust standard errors need at least 2 clusters; the data has {g}."
        )
    part = gr["y"][keep] - gr["w"][keep] * (fitted[a_, e_] + rbar[s_, e_])
    sums = np.zeros((g, len(coef)))
    np.add.at(sums, cl, xt[s_, a_, e_] * part[:, None])
    n = int((ss.n * pres[:, None, :]).sum())
    df_k = len(coef) + (1 if by_set else _k_fe(s_, e_, cl))
    if n - df_k <= 0:
        raise EstimationError(f"not enough observations ({n}) for {df_k} parameters")
    ssc = (g / (g - 1)) * (n - 1) / (n - df_k)
    bread = np.linalg.inv(gram)
    return Fit(coef, ssc * bread @ (sums.T @ sums) @ bread, n, g, df_k, ssc)


def _k_fe(s: np.ndarray, e: np.ndarray, cl: np.ndarray) -> int:
    """Fixed effects not nested in the clusters (:func:`socdata.did.stacked._k_fe`): the
    unit x set effects are (a unit's cluster is constant); the set x event-time effects
    are when each of them lies in one cluster, else they all count (less one)."""
    per_level = pd.DataFrame({"s": s, "e": e, "c": cl}).drop_duplicates()
    n_cl = per_level.groupby(["s", "e"]).size()
    if (n_cl == 1).all():
        return 2
    return len(n_cl) - 1 + 1


def fit_mh_sums(ss: SetSums, periods: list[tuple[np.ndarray, np.ndarray]], mask: np.ndarray) -> Fit:
    """Mantel-Haenszel log rate ratios (:func:`socdata.did._stacked_mh.fit_mh`) on the set
    sums; ``periods`` pairs of ``(E,)`` masks (later, baseline)."""
    if ss.set_cluster is None:
        raise EstimationError(
            "stacked_did(family='poisson', method='mantel-haenszel') needs clusters that hold "
            "whole matched sets (cluster by the matched set, or by a coarser unit such as the "
            "area); a cluster column that splits sets (e.g. person_id with matching with "
            "replacement) needs method='pml'"
        )
    rows = ss.n[:, :, mask].sum(axis=(1, 2)) > 0
    cl = pd.factorize(ss.set_cluster[rows])[0]
    g = int(cl.max()) + 1 if len(cl) else 0
    if g < 2:
        raise EstimationError(
            f"cluster-robust standard errors need at least 2 clusters; the data has {g}."
        )
    y = ss.y[rows]
    coef = np.empty(len(periods))
    infl = np.zeros((g, len(periods)))
    for j, (later, base) in enumerate(periods):
        e1, c1 = y[:, 1, later & mask].sum(axis=1), y[:, 0, later & mask].sum(axis=1)
        e0, c0 = y[:, 1, base & mask].sum(axis=1), y[:, 0, base & mask].sum(axis=1)
        tot = e1 + c1 + e0 + c0
        safe = np.where(tot > 0, tot, 1.0)
        r, s = e1 * c0 / safe, e0 * c1 / safe
        coef[j], infl[:, j] = log_ratio(r, s, cl, g)
    ssc = g / (g - 1)
    n_obs = int(ss.n[:, :, mask].sum())
    return Fit(coef, ssc * infl.T @ infl, n_obs, g, len(periods), ssc)


def _periods(ss: SetSums, p: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Event-time masks of the overall model and the window, and the event times with a
    coefficient (present in the window, not the reference)."""
    ev = ss.event_times
    inwin = ss.n.sum(axis=(0, 1)) > 0
    over = inwin & ~np.isin(ev, p["exclude"])
    ks = [int(k) for k in ev[inwin] if k != p["reference"]]
    return over, inwin, ks


def stacked_did_table(data: Any, **p: Any) -> Any:
    """:func:`socdata.did.stacked_did` on a table source (see module docstring); the
    keywords are those of ``stacked_did``."""
    from socdata.did._stacked_result import StackedDiDResult
    from socdata.did.stacked import _NOTES, _check_options, _frozen

    method, lo, hi, exclude = _check_options(
        p["family"], p["method"], p["conf_level"], p["window"], p["exclude"], p["reference"]
    )
    if method == "pml":
        raise EstimationError(
            f"{_FN} on a table source: method='pml' (Poisson pseudo-maximum likelihood) is not "
            "available from set sums; use method='mantel-haenszel' (the default) or pass the "
            "rows as a pandas DataFrame."
        )
    p = dict(p, method=method, window=(lo, hi), exclude=exclude)
    p["cluster"] = p["cluster"] or p["matched_set"]
    ss = set_sums(data, p)
    over_m, inwin, ks = _periods(ss, p)
    ev = ss.event_times
    post = ev >= 0
    if method == "mantel-haenszel":
        over = fit_mh_sums(ss, [(post, ~post)], over_m)
        evfit = fit_mh_sums(ss, [(ev == k, ev == p["reference"]) for k in ks], inwin)
    else:
        by_set = p["cluster"] == p["matched_set"]
        arm = np.array([0.0, 1.0])[:, None, None]
        over = fit_ols_sums(ss, arm * post[None, :, None], over_m, by_set)
        x_ev = arm * (ev[None, :, None] == np.array(ks)[None, None, :])
        evfit = fit_ols_sums(ss, x_ev, inwin, by_set)
    if not p["by_event_time"]:
        ks, evfit = [], Fit(np.zeros(0), np.zeros((0, 0)), 0, over.n_clusters, 0, 1.0)
    n_win = int(ss.n.sum())
    flow = FlowLog().add(
        "event-time window", ss.n_rows, n_win, {"outside window or zero weight": ss.n_rows - n_win}
    )
    flow = flow.add(
        "overall model: excluded event times",
        n_win,
        over.n_obs,
        {f"event times {list(exclude)}": n_win - over.n_obs},
    )
    params = {k: p[k] for k in _PARAMS}
    prov = Provenance.build(
        "socdata.did.stacked_did",
        parameters=params,
        n_in=ss.n_rows,
        n_out=over.n_obs,
        flow=flow,
        notes=(
            _NOTES[method] + f" Standard errors clustered by {p['cluster']}.",
            f"computed from sums per matched set, arm and event time ({ss.source})",
        ),
    )
    prov = dataclasses.replace(prov, inputs={"data": ss.source})
    used = ss.n[:, :, over_m].sum(axis=2)  # rows per set and arm in the overall model
    t_s = (ss.n.sum(axis=1)[:, over_m] > 0).sum(axis=1)
    n_units = int(np.divide(used.sum(axis=1), np.maximum(t_s, 1)).round().sum())
    return StackedDiDResult(
        provenance=prov,
        family=p["family"],
        method=method,
        outcome=p["outcome"],
        coef=float(over.coef[0]),
        se=float(np.sqrt(over.vcov[0, 0])),
        event_times=tuple(ks),
        event_coef=_frozen(evfit.coef),
        event_vcov=_frozen(evfit.vcov),
        reference=p["reference"],
        exclude=exclude,
        n_obs=over.n_obs,
        n_event_obs=evfit.n_obs,
        n_sets=ss.n_sets,
        n_treated=ss.n_treated,
        n_units=n_units,
        n_clusters=over.n_clusters,
        cluster=p["cluster"],
        df_t=over.n_clusters - 1,
        ssc=over.ssc,
        df_k=over.df_k,
        conf_level=p["conf_level"],
        weights=p["weights"],
    )


_PARAMS = (
    "outcome",
    "unit",
    "time",
    "index_time",
    "matched_set",
    "treated",
    "family",
    "method",
    "window",
    "exclude",
    "reference",
    "weights",
    "cluster",
    "conf_level",
    "by_event_time",
)
