"""Nearest-neighbour matching on one row per unit, with MatchIt's defaults.

``match(data, treatment=..., covariates=...)`` with no other options reproduces
``MatchIt::matchit(treat ~ covariates, data)``: 1:1 greedy nearest-neighbour matching on a
propensity score from an unpenalised logistic regression (the fitted probability, not
the linear predictor), without replacement, treated units visited from the largest
propensity score down, no caliper, ATT weights.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from socdata.errors import MatchingError
from socdata.matching._assemble import assemble
from socdata.matching._distance import mahalanobis_matrix, matchit_visit_order
from socdata.matching._greedy import (
    greedy_match_1d,
    greedy_match_kdtree,
    left_counts,
    sort_controls,
)
from socdata.matching.propensity import fit_logit
from socdata.matching.result import MatchResult
from socdata.options import DEFAULT_SEED, Choice, renamed_keywords

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
    m_order, covariates, exact_cols = _check_options(
        distance, on_unmatched, m_order, ratio, caliper, covariates, exact
    )
    t = _treated(data, treatment)
    ids = _unit_ids(data, unit)
    X_model = design_matrix(data, covariates, drop_first=True)
    X_bal = design_matrix(data, covariates, drop_first=False)
    cell = _exact_cells(data, exact_cols)
    dist = _fit_distance(X_model, X_bal, t, distance, caliper, std_caliper)
    rank_in_order = _match_order(dist.score, t, m_order, seed)
    match_mat, reasons = _match_cells(dist, t, cell, rank_in_order, ratio=ratio, replace=replace)
    parameters = {
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
    }
    return assemble(data, ids, t, match_mat, reasons, dist, X_bal, parameters)


def _check_options(distance, on_unmatched, m_order, ratio, caliper, covariates, exact):
    """Checked options of :func:`match`: the matching order, covariates and exact columns."""
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
    return m_order, covariates, exact_cols


def _treated(data: pd.DataFrame, treatment: str) -> np.ndarray:
    """The treatment indicator, checked to hold treated and control units."""
    t = _treatment_vector(data, treatment)
    n1, n0 = int(t.sum()), int((~t).sum())
    if n1 == 0 or n0 == 0:
        raise MatchingError(
            f"matching needs treated and control units; found {n1} treated and {n0} control"
        )
    return t


def _unit_ids(data: pd.DataFrame, unit: str | None) -> np.ndarray:
    """Unit identifiers (the index by default), checked unique."""
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
    return ids


def _exact_cells(data: pd.DataFrame, exact_cols: list[str]) -> np.ndarray:
    """Code of each row's cell of the exact-matching columns (all 0 without them)."""
    for c in exact_cols:
        if c not in data.columns:
            raise MatchingError(f"exact-matching column {c!r} not in the data")
        if data[c].isna().any():
            raise MatchingError(
                f"exact-matching column {c!r} has {int(data[c].isna().sum())} missing value(s); "
                "recode missing as its own category (e.g. 'Not known') to match on it"
            )
    if not exact_cols:
        return np.zeros(len(data), dtype=np.int64)
    if len(exact_cols) > 1:
        return np.asarray(pd.MultiIndex.from_frame(data[exact_cols].astype(str)).factorize()[0])
    return np.asarray(pd.factorize(data[exact_cols[0]])[0])


def _match_order(score, t: np.ndarray, m_order: str, seed) -> np.ndarray:
    """Rank of each treated row in the global matching order (MatchIt computes it within
    each cell from the same scores, which gives the same relative order)."""
    treated_idx = np.flatnonzero(t)
    if m_order == "largest":
        order_all = treated_idx[np.argsort(-score[treated_idx], kind="stable")]
    elif m_order == "smallest":
        order_all = treated_idx[np.argsort(score[treated_idx], kind="stable")]
    elif m_order == "random":
        order_all = treated_idx[np.random.default_rng(seed).permutation(treated_idx.size)]
    else:
        order_all = treated_idx
    rank_in_order = np.empty(t.size, dtype=np.int64)
    rank_in_order[order_all] = np.arange(order_all.size)
    return rank_in_order


