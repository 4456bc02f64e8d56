"""Assembling a :class:`~socdata.matching.result.MatchResult` from a match matrix (private).

Shared by :func:`socdata.matching.match`: matched pairs, MatchIt's weights, the balance
table, the counts of unmatched units by reason (warned or raised as asked) and the
provenance; :func:`relax_advice` is the advice every matcher gives when units go unmatched.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from socdata.errors import ExcludedRowsWarning, MatchingError
from socdata.matching._greedy import REASON_LABELS
from socdata.matching.balance import BALANCE_COLUMNS, balance_frame
from socdata.matching.result import MatchResult
from socdata.matching.weights import matchit_weights
from socdata.provenance import FlowLog, Provenance


def relax_advice(caliper: float | None, ratio: int, replace: bool, exact: bool) -> str:
    tips = []
    if caliper is not None:
        tips.append("widen or drop the caliper")
    if ratio > 1:
        tips.append("lower `ratio`")
    if not replace:
        tips.append("match with replace=True")
    if exact:
        tips.append("match exactly on fewer variables (or coarser categories)")
    tips.append("add comparators to the pool")
    return "; ".join(tips)


def assemble(
    data: pd.DataFrame,
    ids: np.ndarray,
    t: np.ndarray,
    match_mat: np.ndarray,
    reasons: np.ndarray,
    dist: Any,
    X_bal: pd.DataFrame,
    parameters: dict,
) -> MatchResult:
    """The :class:`~socdata.matching.result.MatchResult` of a match matrix.

    Parameters
    ----------
    data, ids, t
        The matched frame, its unit identifiers and treatment indicator (row order).
    match_mat, reasons
        Matched rows of each treated unit (``-1`` = none) and the reason codes of
        :data:`socdata.matching._greedy.REASON_LABELS`.
    dist
        The distance matched on: ``score`` (propensity score or ``None``), ``Z``
        (Mahalanobis-transformed covariates or ``None``), ``cal_width``, ``cal_units``
        and ``propensity`` (the model's coefficients).
    X_bal
        Covariates of the balance table (every level of a categorical column).
    parameters
        The checked options of :func:`socdata.matching.match` (recorded in the provenance;
        ``distance``, ``ratio``, ``replace``, ``caliper``, ``exact``, ``m_order`` and
        ``on_unmatched`` are read here).
    """
    distance, ratio, replace = parameters["distance"], parameters["ratio"], parameters["replace"]
    caliper, score = parameters["caliper"], dist.score
    n = len(t)
    treated_idx = np.flatnonzero(t)
    control_idx = np.flatnonzero(~t)
    n1 = treated_idx.size
    n_none, unmatched = _unmatched(
        match_mat,
        reasons,
        n_control=control_idx.size,
        ratio=ratio,
        advice=relax_advice(caliper, ratio, replace, bool(parameters.get("exact"))),
        on_unmatched=parameters["on_unmatched"],
    )

    pairs, unit_weights, w_all, w_c = _pairs_and_units(ids, t, match_mat, score, dist.Z)
    matched = np.flatnonzero(w_all > 0)

    bal_X = X_bal.copy()
    if score is not None:
        bal_X.insert(0, "propensity_score", score)
    bal = balance_frame(bal_X, t, w_all)
    bal = bal.loc[:, list(BALANCE_COLUMNS)]

    flow = FlowLog().add(
        "treated units matched",
        n1,
        n1 - n_none,
        {r.reason: int(r.n) for r in unmatched.itertuples() if not r.reason.startswith("fewer")},
        unit="treated units",
    )
    flow = flow.add(
        "controls used",
        control_idx.size,
        int((w_c > 0).sum()),
        {"not selected as a nearest neighbour": int(control_idx.size - (w_c > 0).sum())},
        unit="control units",
    )
    method = (
        f"greedy nearest-neighbour matching on the propensity score (unpenalised logit), "
        f"treated units in {parameters['m_order']!s} order"
        if distance == "logit"
        else "greedy nearest-neighbour matching on the Mahalanobis distance "
        f"(pooled within-group covariance), treated units in {parameters['m_order']!s} order"
    )
    prov = Provenance.build(
        "socdata.matching.match",
        parameters=parameters,
        frames={"data": data},
        n_in=n,
        n_out=int(matched.size),
        flow=flow,
        notes=(
            "Weights as MatchIt: treated 1; controls sum of 1/k_i over their matches, "
            "rescaled to sum to the number of matched controls.",
            "SMD = difference in (weighted) means / treated-group SD before matching (ATT).",
        ),
    )
    return MatchResult(
        provenance=prov,
        method=method,
        distance=distance,
        ratio=int(ratio),
        replace=bool(replace),
        caliper=caliper,
        caliper_units=dist.cal_units if caliper is not None else "",
        caliper_width=dist.cal_width,
        pairs=pairs,
        unit_weights=unit_weights,
        balance_table=bal,
        unmatched=unmatched,
        propensity=dist.propensity,
        n_treated=int(n1),
        n_control=int(control_idx.size),
    )


def _unmatched(
    match_mat: np.ndarray,
    reasons: np.ndarray,
    *,
    n_control: int,
    ratio: int,
    advice: str,
    on_unmatched: str,
) -> tuple[int, pd.DataFrame]:
    """Unmatched treated units by reason; raise when none matched, else warn/raise/ignore."""
    n1 = match_mat.shape[0]
    reason_counts = {
        REASON_LABELS[code]: int(np.sum(reasons == code)) for code in sorted(REASON_LABELS)
    }
    n_none = int(np.sum(match_mat[:, 0] < 0))
    n_partial = int(np.sum((match_mat[:, 0] >= 0) & (match_mat[:, -1] < 0)))
    rows = [
        {"reason": r, "n": int(np.sum((reasons == code) & (match_mat[:, 0] < 0)))}
        for code, r in REASON_LABELS.items()
    ]
    if ratio > 1:
        rows.append({"reason": f"fewer than {ratio} matches (partly matched)", "n": n_partial})
    unmatched = pd.DataFrame(rows, columns=["reason", "n"])
    unmatched = unmatched[unmatched["n"] > 0].reset_index(drop=True)
    if n_none == n1:
        detail = "; ".join(f"{r}: {k}" for r, k in reason_counts.items() if k)
        raise MatchingError(
            f"no treated unit could be matched ({n1} treated, {n_control} controls; "
            f"{detail}). To relax: " + advice
        )
    if n_none or n_partial:
        detail = "; ".join(f"{r.reason}: {r.n}" for r in unmatched.itertuples())
        msg = (
            f"{n_none} of {n1} treated unit(s) were not matched"
            + (f" and {n_partial} got fewer than {ratio} matches" if n_partial else "")
            + f" ({detail}); unmatched treated units are excluded from the matched sample. "
            "To match more: " + advice
        )
        if on_unmatched == "raise":
            raise MatchingError(msg)
        if on_unmatched == "warn":
            # _unmatched -> assemble -> match -> keyword wrapper -> the caller
            warnings.warn(msg, ExcludedRowsWarning, stacklevel=5)
    return n_none, unmatched


def _pairs_and_units(
    ids: np.ndarray,
    t: np.ndarray,
    match_mat: np.ndarray,
    score: np.ndarray | None,
    Z: np.ndarray | None,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """Pairs (one row per treated unit x rank), matched units with MatchIt's weights, the
    weight of every row and of every control."""
    n = t.size
    treated_idx = np.flatnonzero(t)
    control_idx = np.flatnonzero(~t)
    n1 = treated_idx.size
    # weights: controls indexed by their position among controls
    c_pos = np.full(n, -1, dtype=np.int64)
    c_pos[control_idx] = np.arange(control_idx.size)
    mm_c = np.where(match_mat >= 0, c_pos[np.clip(match_mat, 0, None)], -1)
    w_t, w_c = matchit_weights(mm_c, control_idx.size)
    w_all = np.zeros(n)
    w_all[treated_idx] = w_t
    w_all[control_idx] = w_c

    # pairs (ids only)
    rows_t, ranks = np.nonzero(match_mat >= 0)
    ti = treated_idx[rows_t]
    ci = match_mat[rows_t, ranks]
    subclass = np.zeros(n1, dtype=np.int64)
    has = match_mat[:, 0] >= 0
    subclass[has] = np.arange(1, int(has.sum()) + 1)
    if score is not None:
        sdist = np.abs(score[ti] - score[ci])
    else:
        sdist = np.linalg.norm(Z[ti] - Z[ci], axis=1)
    pairs = (
        pd.DataFrame(
            {
                "treated_id": ids[ti],
                "control_id": ids[ci],
                "match_rank": ranks + 1,
                "subclass": subclass[rows_t],
                "index_month": pd.Series(pd.NaT, index=range(ti.size), dtype="datetime64[ns]"),
                "score_distance": sdist,
            }
        )
        .sort_values(["subclass", "match_rank"], kind="stable")
        .reset_index(drop=True)
    )
    matched = np.flatnonzero(w_all > 0)
    unit_weights = pd.DataFrame(
        {
            "unit_id": ids[matched],
            "person_id": ids[matched],
            "treated": t[matched].astype(int),
            "index_month": pd.Series(pd.NaT, index=range(matched.size), dtype="datetime64[ns]"),
            "weight": w_all[matched],
        }
    )

    return pairs, unit_weights, w_all, w_c
