"""Stacked difference-in-differences for matched sets on the event-time clock.

Each matched set ``s`` (one engager and the comparators matched to them at the engager's
referral month) is a small experiment aligned on its index month.  Stacking the sets and
fitting

``y_{i,s,e} = alpha_{i,s} + lambda_{s,e} + beta * D_i * post_e + u``

with unit-by-set effects ``alpha_{i,s}`` and set-by-event-time effects ``lambda_{s,e}``
compares each engager's change with the change of their own comparators only, on the event
clock (Cengiz, Dube, Lindner and Zipperer 2019; Wing, Freedman and Hollingsworth 2024).  A
comparator matched into several sets (matching with replacement) appears once per set.

* ``family="linear"``: least squares, ``beta`` in outcome units per unit-month; the overall
  estimate equals ``pyfixest.feols("y ~ treated:post | unit^matched_set +
  matched_set^event_time", vcov={"CRV1": "matched_set"})`` on the stacked frame.
* ``family="poisson"``: ``beta`` a log rate ratio.  ``method="mantel-haenszel"`` (the
  default) conditions the set effects out (:mod:`socdata.did._stacked_mh`): with one
  engager and a few comparators per set, Poisson maximum likelihood with these fixed
  effects suffers the incidental-parameter problem and overstates the effect (by about
  a third at SOCEIS sizes with sparse outcomes; ``docs/explanation/simulation.md``).
  ``method="pml"`` is that Poisson pseudo-maximum likelihood, equal to ``pyfixest.fepois``
  with the same fixed effects.
* Overall (``treated x post``, the event months in ``exclude`` left out: the index month
  holds days before and after referral) and by event time (``treated x 1{e = k}``, every
  ``k`` in the window but ``reference``).
* Weights: ``weights="auto"`` gives engagers weight 1 and each comparator ``1/k_s``, with
  ``k_s`` the comparators in its set, so that each set's comparator mean stands for the
  engager's counterfactual (1:k matching, or sets short of comparators); a column name uses
  that column; ``None`` is unweighted.  With 1:1 matching ``"auto"`` is unweighted.
* Standard errors: CRV1 clustered by matched set (see :mod:`socdata.did._stacked_fit`).
  A comparator used in several sets links those clusters; with heavy reuse cluster by
  person instead (``cluster="person_id"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from socdata.did._encode import Columns, check_columns, check_input
from socdata.did._stacked_fit import Fit, fit_ols, fit_poisson
from socdata.did._stacked_mh import fit_mh
from socdata.did._stacked_result import OVERALL, StackedDiDResult, event_term
from socdata.errors import EstimationError
from socdata.provenance import FlowLog, Provenance, hash_frame

__all__ = ["OVERALL", "StackedDiDResult", "event_term", "stack_matched_sets", "stacked_did"]

FAMILIES = ("linear", "poisson")
METHODS = {"linear": ("ols",), "poisson": ("mantel-haenszel", "pml")}


def _month_number(values: pd.Series, name: str) -> np.ndarray:
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.dt.year.to_numpy() * 12 + values.dt.month.to_numpy() - 1
    if pd.api.types.is_datetime64_any_dtype(values):
        if values.isna().any():
            raise EstimationError(f"stacked_did: column {name!r} has missing dates")
        return values.dt.year.to_numpy() * 12 + values.dt.month.to_numpy() - 1
    if pd.api.types.is_numeric_dtype(values):
        v = values.to_numpy(dtype="float64")
        if not np.all(np.isfinite(v)) or np.any(v != np.round(v)):
            raise EstimationError(
                f"stacked_did: column {name!r} must hold whole numbers (periods) or dates"
            )
        return v.astype(np.int64)
    raise EstimationError(
        f"stacked_did: column {name!r} has dtype {values.dtype}; give dates, periods or "
        "whole-number periods"
    )


def _codes(*cols: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({f"c{i}": c for i, c in enumerate(cols)})
    return frame.groupby(list(frame.columns), sort=True, observed=True).ngroup().to_numpy()


def stacked_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    index_time: str,
    matched_set: str,
    treated: str,
    family: Literal["linear", "poisson"] = "linear",
    method: str | None = None,
    window: tuple[int, int] = (-12, 12),
    exclude: Sequence[int] = (0,),
    reference: int = -1,
    weights: str | None = "auto",
    cluster: str | None = None,
    conf_level: float = 0.95,
    by_event_time: bool = True,
) -> StackedDiDResult:
    """Stacked difference-in-differences for matched sets on the event-time clock.

    Parameters
    ----------
    data
        Long frame, one row per unit, matched set and period (a comparator in several
        sets has rows in each): e.g. the output of :func:`stack_matched_sets`.  Not modified.
    outcome
        Outcome column (counts for ``family="poisson"``).
    unit
        Unit identifier (a person); the fixed effects are unit-by-set.
    time, index_time
        Period of the row and the set's index period (dates, pandas periods, or whole
        numbers); event time is ``time - index_time`` in months (dates) or periods.
    matched_set
        Matched-set identifier (e.g. the engager's id).
    treated
        0/1 column: 1 for the treated unit (engager) of the set.
    family
        ``"linear"`` (least squares) or ``"poisson"`` (log rate ratio).
    method
        Poisson only: ``"mantel-haenszel"`` (default; conditions the set effects out, no
        incidental-parameter bias) or ``"pml"`` (Poisson pseudo-maximum likelihood with the
        fixed effects, as ``pyfixest.fepois``; biased away from 1 when sets are small and
        the outcome sparse).  Linear: ``"ols"`` (the default).
    window
        First and last event time kept, e.g. ``(-12, 12)``.
    exclude
        Event times left out of the overall estimate (default the index month, 0).
    reference
        Event time whose coefficient is fixed at zero in the event-time model.
    weights
        ``"auto"`` (engagers 1, comparators ``1/k_s``), a column of weights, or ``None``.
    cluster
        Cluster column; default ``matched_set``.
    conf_level
        Confidence level of the intervals.
    by_event_time
        Whether to fit the event-time model too (``False``: overall estimate only, faster;
        ``tidy()`` then has the overall row alone and no pre-trend test is possible).

    Returns
    -------
    StackedDiDResult

    Raises
    ------
    EstimationError
        Missing columns, bad values, a set without a treated unit or without comparators,
        or a model that cannot be fitted (the message says why).
    """
    method, lo, hi, exclude = _check_options(family, method, conf_level, window, exclude, reference)
    cluster = cluster or matched_set
    cols = dict(outcome=outcome, unit=unit, time=time, index_time=index_time)
    cols |= dict(matched_set=matched_set, treated=treated, cluster=cluster)
    cols["weights"] = None if weights == "auto" else weights
    need = {c for c in cols.values() if c is not None}
    arr = _arrays(data, cols, family)
    w_all = _weights(data, weights, arr)
    fit = _fitter(arr, w_all, data[cluster].to_numpy(), family, method, cluster == matched_set)
    over, ev, ks, m_over, flow = _fit_models(
        fit, arr["e"], w_all, len(data), (lo, hi), exclude, reference, by_event_time
    )
    params = dict(
        outcome=outcome,
        unit=unit,
        time=time,
        index_time=index_time,
        matched_set=matched_set,
        treated=treated,
        family=family,
        method=method,
        window=(lo, hi),
        exclude=exclude,
        reference=reference,
        weights=weights,
        cluster=cluster,
        conf_level=conf_level,
        by_event_time=by_event_time,
    )
    return _result(data, sorted(need), params, arr, over, ev, ks, m_over, flow)


def _fit_models(
    fit: Any,
    e_all: np.ndarray,
    w_all: np.ndarray,
    n_rows: int,
    window: tuple[int, int],
    exclude: tuple[int, ...],
    reference: int,
    by_event_time: bool,
) -> tuple[Fit, Fit, list[int], np.ndarray, FlowLog]:
    """The overall model (``treated x post``, ``exclude`` left out) and the event-time
    model (every event time in the window but ``reference``), with the flow of the rows."""
    lo, hi = window
    inwin = (e_all >= lo) & (e_all <= hi) & (w_all > 0)
    flow = FlowLog().add(
        "event-time window",
        n_rows,
        int(inwin.sum()),
        {"outside window or zero weight": int((~inwin).sum())},
    )
    m_over = inwin & ~np.isin(e_all, exclude)
    ks = [k for k in range(lo, hi + 1) if k != reference and np.any(inwin & (e_all == k))]
    over = fit(m_over, [(e_all >= 0, e_all < 0)])
    flow = flow.add(
        "overall model: excluded event times",
        int(inwin.sum()),
        int(m_over.sum()),
        {f"event times {list(exclude)}": int((inwin & ~m_over).sum())},
    )
    if by_event_time:
        ev = fit(inwin, [(e_all == k, e_all == reference) for k in ks])
    else:
        ks = []
        ev = Fit(np.zeros(0), np.zeros((0, 0)), 0, over.n_clusters, 0, 1.0)
    if over.dropped:
        flow = flow.add(
            "Poisson: fixed-effect groups with only zeros",
            int(m_over.sum()),
            over.n_obs,
            {"outcome zero throughout the group": over.dropped},
        )
    return over, ev, ks, m_over, flow


def _result(data, need, params, arr, over: Fit, ev: Fit, ks, m_over, flow) -> StackedDiDResult:
    """The frozen result with its provenance."""
    cluster, method = params["cluster"], params["method"]
    prov = Provenance.build(
        "socdata.did.stacked_did",
        parameters=params,
        n_in=len(data),
        n_out=over.n_obs,
        flow=flow,
        notes=(_NOTES[method] + f" Standard errors clustered by {cluster}.",),
    )
    prov = dataclasses.replace(prov, inputs={"data": hash_frame(data, columns=need)})
    return StackedDiDResult(
        provenance=prov,
        family=params["family"],
        method=method,
        outcome=params["outcome"],
        coef=float(over.coef[0]),
        se=float(np.sqrt(over.vcov[0, 0])),
        event_times=tuple(ks),
        event_coef=_frozen(ev.coef),
        event_vcov=_frozen(ev.vcov),
        reference=params["reference"],
        exclude=params["exclude"],
        n_obs=over.n_obs,
        n_event_obs=ev.n_obs,
        n_sets=int(arr["set_codes"].max()) + 1,
        n_treated=int(np.unique(data[params["unit"]].to_numpy()[arr["d"] == 1]).size),
        n_units=int(np.unique(arr["unit_key"][m_over]).size),
        n_clusters=over.n_clusters,
        cluster=cluster,
        df_t=over.n_clusters - 1,
        ssc=over.ssc,
        df_k=over.df_k,
        conf_level=params["conf_level"],
        weights=params["weights"],
    )


def _check_options(family, method, conf_level, window, exclude, reference):
    """Checked family, method, confidence level and event-time window of :func:`stacked_did`."""
    fn = "stacked_did"
    if family not in FAMILIES:
        raise EstimationError(f"{fn}: family must be one of {FAMILIES}, got {family!r}")
    method = method or METHODS[family][0]
    if method not in METHODS[family]:
        raise EstimationError(
            f"{fn}: method must be one of {METHODS[family]} for family={family!r}, got {method!r}"
        )
    if not 0 < conf_level < 1:
        raise EstimationError(f"{fn}: conf_level must be in (0, 1), got {conf_level!r}")
    lo, hi = int(window[0]), int(window[1])
    exclude = tuple(int(k) for k in exclude)
    if not lo <= reference < 0 <= hi:
        raise EstimationError(
            f"{fn}: need window[0] <= reference < 0 <= window[1]; got window={window!r}, "
            f"reference={reference!r}"
        )
    return method, lo, hi, exclude


_NOTES = {
    "ols": "Stacked DiD on the event-time clock, least squares with fixed effects unit x "
    "matched set and matched set x event time (CRV1).",
    "pml": "Stacked DiD on the event-time clock, Poisson pseudo-maximum likelihood with fixed "
    "effects unit x matched set and matched set x event time (CRV1); with small sets and a "
    "sparse outcome it overstates the effect (incidental parameters).",
    "mantel-haenszel": "Stacked DiD on the event-time clock, Mantel-Haenszel rate ratio over "
    "the matched sets' 2x2 tables (set effects conditioned out); set-clustered sandwich "
    "variance, G/(G-1).",
}


def _arrays(data: pd.DataFrame, cols: dict[str, str | None], family: str) -> dict:
    """Checked numpy arrays of the columns: outcome, treated, event time, set and unit codes.

    ``cols`` names the columns by keyword (``outcome, unit, time, index_time, matched_set,
    treated, cluster, weights``); they are checked by the one DiD input encoder.
    """
    fn = "stacked_did"
    outcome, unit, time = cols["outcome"], cols["unit"], cols["time"]
    index_time, matched_set, treated = cols["index_time"], cols["matched_set"], cols["treated"]
    check_columns(data, cols, fn)
    y = check_input(data, Columns(outcome, unit, time), fn)[outcome]
    bad = ~np.isfinite(y)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise EstimationError(
            f"{fn}: outcome {outcome!r} is missing or not numeric in {int(bad.sum())} rows "
            f"(first at row {row}); drop or fill them first"
        )
    if family == "poisson" and (y < 0).any():
        raise EstimationError(f"{fn}: family='poisson' needs a non-negative outcome {outcome!r}")
    d = data[treated].to_numpy()
    if not np.isin(d, (0, 1)).all():
        raise EstimationError(f"{fn}: column {treated!r} must be 0/1")
    d = d.astype(np.int64)
    e = _month_number(data[time], time) - _month_number(data[index_time], index_time)
    set_codes = pd.factorize(data[matched_set], sort=True)[0]
    n_t = np.bincount(set_codes, weights=d)
    if np.any(n_t == 0):
        raise EstimationError(
            f"{fn}: {int((n_t == 0).sum())} matched set(s) have no treated unit; each set "
            f"needs its treated unit ({treated} == 1)"
        )
    unit_key = _codes(data[unit].to_numpy(), set_codes)
    return {"y": y, "d": d, "e": e, "set_codes": set_codes, "unit_key": unit_key}


def _weights(data: pd.DataFrame, weights: str | None, arr: dict) -> np.ndarray:
    """Row weights: ``"auto"`` (engagers 1, comparators ``1/k_s``), none, or a column."""
    d, set_codes = arr["d"], arr["set_codes"]
    if weights == "auto":
        first = pd.Series(arr["unit_key"]).duplicated().to_numpy()
        n_sets = int(set_codes.max()) + 1
        n_c = np.bincount(set_codes[~first], weights=1 - d[~first], minlength=n_sets)
        if np.any(n_c == 0):
            raise EstimationError(
                f"stacked_did: {int((n_c == 0).sum())} matched set(s) have no comparator rows; "
                "drop unmatched engagers before stacking"
            )
        return np.where(d == 1, 1.0, 1.0 / n_c[set_codes])
    if weights is None:
        return np.ones(len(data))
    w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype="float64")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise EstimationError(f"stacked_did: weights {weights!r} must be finite and non-negative")
    return w


def _fitter(arr: dict, w: np.ndarray, cl: np.ndarray, family: str, method: str, by_set: bool):
    """``fit(mask, periods)``: the model on the rows ``mask``, one slope per
    ``(later, baseline)`` pair of row masks (``treated x later``)."""
    y, d, e, set_codes, unit_key = (arr[k] for k in ("y", "d", "e", "set_codes", "unit_key"))

    def fit(mask: np.ndarray, periods: list[tuple[np.ndarray, np.ndarray]]) -> Fit:
        if method == "mantel-haenszel":
            sub = [(later[mask], base[mask]) for later, base in periods]
            return fit_mh(
                y[mask], d[mask], sub, set_codes[mask], w[mask], cl[mask], int(mask.sum())
            )
        a = _codes(unit_key[mask])
        b = _codes(set_codes[mask], e[mask])
        x = np.column_stack([(d * later)[mask] for later, _ in periods]).astype(float)
        fitter = fit_ols if family == "linear" else fit_poisson
        k_fe = 1 if by_set else _k_fe(a, b, cl[mask])
        return fitter(y[mask], x, a, b, w[mask], cl[mask], k_fe=k_fe)

    return fit


def _k_fe(a: np.ndarray, b: np.ndarray, cl: np.ndarray) -> int:
    """Fixed effects not nested in the clusters, as fixest counts them (minus redundancy)."""
    cl_codes = pd.factorize(cl)[0]
    k = 0
    nested = 0
    for codes in (a, b):
        n_cl = pd.DataFrame({"g": codes, "c": cl_codes}).drop_duplicates()["g"].value_counts()
        levels = int(codes.max()) + 1
        if (n_cl == 1).all():
            nested += 1
        else:
            k += levels
    return max(k - 1, 0) + nested if k else nested


def _frozen(a: np.ndarray) -> np.ndarray:
    out = np.array(a, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


def stack_matched_sets(
    panel: pd.DataFrame, pairs: pd.DataFrame, *, window: tuple[int, int] = (-12, 12)
) -> pd.DataFrame:
    """Stack a person-month panel by matched set.

    Parameters
    ----------
    panel
        Person-month panel with ``person_id`` and ``month`` (first day of the month) and
        the outcome columns.  Not modified.
    pairs
        Matched pairs, one row per (treated, comparator): ``treated_id``, ``control_id``
        and ``index_month`` (e.g. ``risk_set_match(...).pairs``).
    window
        Event months kept around the index month.

    Returns
    -------
    pandas.DataFrame
        The panel rows of every set member in the window, with ``matched_set`` (the
        treated unit's id), ``treated`` (0/1), ``index_month`` and ``event_time``.  A
        comparator in several sets has rows in each.
    """
    for c in ("treated_id", "control_id", "index_month"):
        if c not in pairs.columns:
            raise EstimationError(f"stack_matched_sets: pairs have no column {c!r}")
    for c in ("person_id", "month"):
        if c not in panel.columns:
            raise EstimationError(f"stack_matched_sets: panel has no column {c!r}")
    eng = pairs[["treated_id", "index_month"]].drop_duplicates("treated_id")
    members = pd.concat(
        [
            pd.DataFrame(
                {
                    "matched_set": eng["treated_id"].to_numpy(),
                    "person_id": eng["treated_id"].to_numpy(),
                    "treated": 1,
                    "index_month": eng["index_month"].to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "matched_set": pairs["treated_id"].to_numpy(),
                    "person_id": pairs["control_id"].to_numpy(),
                    "treated": 0,
                    "index_month": pairs["index_month"].to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    ).drop_duplicates(["matched_set", "person_id"])
    clash = [
        c for c in ("matched_set", "treated", "index_month", "event_time") if c in panel.columns
    ]
    out = panel.drop(columns=clash).merge(
        members, on="person_id", how="inner", validate="many_to_many"
    )
    mon = pd.to_datetime(out["month"])
    idx = pd.to_datetime(out["index_month"])
    out["event_time"] = ((mon.dt.year - idx.dt.year) * 12 + mon.dt.month - idx.dt.month).astype(
        "int64"
    )
    out = out[(out["event_time"] >= window[0]) & (out["event_time"] <= window[1])]
    return out.sort_values(
        ["matched_set", "treated", "person_id", "month"],
        ascending=[True, False, True, True],
        kind="stable",
    ).reset_index(drop=True)