@dataclasses.dataclass
class _Distance:
    """The matching distance of :func:`match`: a scalar score or transformed covariates."""

    score: np.ndarray | None  # propensity score (balance row), logit only
    match_score: np.ndarray | None  # scalar matched on (1d kernel)
    Z: np.ndarray | None  # Mahalanobis-transformed covariates
    visit_pos: np.ndarray | None  # MatchIt's search order (ties)
    cal_width: float | None
    cal_units: str
    propensity: pd.DataFrame


def _fit_distance(
    X_model: pd.DataFrame,
    X_bal: pd.DataFrame,
    t: np.ndarray,
    distance: str,
    caliper: float | None,
    std_caliper: bool,
) -> _Distance:
    if distance == "logit":
        fit = fit_logit(X_model.to_numpy(), t.astype(float), names=tuple(X_model.columns))
        score = fit.predict(X_model.to_numpy())
        cal_width = None
        if caliper is not None:
            cal_width = (
                float(caliper) * float(np.std(score, ddof=1)) if std_caliper else float(caliper)
            )
        return _Distance(
            score=score,
            match_score=score,
            Z=None,
            visit_pos=None,
            cal_width=cal_width,
            cal_units=(
                "standard deviations of the propensity score (all units)"
                if std_caliper
                else "propensity-score (probability) units"
            ),
            propensity=pd.DataFrame({"term": list(fit.names), "estimate": fit.coef}),
        )
    # MatchIt codes factors with every level for the distance (the generalised inverse
    # absorbs the redundancy); the distance is the same as with treatment contrasts
    Xm = X_bal.to_numpy()
    A = mahalanobis_matrix(Xm, t)
    Z = Xm @ A
    match_score = None
    if caliper is None and int(np.count_nonzero(np.any(A != 0, axis=1))) == 1:
        # MatchIt matches on the single transformed covariate as a scalar distance
        match_score = Z[:, 0].copy()
    return _Distance(
        score=None,
        match_score=match_score,
        Z=Z,
        visit_pos=matchit_visit_order(Xm, A),
        cal_width=None if caliper is None else float(caliper),
        cal_units="Mahalanobis distance (scaled covariates, pooled within-group covariance)",
        propensity=pd.DataFrame(columns=["term", "estimate"]),
    )


def _match_cells(
    dist: _Distance,
    t: np.ndarray,
    cell: np.ndarray,
    rank_in_order: np.ndarray,
    *,
    ratio: int,
    replace: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy matching within each exact cell; rows of treated units (in data order) and
    their matched rows (``-1`` = none), with reason codes."""
    n = t.size
    treated_idx = np.flatnonzero(t)
    control_idx = np.flatnonzero(~t)
    n1 = treated_idx.size
    match_mat = np.full((n1, ratio), -1, dtype=np.int64)
    reasons = np.zeros(n1, dtype=np.int8)
    t_pos = np.empty(n, dtype=np.int64)
    t_pos[treated_idx] = np.arange(n1)
    ms, Z = dist.match_score, dist.Z
    for c in np.unique(cell[treated_idx]):
        tr = treated_idx[cell[treated_idx] == c]
        co = control_idx[cell[control_idx] == c]
        order_local = np.argsort(rank_in_order[tr], kind="stable")
        if ms is not None:
            co_sorted = co[sort_controls(ms[co], co)]
            lc = left_counts(ms[co_sorted], co_sorted, ms[tr], tr)
            mm, rs = greedy_match_1d(
                ms[co_sorted],
                ms[tr],
                lc,
                order_local,
                ratio=ratio,
                replace=replace,
                caliper=dist.cal_width,
            )
            mapped = np.where(mm >= 0, co_sorted[np.clip(mm, 0, None)] if co.size else -1, -1)
        else:
            # MatchIt searches each exact cell along the cell's own sort order
            cell_pos = np.empty(n, dtype=np.int64)
            members = np.concatenate([tr, co])
            order = np.argsort(dist.visit_pos[members], kind="stable")
            cell_pos[members[order]] = np.arange(members.size)
            mm, rs = greedy_match_kdtree(
                Z[co],
                Z[tr],
                order_local,
                ratio=ratio,
                replace=replace,
                caliper=dist.cal_width,
                control_pos=cell_pos[co],
                treated_pos=cell_pos[tr],
            )
            mapped = np.where(mm >= 0, co[np.clip(mm, 0, None)] if co.size else -1, -1)
        match_mat[t_pos[tr]] = mapped
        reasons[t_pos[tr]] = rs
    return match_mat, reasons
