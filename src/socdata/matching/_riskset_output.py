"""Risk-set matching, step 3: matched units, weights, pairs, balance and provenance.

Private helper of :func:`socdata.matching.risk_set_match`.  A comparator matched at two
index months is two units ``(person, month)``; units get MatchIt's weights.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from socdata.errors import ExcludedRowsWarning, MatchingError, caller_stacklevel
from socdata.matching._assemble import relax_advice
from socdata.matching._greedy import REASON_LABELS
from socdata.matching._riskset_data import RiskSetArrays, fmt_month, month_start
from socdata.matching._riskset_match import DistanceModel, Matches
from socdata.matching.balance import BALANCE_COLUMNS, balance_from_moments, is_binary
from socdata.matching.weights import matchit_weights
from socdata.provenance import FlowLog


def unmatched_counts(
    matches: Matches,
    *,
    ratio: int,
    replace: bool,
    caliper: float | None,
    exact: bool,
    on_unmatched: str,
) -> tuple[pd.DataFrame, int, int]:
    """Counts of unmatched engagers by reason; warn or raise as ``on_unmatched`` says."""
    got = matches.match_pp >= 0
    n_eng = got.shape[0]
    n_none = int((~got[:, 0]).sum())
    n_partial = int((got[:, 0] & ~got[:, -1]).sum())
    rows = [
        {"reason": lab, "n": int(np.sum((matches.reasons == code) & ~got[:, 0]))}
        for code, lab in REASON_LABELS.items()
    ]
    if ratio > 1:
        rows.append({"reason": f"fewer than {ratio} matches (partly matched)", "n": n_partial})
    unmatched = pd.DataFrame(rows, columns=["reason", "n"])
    unmatched = unmatched[unmatched["n"] > 0].reset_index(drop=True)
    reasons = "; ".join(f"{r.reason}: {r.n}" for r in unmatched.itertuples())
    advice = relax_advice(caliper, ratio, replace, exact)
    if n_none == n_eng:
        raise MatchingError(
            f"no engager could be matched ({n_eng} eligible engagers; {reasons}). "
            f"To relax: {advice}"
        )
    if n_none or n_partial:
        msg = (
            f"{n_none} of {n_eng} eligible engager(s) were not matched"
            + (f" and {n_partial} got fewer than {ratio} comparators" if n_partial else "")
            + f" ({reasons}); unmatched engagers are excluded from the matched sample. "
            f"To match more: {advice}"
        )
        if on_unmatched == "raise":
            raise MatchingError(msg)
        if on_unmatched == "warn":
            warnings.warn(msg, ExcludedRowsWarning, stacklevel=caller_stacklevel())
    return unmatched, n_none, n_partial


def units_and_pairs(
    arr: RiskSetArrays, eng: np.ndarray, rm: np.ndarray, matches: Matches
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray]]:
    """Pairs (one row per engager x rank) and matched units with MatchIt's weights."""
    pid, T, m0 = arr.pid, arr.T, arr.m0
    match_pp = matches.match_pp
    got = match_pp >= 0
    unit_key = np.where(got, match_pp * (T + 1) + rm[:, None], -1)
    uniq_keys, inv = np.unique(unit_key[got], return_inverse=True)
    mm_units = np.full(match_pp.shape, -1, dtype=np.int64)
    mm_units[got] = inv
    w_t, w_c = matchit_weights(mm_units, uniq_keys.size)
    unit_person = uniq_keys // (T + 1)
    unit_month = uniq_keys % (T + 1)

    rows_e, ranks = np.nonzero(got)
    subclass = np.zeros(eng.size, dtype=np.int64)
    subclass[got[:, 0]] = np.arange(1, int(got[:, 0].sum()) + 1)
    pairs = (
        pd.DataFrame(
            {
                "treated_id": pid[eng[rows_e]],
                "control_id": pid[match_pp[rows_e, ranks]],
                "match_rank": ranks + 1,
                "subclass": subclass[rows_e],
                "index_month": month_start(rm[rows_e] + m0),
                "score_distance": matches.match_dist[rows_e, ranks],
            }
        )
        .sort_values(["index_month", "subclass", "match_rank"], kind="stable")
        .reset_index(drop=True)
    )
    matched_e = np.flatnonzero(got[:, 0])
    multi = pd.Series(unit_person).duplicated(keep=False).to_numpy()
    c_ids = pid[unit_person].astype(object)
    c_unit = c_ids
    if multi.any():
        labels = np.array(
            [f"{p}@{fmt_month(int(m) + m0)}" for p, m in zip(c_ids, unit_month, strict=True)],
            dtype=object,
        )
        c_unit = np.where(multi, labels, c_ids)
    unit_weights = pd.DataFrame(
        {
            "unit_id": np.concatenate([pid[eng[matched_e]].astype(object), c_unit]),
            "person_id": np.concatenate([pid[eng[matched_e]].astype(object), c_ids]),
            "treated": np.concatenate(
                [np.ones(matched_e.size, int), np.zeros(uniq_keys.size, int)]
            ),
            "index_month": month_start(np.concatenate([rm[matched_e], unit_month]) + m0),
            "weight": np.concatenate([w_t[matched_e], w_c]),
        }
    )
    units = {"matched_e": matched_e, "unit_person": unit_person, "unit_month": unit_month}
    units["w_c"] = w_c
    return pairs, unit_weights, units


