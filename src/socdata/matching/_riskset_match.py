"""Risk-set matching, step 2: the distance model and greedy matching stratum by stratum.

Private helper of :func:`socdata.matching.risk_set_match` (see its module notes for the
design).  Strata are (index month, force, exact cell) with an engager; the candidates of a
stratum are the comparators of the force and cell observed in the month and its history.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from socdata.errors import MatchingError
from socdata.matching._assemble import relax_advice
from socdata.matching._distance import mahalanobis_matrix
from socdata.matching._greedy import (
    REASON_EXHAUSTED,
    REASON_NO_CONTROLS,
    greedy_match_1d,
    greedy_match_kdtree,
    left_counts,
    stable_argsort,
)
from socdata.matching._riskset_data import RiskSetArrays
from socdata.matching.propensity import LogitFit, fit_logit


def strata_and_candidates(
    arr: RiskSetArrays,
    eng: np.ndarray,
    rm: np.ndarray,
    by_stratum: dict[int, np.ndarray],
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Engagers grouped by (month, force-cell) in calendar order, and each stratum's
    candidate comparators (person indices, ascending)."""
    sp = arr.stratum_person
    eng_key = np.lexsort((np.arange(eng.size), sp[eng], rm))
    keys = np.stack([rm[eng_key], sp[eng][eng_key]], axis=1)
    brk = np.flatnonzero(np.any(np.diff(keys, axis=0) != 0, axis=1)) + 1
    strata = np.split(eng_key, brk)
    H = arr.spec.history
    cand_of = []
    for s in strata:
        pool = by_stratum.get(int(sp[eng[s[0]]]))
        mi = int(rm[s[0]])
        if pool is None or mi - H < 0:
            cand_of.append(np.empty(0, dtype=np.int64))
        else:
            cand_of.append(pool[arr.history_ok(pool, mi)])
    return strata, cand_of


@dataclasses.dataclass
class DistanceModel:
    """The fitted distance: a propensity logit or a Mahalanobis transformation."""

    distance: str
    fit: LogitFit | None
    W: np.ndarray | None
    cal_width: float | None
    cal_units: str
    score_e: np.ndarray | None
    propensity: pd.DataFrame
    frac: float
    total_cand: int


def fit_distance(
    arr: RiskSetArrays,
    Xe: np.ndarray,
    rm: np.ndarray,
    strata: list[np.ndarray],
    cand_of: list[np.ndarray],
    *,
    distance: str,
    caliper: float | None,
    std_caliper: bool,
    max_model_rows: int,
    seed: int | None,
    n_eng_hint: tuple[int, int, int, bool],
) -> DistanceModel:
    """Pooled model rows (engager index rows + candidate comparator-months) and the fit."""
    total_cand = int(sum(c.size for c in cand_of))
    if total_cand == 0:
        n_eligible, n_cmp, ratio, exact = n_eng_hint
        raise MatchingError(
            f"no comparator is at risk in any engager's force, exact cell and referral month "
            f"({n_eligible} eligible engagers, {n_cmp} comparators). To relax: "
            + relax_advice(None, ratio, True, exact)
        )
    frac = min(1.0, max_model_rows / total_cand)
    rng = np.random.default_rng(seed)
    model_X = [Xe]
    for s, cand in zip(strata, cand_of, strict=True):
        if cand.size == 0:
            continue
        sub = cand if frac >= 1.0 else cand[rng.random(cand.size) < frac]
        model_X.append(arr.covs_at(sub, int(rm[s[0]]) + arr.m0))
    MX = np.concatenate(model_X)
    MW = np.full(MX.shape[0], 1.0 / frac)
    MW[: Xe.shape[0]] = 1.0
    My = np.zeros(MX.shape[0])
    My[: Xe.shape[0]] = 1.0
    if distance == "logit":
        fit = fit_logit(MX, My, names=tuple(arr.spec.covariates), weights=MW)
        ps_model = fit.predict(MX)
        mean = np.average(ps_model, weights=MW)
        sd = np.sqrt(np.sum(MW * (ps_model - mean) ** 2) / (MW.sum() - 1))
        return DistanceModel(
            distance=distance,
            fit=fit,
            W=None,
            cal_width=None
            if caliper is None
            else (float(caliper) * sd if std_caliper else float(caliper)),
            cal_units=(
                "standard deviations of the propensity score (engager index rows and candidate "
                "comparator-months)"
                if std_caliper
                else "propensity-score (probability) units"
            ),
            score_e=fit.predict(Xe),
            propensity=pd.DataFrame({"term": list(fit.names), "estimate": fit.coef}),
            frac=frac,
            total_cand=total_cand,
        )
    # MatchIt's Mahalanobis distance: covariates scaled, pooled within-group covariance
    return DistanceModel(
        distance=distance,
        fit=None,
        W=mahalanobis_matrix(MX, My == 1, MW),
        cal_width=None if caliper is None else float(caliper),
        cal_units="Mahalanobis distance (scaled covariates, pooled within-group covariance)",
        score_e=None,
        propensity=pd.DataFrame(columns=["term", "estimate"]),
        frac=frac,
        total_cand=total_cand,
    )


