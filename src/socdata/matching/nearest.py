"""Nearest-neighbour matching on one row per unit, with MatchIt's defaults.

``match(data, treatment=..., covariates=...)`` with no other options reproduces
``MatchIt::matchit(treat ~ covariates, data)``: 1:1 greedy nearest-neighbour matching on a
propensity score from an unpenalised logistic regression (the fitted probability, not
the linear predictor), without replacement, treated units visited from the largest
propensity score down, no caliper, ATT weights.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from socdata.errors import ExcludedRowsWarning, MatchingError
from socdata.matching._distance import mahalanobis_matrix, matchit_visit_order
from socdata.matching._greedy import (
    REASON_LABELS,
    greedy_match_1d,
    greedy_match_kdtree,
    left_counts,
    sort_controls,
)
from socdata.matching.balance import BALANCE_COLUMNS, balance_frame
from socdata.matching.propensity import fit_logit
from socdata.matching.result import MatchResult
from socdata.matching.weights import matchit_weights
from socdata.options import DEFAULT_SEED, Choice, renamed_keywords
from socdata.provenance import FlowLog, Provenance

DISTANCE = Choice(
    "distance",
    ("logit", "mahalanobis"),
    ("propensity score from a logit", "Mahalanobis distance on the scaled covariates"),
)
M_ORDER = Choice("m_order", ("largest", "smallest", "data", "random"))
ON_UNMATCHED = Choice("on_unmatched", ("warn", "raise", "ignore"))


def _check_choice(choice: Choice, value: object, function: str) -> None:
    choice.check(value, function=function, error=MatchingError)


def _treatment_vector(data: pd.DataFrame, treatment: str) -> np.ndarray:
    if treatment not in data.columns:
        raise MatchingError(
            f"treatment column {treatment!r} not in the data; columns: "
            + ", ".join(map(str, list(data.columns)[:30]))
        )
    col = data[treatment]
    if col.isna().any():
        raise MatchingError(
            f"treatment column {treatment!r} has {int(col.isna().sum())} missing value(s); "
            "every unit must be an engager (1) or a comparator (0)"
        )
    vals = set(pd.unique(col))
    if vals <= {"Engager", "Comparator"}:
        return (col == "Engager").to_numpy()
    if vals <= {0, 1}:
        return col.astype(bool).to_numpy()
    shown = ", ".join(map(repr, sorted(map(str, vals))[:5]))
    raise MatchingError(
        f"treatment column {treatment!r} must be 0/1, True/False or Engager/Comparator; "
        f"found {shown}"
    )


def design_matrix(
    data: pd.DataFrame, covariates: Sequence[str], *, drop_first: bool
) -> pd.DataFrame:
    """Numeric design from covariates: numbers as they are, categories as 0/1 dummies.

    Parameters
    ----------
    data
        The input frame (not modified).
    covariates
        Column names.
    drop_first
        Drop the first level of each categorical (treatment contrasts, as R's
        ``model.matrix`` for the propensity model); keep all levels for balance tables.

    Raises
    ------
    MatchingError
        A covariate is missing from the data or has missing values.
    """
    cols: dict[str, np.ndarray] = {}
    for c in covariates:
        if c not in data.columns:
            raise MatchingError(
                f"covariate {c!r} not in the data; columns: "
                + ", ".join(map(str, list(data.columns)[:30]))
            )
        s = data[c]
        n_na = int(s.isna().sum())
        if n_na:
            raise MatchingError(
                f"covariate {c!r} has {n_na} missing value(s) (rule: matching needs complete "
                "covariates, as MatchIt); impute them, add a missing-indicator category, or "
                "drop the rows explicitly before matching"
            )
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            cols[c] = s.to_numpy(dtype=float)
        else:
            cat = pd.Categorical(s)
            levels = list(cat.categories)
            for lev in levels[1:] if drop_first else levels:
                cols[f"{c}: {lev}"] = (cat == lev).astype(float)
    return pd.DataFrame(cols, index=data.index)


@renamed_keywords(id_col="unit", random_state="seed")
def match(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str],
    exact: Sequence[str] | str | None = None,
    distance: Literal["logit", "mahalanobis"] = "logit",
    caliper: float | None = None,
    std_caliper: bool = True,
    ratio: int = 1,
    replace: bool = False,
    m_order: Literal["largest", "smallest", "data", "random"] | None = None,
    unit: str | None = None,
    seed: int | None = DEFAULT_SEED,
    on_unmatched: Literal["warn", "raise", "ignore"] = "warn",
) -> MatchResult:
    """Greedy nearest-neighbour matching of treated units to controls (ATT).

    Parameters
    ----------
    data
        One row per unit. Not modified.
    treatment
        Column with 1/True/"Engager" for treated and 0/False/"Comparator" for controls.
    covariates
        Columns for the propensity model (``distance="logit"``) or the Mahalanobis
        distance, and the balance table.  Categorical columns become 0/1 indicators.
    exact
        Columns to match exactly on: matching happens within each cell of their
        combination, as MatchIt's ``exact=``.
    distance
        ``"logit"``: propensity score from an unpenalised logistic regression of the
        treatment on ``covariates`` (the fitted probability, MatchIt's
        ``distance = "glm"``).  ``"mahalanobis"``: Mahalanobis distance on
        ``covariates`` with the pooled within-group covariance matrix.
    caliper
        Maximum distance between matched units.  With ``distance="logit"`` and
        ``std_caliper=True`` (the default, as MatchIt) it is in **standard deviations of
        the propensity score** (sample SD over all units, treated and control); with
        ``std_caliper=False`` in raw probability units.  With
        ``distance="mahalanobis"`` it is a maximum Mahalanobis distance (already in
        standardised units; ``std_caliper`` is ignored).  ``None``: no caliper.
    std_caliper
        See ``caliper``.
    ratio
        Number of controls per treated unit (1:k matching), matched in k rounds as MatchIt.
    replace
        Whether a control can be matched to more than one treated unit.
    m_order
        Order in which treated units are matched: ``"largest"`` propensity first (default
        for ``"logit"``), ``"smallest"``, ``"data"`` (row order; default for
        ``"mahalanobis"``) or ``"random"`` (seeded by ``seed``).  Irrelevant with
        replacement.
    unit
        Column of unit identifiers (default: the index).  Old name ``id_col``
        (deprecated).
    seed
        Seed for ``m_order="random"`` (default :data:`socdata.options.DEFAULT_SEED`;
        ``None`` for fresh entropy).  Old name ``random_state`` (deprecated).
    on_unmatched
        What to do when some treated units get no match: ``"warn"``
        (:class:`~socdata.errors.ExcludedRowsWarning` with counts by reason), ``"raise"``
        (:class:`~socdata.errors.MatchingError` saying what to relax) or ``"ignore"``.
        The counts are in the result either way.

    Returns
    -------
    MatchResult

    Raises
    ------
    MatchingError
        Bad arguments, missing covariates, no treated or no control units, or no treated
        unit could be matched at all (the message says what to relax).

    Notes
    -----
    Ties: see :mod:`socdata.matching._greedy` (MatchIt's rules: stable ascending sort of
    all units by score, the nearer of the nearest available control on each side, the
    lower one on an exact tie).  Weights: see :mod:`socdata.matching.weights`.
    """
    _check_choice(DISTANCE, distance, "match")
    _check_choice(ON_UNMATCHED, on_unmatched, "match")
    if m_order is None:
        m_order = "largest" if distance == "logit" else "data"
    _check_choice(M_ORDER, m_order, "match")
    if distance == "mahalanobis" and m_order in ("largest", "smallest"):
        raise MatchingError(
            f'm_order={m_order!r} needs a propensity score; with distance="mahalanobis" use '
            '"data" or "random"'
        )
    if not isinstance(ratio, (int, np.integer)) or ratio < 1:
        raise MatchingError(f"`ratio` must be a whole number >= 1; got {ratio!r}")
    if caliper is not None and not (np.isfinite(caliper) and caliper > 0):
        raise MatchingError(f"`caliper` must be a positive number or None; got {caliper!r}")
    covariates = list([covariates] if isinstance(covariates, str) else covariates)
    exact_cols = [] if exact is None else list([exact] if isinstance(exact, str) else exact)
    if not covariates:
        raise MatchingError("`covariates` is empty; name at least one column to match on")

    t = _treatment_vector(data, treatment)
    n = len(data)
    n1, n0 = int(t.sum()), int((~t).sum())
    if n1 == 0 or n0 == 0:
        raise MatchingError(
            f"matching needs treated and control units; found {n1} treated and {n0} control"
        )
    if unit is None:
        ids = data.index.to_numpy()
    else:
        if unit not in data.columns:
            raise MatchingError(f"unit column {unit!r} not in the data")
        ids = data[unit].to_numpy()
    if pd.Index(ids).has_duplicates:
        raise MatchingError(
            f"unit identifiers ({unit or 'index'}) are not unique: match() needs one row per unit"
        )

    X_model = design_matrix(data, covariates, drop_first=True)
    X_bal = design_matrix(data, covariates, drop_first=False)
    for c in exact_cols:
        if c not in data.columns:
            raise MatchingError(f"exact-matching column {c!r} not in the data")
        if data[c].isna().any():
            raise MatchingError(
                f"exact-matching column {c!r} has {int(data[c].isna().sum())} missing value(s); "
                "recode missing as its own category (e.g. 'Not known') to match on it"
            )

    propensity = pd.DataFrame(columns=["term", "estimate"])
    if distance == "logit":
        fit = fit_logit(X_model.to_numpy(), t.astype(float), names=tuple(X_model.columns))
        score = match_score = fit.predict(X_model.to_numpy())
        propensity = pd.DataFrame({"term": list(fit.names), "estimate": fit.coef})
        cal_width = None
        if caliper is not None:
            cal_width = (
                float(caliper) * float(np.std(score, ddof=1)) if std_caliper else float(caliper)
            )
        cal_units = (
            "standard deviations of the propensity score (all units)"
            if std_caliper
            else "propensity-score (probability) units"
        )
        Z = None
    else:
        # MatchIt codes factors with every level for the distance (the generalised inverse
        # absorbs the redundancy); the distance is the same as with treatment contrasts
        Xm = X_bal.to_numpy()
        A = mahalanobis_matrix(Xm, t)
        Z = Xm @ A
        visit_pos = matchit_visit_order(Xm, A)
        score = match_score = None
        cal_width = None if caliper is None else float(caliper)
        cal_units = "Mahalanobis distance (scaled covariates, pooled within-group covariance)"
        if caliper is None and int(np.count_nonzero(np.any(A != 0, axis=1))) == 1:
            # MatchIt matches on the single transformed covariate as a scalar distance
            match_score = Z[:, 0].copy()

    # exact cells
    if exact_cols:
        cell = (
            pd.MultiIndex.from_frame(data[exact_cols].astype(str)).factorize()[0]
            if len(exact_cols) > 1
            else pd.factorize(data[exact_cols[0]])[0]
        )
    else:
        cell = np.zeros(n, dtype=np.int64)
    cell = np.asarray(cell)

    rng = np.random.default_rng(seed)
    treated_idx = np.flatnonzero(t)
    control_idx = np.flatnonzero(~t)
    # global matching order of treated units (MatchIt computes it within each cell from the
    # same scores, which gives the same relative order)
    if m_order == "largest":
        order_all = treated_idx[np.argsort(-score[treated_idx], kind="stable")]
    elif m_order == "smallest":
        order_all = treated_idx[np.argsort(score[treated_idx], kind="stable")]
    elif m_order == "random":
        order_all = treated_idx[rng.permutation(treated_idx.size)]
    else:
        order_all = treated_idx
    rank_in_order = np.empty(n, dtype=np.int64)
    rank_in_order[order_all] = np.arange(order_all.size)

    match_mat = np.full((n1, ratio), -1, dtype=np.int64)  # rows: treated_idx order; values: row ids
    reasons = np.zeros(n1, dtype=np.int8)
    t_pos = np.empty(n, dtype=np.int64)
    t_pos[treated_idx] = np.arange(n1)
    for c in np.unique(cell[treated_idx]):
        tr = treated_idx[cell[treated_idx] == c]
        co = control_idx[cell[control_idx] == c]
        order_local = np.argsort(rank_in_order[tr], kind="stable")
        if match_score is not None:
            perm = sort_controls(match_score[co], co)
            co_sorted = co[perm]
            lc = left_counts(match_score[co_sorted], co_sorted, match_score[tr], tr)
            mm, rs = greedy_match_1d(
                match_score[co_sorted],
                match_score[tr],
                lc,
                order_local,
                ratio=ratio,
                replace=replace,
                caliper=cal_width,
            )
            mapped = np.where(mm >= 0, co_sorted[np.clip(mm, 0, None)] if co.size else -1, -1)
        else:
            # MatchIt searches each exact cell along the cell's own sort order
            cell_pos = np.empty(n, dtype=np.int64)
            members = np.concatenate([tr, co])
            cell_pos[members[np.argsort(visit_pos[members], kind="stable")]] = np.arange(
                members.size
            )
            mm, rs = greedy_match_kdtree(
                Z[co],
                Z[tr],
                order_local,
                ratio=ratio,
                replace=replace,
                caliper=cal_width,
                control_pos=cell_pos[co],
                treated_pos=cell_pos[tr],
            )
            mapped = np.where(mm >= 0, co[np.clip(mm, 0, None)] if co.size else -1, -1)
        match_mat[t_pos[tr]] = mapped
        reasons[t_pos[tr]] = rs

    return _assemble(
        data=data,
        ids=ids,
        t=t,
        match_mat=match_mat,
        reasons=reasons,
        score=score,
        Z=Z,
        X_bal=X_bal,
        distance=distance,
        ratio=ratio,
        replace=replace,
        caliper=caliper,
        cal_width=cal_width,
        cal_units=cal_units,
        propensity=propensity,
        on_unmatched=on_unmatched,
        parameters={
            "treatment": treatment,
            "covariates": covariates,
            "exact": exact_cols or None,
            "distance": distance,
            "caliper": caliper,
            "std_caliper": std_caliper,
            "ratio": ratio,
            "replace": replace,
            "m_order": m_order,
            "unit": unit,
            "seed": seed,
            "on_unmatched": on_unmatched,
        },
    )


def _relax_advice(caliper: float | None, ratio: int, replace: bool, exact: bool) -> str:
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


def _assemble(
    *,
    data: pd.DataFrame,
    ids: np.ndarray,
    t: np.ndarray,
    match_mat: np.ndarray,
    reasons: np.ndarray,
    score: np.ndarray | None,
    Z: np.ndarray | None,
    X_bal: pd.DataFrame,
    distance: str,
    ratio: int,
    replace: bool,
    caliper: float | None,
    cal_width: float | None,
    cal_units: str,
    propensity: pd.DataFrame,
    on_unmatched: str,
    parameters: dict,
) -> MatchResult:
    n = len(t)
    treated_idx = np.flatnonzero(t)
    control_idx = np.flatnonzero(~t)
    n1 = treated_idx.size
    reason_counts = {
        REASON_LABELS[code]: int(np.sum(reasons == code)) for code in sorted(REASON_LABELS)
    }
    n_none = int(np.sum(match_mat[:, 0] < 0))
    n_partial = int(np.sum((match_mat[:, 0] >= 0) & (match_mat[:, -1] < 0)))
    unmatched_rows = [
        {"reason": r, "n": int(np.sum((reasons == code) & (match_mat[:, 0] < 0)))}
        for code, r in REASON_LABELS.items()
    ]
    if ratio > 1:
        unmatched_rows.append(
            {"reason": f"fewer than {ratio} matches (partly matched)", "n": n_partial}
        )
    unmatched = pd.DataFrame(unmatched_rows, columns=["reason", "n"])
    unmatched = unmatched[unmatched["n"] > 0].reset_index(drop=True)

    if n_none == n1:
        detail = "; ".join(f"{r}: {k}" for r, k in reason_counts.items() if k)
        raise MatchingError(
            f"no treated unit could be matched ({n1} treated, {control_idx.size} controls; "
            f"{detail}). To relax: "
            + _relax_advice(caliper, ratio, replace, bool(parameters.get("exact")))
        )
    if n_none or n_partial:
        detail = "; ".join(f"{r.reason}: {r.n}" for r in unmatched.itertuples())
        msg = (
            f"{n_none} of {n1} treated unit(s) were not matched"
            + (f" and {n_partial} got fewer than {ratio} matches" if n_partial else "")
            + f" ({detail}); unmatched treated units are excluded from the matched sample. "
            "To match more: "
            + _relax_advice(caliper, ratio, replace, bool(parameters.get("exact")))
        )
        if on_unmatched == "raise":
            raise MatchingError(msg)
        if on_unmatched == "warn":
            warnings.warn(msg, ExcludedRowsWarning, stacklevel=3)

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
        caliper_units=cal_units if caliper is not None else "",
        caliper_width=cal_width,
        pairs=pairs,
        unit_weights=unit_weights,
        balance_table=bal,
        unmatched=unmatched,
        propensity=propensity,
        n_treated=int(n1),
        n_control=int(control_idx.size),
    )