def balance_table(
    arr: RiskSetArrays,
    model: DistanceModel,
    Xe: np.ndarray,
    matches: Matches,
    units: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Balance before (every candidate comparator-month) and after (matched units)."""
    matched_e, w_c = units["matched_e"], units["w_c"]
    Xc_after = arr.covs_at(units["unit_person"], units["unit_month"] + arr.m0)
    mom_all = matches.before_moments
    rows = []
    off = 0
    if model.distance == "logit":
        rows.append(
            balance_from_moments(
                "propensity_score",
                model.score_e,
                tuple(mom_all[:, 0]),
                model.score_e[matched_e],
                model.fit.predict(Xc_after),
                w_c,
                binary=False,
            )
        )
        off = 1
    for j, c in enumerate(arr.spec.covariates):
        mom = mom_all[:, j + off]
        binary = is_binary(Xe[:, j]) and mom[1] == mom[2]
        rows.append(
            balance_from_moments(
                c,
                Xe[:, j],
                tuple(mom),
                Xe[matched_e, j],
                Xc_after[:, j],
                w_c,
                binary=bool(binary),
            )
        )
    return pd.DataFrame(rows).loc[:, list(BALANCE_COLUMNS)]


def flow_and_notes(
    arr: RiskSetArrays,
    model: DistanceModel,
    *,
    n_eligible: int,
    excl_eng: dict[str, int],
    unmatched: pd.DataFrame,
    n_none: int,
    n_cmp_missing: int,
    seed: int | None,
) -> tuple[FlowLog, list[str]]:
    """The flow log (engagers eligible, matched; comparators usable) and method notes."""
    spec = arr.spec
    n_eng_total = int(arr.is_eng.sum())
    flow = FlowLog().add(
        "engagers eligible for matching", n_eng_total, n_eligible, excl_eng, unit="engagers"
    )
    flow = flow.add(
        "engagers matched",
        n_eligible,
        n_eligible - n_none,
        {r.reason: int(r.n) for r in unmatched.itertuples() if not r.reason.startswith("fewer")},
        unit="engagers",
    )
    n_cmp_total = int((~arr.is_eng).sum())
    flow = flow.add(
        "comparators usable",
        n_cmp_total,
        n_cmp_total - n_cmp_missing,
        {"missing matching covariate or exact-matching variable": n_cmp_missing},
        unit="comparators",
    )
    notes = [
        f"History window: the {spec.history} calendar months before the index month (index "
        "month excluded); engagers and comparators must be observed in all of them and in "
        "the index month.",
        "Comparators: persons with group == 'Comparator' in the same police force"
        + (" and the same " + ", ".join(spec.exact) if spec.exact else "")
        + "; strata processed in calendar order of the index month.",
        "Balance 'before': every candidate comparator-month in strata with an engager, unit weights.",
    ]
    if spec.exact_any:
        notes.append(
            "Exact matching on any versus none of "
            + ", ".join(spec.exact_any)
            + " at the index month."
        )
    if arr.n_unknown:
        notes.append(
            f"{arr.n_unknown} panel row(s) belong to persons not in `persons` and were ignored."
        )
        warnings.warn(
            f"{arr.n_unknown} panel row(s) have a person_id not in `persons`; they were ignored",
            ExcludedRowsWarning,
            stacklevel=caller_stacklevel(),
        )
    if model.frac < 1.0:
        notes.append(
            f"Propensity model fitted on a seeded {model.frac:.4%} Bernoulli sample of the "
            f"{model.total_cand} candidate comparator-months (weights 1/{model.frac:.4g}; "
            f"seed={seed})."
        )
    return flow, notes