@dataclasses.dataclass
class Matches:
    """Matched comparator (person index) per engager and rank, with distances and reasons."""

    match_pp: np.ndarray
    match_dist: np.ndarray
    reasons: np.ndarray
    before_moments: np.ndarray


def _match_cell(
    model: DistanceModel,
    out: Matches,
    used: np.ndarray,
    s: np.ndarray,
    cand: np.ndarray,
    Xc: np.ndarray,
    sc_c: np.ndarray | None,
    Xe: np.ndarray,
    eng: np.ndarray,
    ratio: int,
    replace: bool,
) -> None:
    """Greedy matching of engagers ``s`` to available candidates ``cand`` (ascending)."""
    if model.distance == "logit":
        perm = stable_argsort(sc_c)  # cand ascending: ties in person order
        cs = cand[perm]
        sc_sorted = sc_c[perm]
        st = model.score_e[s]
        lc = left_counts(sc_sorted, cs, st, eng[s])
        order_local = np.argsort(-st, kind="stable")
        mm, rs = greedy_match_1d(
            sc_sorted, st, lc, order_local, ratio=ratio, replace=replace, caliper=model.cal_width
        )
        got = mm >= 0
        out.match_pp[s] = np.where(got, cs[np.clip(mm, 0, None)], -1)
        out.match_dist[s] = np.where(
            got, np.abs(sc_sorted[np.clip(mm, 0, None)] - st[:, None]), np.nan
        )
    else:
        Zc = Xc @ model.W
        Zt = Xe[s] @ model.W
        mm, rs = greedy_match_kdtree(
            Zc, Zt, np.arange(s.size), ratio=ratio, replace=replace, caliper=model.cal_width
        )
        got = mm >= 0
        out.match_pp[s] = np.where(got, cand[np.clip(mm, 0, None)], -1)
        dd = np.linalg.norm(Zc[np.clip(mm, 0, None)] - Zt[:, None, :], axis=2)
        out.match_dist[s] = np.where(got, dd, np.nan)
    out.reasons[s] = rs
    if not replace:
        used[out.match_pp[s][got]] = True


def match_strata(
    arr: RiskSetArrays,
    model: DistanceModel,
    eng: np.ndarray,
    rm: np.ndarray,
    Xe: np.ndarray,
    strata: list[np.ndarray],
    cand_of: list[np.ndarray],
    *,
    ratio: int,
    replace: bool,
) -> Matches:
    """Match every stratum in calendar order (a comparator person once overall without
    replacement), accumulating the before-matching moments of the candidates."""
    logit = model.distance == "logit"
    k_mom = len(arr.spec.covariates) + (1 if logit else 0)
    out = Matches(
        match_pp=np.full((eng.size, ratio), -1, dtype=np.int64),
        match_dist=np.full((eng.size, ratio), np.nan),
        reasons=np.zeros(eng.size, dtype=np.int8),
        before_moments=np.zeros((3, k_mom)),
    )
    used = np.zeros(arr.n_p, dtype=bool)
    any_idx = arr.spec.exact_any_idx
    bits = 1 << np.arange(len(any_idx))
    for s, cand in zip(strata, cand_of, strict=True):
        if cand.size == 0:
            out.reasons[s] = REASON_NO_CONTROLS
            continue
        Xc = arr.covs_at(cand, int(rm[s[0]]) + arr.m0)
        bm = out.before_moments
        bm[0] += cand.size
        sc_c = None
        if logit:
            sc_c = model.fit.predict(Xc)
            bm[1, 0] += sc_c.sum()
            bm[2, 0] += sc_c @ sc_c
        bm[1, int(logit) :] += Xc.sum(axis=0)
        bm[2, int(logit) :] += np.einsum("ij,ij->j", Xc, Xc)
        ck_all = (Xc[:, any_idx] > 0).astype(np.int64) @ bits if any_idx else None
        if not replace:
            free = ~used[cand]
            if not free.any():
                out.reasons[s] = REASON_EXHAUSTED
                continue
            cand, Xc = cand[free], Xc[free]
            sc_c = sc_c[free] if sc_c is not None else None
        args = (Xe, eng, ratio, replace)
        if not any_idx:
            _match_cell(model, out, used, s, cand, Xc, sc_c, *args)
            continue
        ek = (Xe[s][:, any_idx] > 0).astype(np.int64) @ bits
        ck = ck_all if replace else ck_all[free]
        for key in np.unique(ek):
            se = s[ek == key]
            sel = ck == key
            if not sel.any():
                out.reasons[se] = REASON_EXHAUSTED if (ck_all == key).any() else REASON_NO_CONTROLS
                continue
            sc_sel = sc_c[sel] if sc_c is not None else None
            _match_cell(model, out, used, se, cand[sel], Xc[sel], sc_sel, *args)
    return out
