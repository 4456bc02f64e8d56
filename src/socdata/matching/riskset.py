"""Risk-set matching of engagers to comparators at the engager's referral month.

Each engager is matched at their **referral month** ``m`` to comparators who, at ``m``,

* are in the same police force and the same cell of the exact-matching variables
  (gender by default),
* have not been referred (the comparator pool: ``group == "Comparator"``), and
* are observed in the police data in month ``m`` and in each of the ``history_months``
  months before it,

and are close on the covariates measured *at that month*: age at the start of ``m``,
deprivation decile, and the counts of arrests and missing episodes in the
``history_months`` full calendar months before ``m`` (months ``m-12 .. m-1`` by default;
the referral month itself is excluded because part of it is after referral).  Nearest
neighbour on a propensity score or on the Mahalanobis distance, with a caliper, 1:k, with
or without replacement.  Each comparator takes its engager's referral month as index date.

Propensity model
----------------
A pooled discrete-time logit over the risk sets: one row per engager at their referral
month (outcome 1) and one row per candidate comparator x index month (outcome 0), for
every (force, exact cell, month) stratum that holds an engager.  Within a stratum only the
ranking and the differences of scores matter.  When the candidate rows exceed
``max_model_rows`` a seeded Bernoulli sample of comparator rows is used with inverse
sampling-probability weights (``seed``), which estimates the same coefficients;
below it the fit is on every row.

Order and availability
----------------------
Strata are processed in calendar order of the index month (then force, then exact cell);
within a stratum engagers are matched from the largest propensity score down (MatchIt's
``m.order = "largest"``), or in data order for Mahalanobis distance.  Without replacement
a comparator person is used at most once overall (not once per month), so an earlier
referral month has first pick.  With replacement a comparator may serve several engagers,
at the same or at different index months.

Duplicates with replacement
---------------------------
A comparator used at two different index months is two *units*: ``(person, month)``.
:meth:`~socdata.matching.result.MatchResult.weights` lists each with ``unit_id = "<person_id>@<YYYY-MM>"`` and its
MatchIt weight; :func:`matched_panel` copies that person's panel rows once per unit, with
the unit's index month, cohort, months since index and weight, so the panel holds one
synthetic unit per (comparator, index month).  Weighted estimators then count each unit
by its weight; cluster on ``person_id`` (not ``unit_id``) so that the copies of one
person stay in one cluster.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from socdata.errors import ExcludedRowsWarning, MatchingError
from socdata.matching._distance import mahalanobis_matrix
from socdata.matching._greedy import (
    REASON_EXHAUSTED,
    REASON_LABELS,
    REASON_NO_CONTROLS,
    greedy_match_1d,
    greedy_match_kdtree,
    left_counts,
    stable_argsort,
)
from socdata.matching.balance import BALANCE_COLUMNS, balance_from_moments, is_binary
from socdata.matching.nearest import (
    DISTANCE,
    ON_UNMATCHED,
    _check_choice,
    _relax_advice,
)
from socdata.matching.propensity import fit_logit
from socdata.matching.result import MatchResult
from socdata.matching.weights import matchit_weights
from socdata.options import DEFAULT_SEED, renamed_keywords
from socdata.provenance import FlowLog, Provenance

#: Default matching covariates (measured at the index month).
DEFAULT_COVARIATES = ("age", "deprivation_decile", "arrests_history", "missing_history")
_PANEL_NEEDED = ("person_id", "month", "arrests", "missing_episodes")
_DAY_NS = 86_400 * 10**9


def _month_index(values: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of datetime64 values (NaT gives the int64 minimum).

    Computed through whole days and a lookup table over the range of days present, which
    is an order of magnitude faster than ``astype("datetime64[M]")`` on tens of millions
    of rows.
    """
    ns = np.asarray(values, dtype="datetime64[ns]").view(np.int64)
    nat = ns == np.iinfo(np.int64).min
    out = np.full(ns.shape, np.iinfo(np.int64).min, dtype=np.int64)
    if nat.all():
        return out
    days = ns // _DAY_NS
    ok_days = days[~nat] if nat.any() else days
    d0, d1 = int(ok_days.min()), int(ok_days.max())
    table = np.arange(d0, d1 + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    if nat.any():
        out[~nat] = table[ok_days - d0]
    else:
        out = table[days - d0]
    return out


def _month_start(idx: np.ndarray | int) -> np.ndarray:
    return np.asarray(idx, dtype=np.int64).astype("datetime64[M]").astype("datetime64[ns]")


def _fmt_month(idx: int) -> str:
    return str(np.datetime64(int(idx), "M"))


def _count_spec(name: str, history: int, recent: int) -> tuple[str, int] | None:
    """Panel column and window of a count covariate name, or None for other names."""
    m = re.fullmatch(r"(.+)_last_(\d+)m", name)
    if m:
        base, win = m.group(1), int(m.group(2))
        if not 1 <= win <= history:
            raise MatchingError(
                f"covariate {name!r}: the window ({win} months) must be between 1 and "
                f"history_months={history}"
            )
        return ("missing_episodes" if base == "missing" else base), win
    for suffix, win in (("_history", history), ("_recent", recent)):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            return ("missing_episodes" if base == "missing" else base), win
    return None


def _birth_ns(persons: pd.DataFrame) -> np.ndarray:
    """Date of birth in ns; from ``date_of_birth`` or else the 15th of ``birth_month``."""
    out = np.full(len(persons), np.iinfo(np.int64).min, dtype=np.int64)
    have = np.zeros(len(persons), bool)
    if "date_of_birth" in persons.columns:
        dob = pd.to_datetime(persons["date_of_birth"], errors="coerce")
        ok = dob.notna().to_numpy()
        out[ok] = dob[ok].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        have |= ok
    if "birth_month" in persons.columns:
        bm = pd.to_datetime(
            persons["birth_month"].astype("string"), format="%Y-%m", errors="coerce"
        )
        ok = bm.notna().to_numpy() & ~have
        out[ok] = (bm[ok] + pd.Timedelta(days=14)).to_numpy(dtype="datetime64[ns]").astype(np.int64)
        have |= ok
    return np.where(have, out, np.iinfo(np.int64).min)


@renamed_keywords(random_state="seed")
def risk_set_match(
    panel: pd.DataFrame,
    persons: pd.DataFrame,
    *,
    exact: Sequence[str] | str | None = ("gender",),
    history_months: int = 12,
    recent_months: int = 3,
    covariates: Sequence[str] = DEFAULT_COVARIATES,
    exact_any: Sequence[str] = (),
    distance: Literal["logit", "mahalanobis"] = "logit",
    caliper: float | None = None,
    std_caliper: bool = True,
    ratio: int = 1,
    replace: bool = False,
    max_model_rows: int = 2_000_000,
    seed: int | None = DEFAULT_SEED,
    on_unmatched: Literal["warn", "raise", "ignore"] = "warn",
) -> MatchResult:
    """Match each engager at their referral month to comparators at risk in the same force.

    Parameters
    ----------
    panel
        Person-month panel (contract columns; at least ``person_id, month, arrests,
        missing_episodes``).  One row per person and month *observed*; months without a row
        count as not observed.  Not modified.
    persons
        ``police_persons`` extract: ``person_id, group (Engager | Comparator),
        police_force, gender, deprivation_decile, referral_date`` and ``date_of_birth`` or
        ``birth_month``.  Not modified.
    exact
        Person-level columns to match exactly on, besides the police force (always exact).
    history_months
        Length of the pre-index window for the arrest and missing-episode histories; both
        engager and comparator must be observed in every month of it.
    recent_months
        Length of the short window of the ``*_recent`` covariates (at most
        ``history_months``).
    covariates
        Matching covariates: any of ``"age"`` (years at the start of the index month),
        ``"arrests_history"``, ``"missing_history"`` (counts over the ``history_months``
        window), ``"arrests_recent"``, ``"missing_recent"`` (counts over the last
        ``recent_months`` months before the index month: referral often follows a recent
        arrest), in general ``"<panel count column>_history"`` or ``"..._recent"`` (e.g.
        ``"offences_history"``, ``"drug_arrests_recent"``), ``"<column>_last_<k>m"`` for a
        window of ``k`` months (e.g. ``"arrests_last_3m"``), and numeric
        columns of ``persons`` (e.g. ``"deprivation_decile"``).
    exact_any
        Covariates (among ``covariates``) to match exactly on *any versus none* at the
        index month, e.g. ``("arrests_recent",)``: an engager arrested in the month before
        referral is matched only to comparators arrested in that month too, the direct
        guard against regression to the mean.
    distance
        ``"logit"`` (propensity score, the fitted probability of the pooled risk-set
        logit) or ``"mahalanobis"`` (pooled within-group covariance of the model rows).
    caliper
        Maximum distance.  ``distance="logit"``: in standard deviations of the propensity
        score over the model rows (engager index rows and candidate comparator-months)
        when ``std_caliper=True`` (default), else in probability units.
        ``distance="mahalanobis"``: a maximum Mahalanobis distance.  ``None``: none.
    std_caliper
        See ``caliper``.
    ratio
        Comparators per engager (1:k), matched in k rounds within each stratum.
    replace
        Whether a comparator may be matched more than once (see module notes on duplicates).
    max_model_rows
        Cap on comparator rows in the propensity model; above it a seeded weighted sample
        is used (module notes).
    seed
        Seed of that sample (default :data:`socdata.options.DEFAULT_SEED`).  Old name
        ``random_state`` (deprecated).
    on_unmatched
        ``"warn"`` (default), ``"raise"`` or ``"ignore"`` when engagers are left unmatched;
        the counts by reason are in the result either way.

    Returns
    -------
    MatchResult
        Pairs with ``index_month``; :meth:`~socdata.matching.result.MatchResult.index_dates` gives
        ``person_id -> index month`` for the person-month panel.

    Raises
    ------
    MatchingError
        Missing columns, duplicate person-months, no engagers or comparators, or no
        engager matched (the message says what to relax).
    """
    _check_choice(DISTANCE, distance, "risk_set_match")
    _check_choice(ON_UNMATCHED, on_unmatched, "risk_set_match")
    if not isinstance(ratio, (int, np.integer)) or ratio < 1:
        raise MatchingError(f"`ratio` must be a whole number >= 1; got {ratio!r}")
    if not isinstance(history_months, (int, np.integer)) or history_months < 1:
        raise MatchingError(f"`history_months` must be a whole number >= 1; got {history_months!r}")
    if caliper is not None and not (np.isfinite(caliper) and caliper > 0):
        raise MatchingError(f"`caliper` must be a positive number or None; got {caliper!r}")
    exact_cols = [] if exact is None else list([exact] if isinstance(exact, str) else exact)
    covariates = list([covariates] if isinstance(covariates, str) else covariates)
    if not covariates:
        raise MatchingError("`covariates` is empty; name at least one matching covariate")
    H = int(history_months)

    # ---------------------------------------------------------------- persons
    need = ["person_id", "group", "police_force", "referral_date", *exact_cols]
    if not isinstance(recent_months, (int, np.integer)) or not 1 <= recent_months <= H:
        raise MatchingError(
            f"`recent_months` must be a whole number from 1 to history_months={H}; "
            f"got {recent_months!r}"
        )
    count_spec = {c: _count_spec(c, H, int(recent_months)) for c in covariates}
    count_spec = {c: v for c, v in count_spec.items() if v is not None}
    exact_any = [exact_any] if isinstance(exact_any, str) else list(exact_any)
    bad_any = [c for c in exact_any if c not in covariates]
    if bad_any:
        raise MatchingError(
            f"exact_any names {bad_any} which are not among the covariates {covariates}; "
            "add them to `covariates`"
        )
    exact_any_idx = [covariates.index(c) for c in exact_any]
    person_covs = [c for c in covariates if c != "age" and c not in count_spec]
    missing_cols = [c for c in dict.fromkeys(need + person_covs) if c not in persons.columns]
    if "age" in covariates and not {"date_of_birth", "birth_month"} & set(persons.columns):
        missing_cols.append("date_of_birth or birth_month")
    if missing_cols:
        raise MatchingError(
            "persons: missing column(s) "
            + ", ".join(map(repr, missing_cols))
            + " needed for risk-set matching; columns present: "
            + ", ".join(map(str, persons.columns))
        )
    pm = [
        c
        for c in dict.fromkeys([*_PANEL_NEEDED[:2], *(v[0] for v in count_spec.values())])
        if c not in panel.columns
    ]
    if pm:
        raise MatchingError(
            "panel: missing column(s) "
            + ", ".join(map(repr, pm))
            + "; build it with socdata.derive.panel.person_month_panel"
        )
    pid = persons["person_id"].to_numpy()
    if pd.Index(pid).has_duplicates:
        raise MatchingError("persons: person_id is not unique (one row per person expected)")
    n_p = len(persons)
    grp = persons["group"].astype(str).to_numpy()
    bad_grp = ~np.isin(grp, ["Engager", "Comparator"])
    if bad_grp.any():
        raise MatchingError(
            f"persons: column 'group' has {int(bad_grp.sum())} value(s) other than "
            "'Engager'/'Comparator' (e.g. row "
            f"{int(np.flatnonzero(bad_grp)[0])}); recode them"
        )
    is_eng = grp == "Engager"
    is_cmp = ~is_eng
    ref = pd.to_datetime(persons["referral_date"], errors="coerce")
    ref_m = np.where(ref.notna().to_numpy(), _month_index(ref.to_numpy()), np.iinfo(np.int64).min)

    # ---------------------------------------------------------------- panel -> dense arrays
    pcol = panel["person_id"]
    if isinstance(pcol.dtype, pd.CategoricalDtype):
        cat_pos = pd.Index(pid).get_indexer(pcol.cat.categories)
        codes = pcol.cat.codes.to_numpy()
        row_person = np.where(codes >= 0, cat_pos[codes], -1)
    else:
        row_person = pd.Index(pid).get_indexer(pcol.to_numpy())
    n_unknown = int((row_person < 0).sum())
    pmonth = _month_index(panel["month"].to_numpy())
    if (pmonth == np.iinfo(np.int64).min).any():
        raise MatchingError(
            f"panel: column 'month' has {int((pmonth == np.iinfo(np.int64).min).sum())} missing "
            "value(s); every panel row needs its calendar month"
        )
    m0 = int(pmonth.min())
    T = int(pmonth.max()) - m0 + 1
    known = row_person >= 0 if n_unknown else slice(None)  # no copies when all are known
    flat = pmonth[known] - m0
    flat *= n_p
    flat += row_person[known]
    # month-major layout (T, n_p): the gathers below read one month for many persons
    obs = np.zeros(T * n_p, dtype=bool)
    obs[flat] = True
    if int(obs.sum()) != flat.size:
        raise MatchingError(
            f"panel: {flat.size - int(obs.sum())} duplicate person-month row(s); the panel "
            "must hold one row per person and month"
        )
    obs = obs.reshape(T, n_p)
    counts = {}
    for col in dict.fromkeys(v[0] for v in count_spec.values()):
        vals = panel[col].to_numpy()[known]
        if vals.dtype.kind not in "iub" and pd.isna(vals).any():
            raise MatchingError(
                f"panel: column {col!r} has missing values; counts must be 0 or more"
            )
        cum = np.zeros((T + 1) * n_p, dtype=np.int32)
        cum[flat + n_p] = vals
        cum = cum.reshape(T + 1, n_p)
        np.cumsum(cum, axis=0, out=cum)
        counts[col] = cum
    del flat
    cum_obs = np.zeros((T + 1, n_p), dtype=np.int16)
    np.cumsum(obs, axis=0, out=cum_obs[1:])

    # ---------------------------------------------------------------- person-level covariates
    birth = _birth_ns(persons) if "age" in covariates else None
    pcov = {}
    for c in person_covs:
        s = persons[c]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise MatchingError(
                f"persons: covariate {c!r} is not numeric; match exactly on it with exact=[{c!r}]"
            )
        pcov[c] = s.to_numpy(dtype=float)
    if persons["police_force"].isna().any():
        raise MatchingError(
            f"persons: police_force is missing for {int(persons['police_force'].isna().sum())} "
            "person(s); matching is within force, so every person needs one"
        )
    force_code = pd.factorize(persons["police_force"].astype(str))[0]
    if exact_cols:
        ex = persons[exact_cols].astype(str)
        cell_code = (
            pd.MultiIndex.from_frame(ex).factorize()[0]
            if len(exact_cols) > 1
            else pd.factorize(ex.iloc[:, 0])[0]
        )
    else:
        cell_code = np.zeros(n_p, dtype=np.int64)
    n_cells = int(cell_code.max()) + 1 if n_p else 1
    stratum_person = force_code.astype(np.int64) * n_cells + cell_code

    def covs_at(idx: np.ndarray, m: np.ndarray | int) -> np.ndarray:
        """Covariate matrix of persons ``idx`` at absolute month index(es) ``m``."""
        out = np.empty((idx.size, len(covariates)))
        mi = m - m0
        for j, c in enumerate(covariates):
            if c == "age":
                start_ns = _month_start(m).astype(np.int64)
                out[:, j] = (start_ns - birth[idx]) * (1.0 / (365.25 * _DAY_NS))
            elif c in count_spec:
                col, win = count_spec[c]
                cum = counts[col]
                out[:, j] = cum[mi, idx] - cum[mi - win, idx]
            else:
                out[:, j] = pcov[c][idx]
        return out

    # ---------------------------------------------------------------- eligible engagers
    eng = np.flatnonzero(is_eng)
    excl_eng: dict[str, int] = {}
    no_ref = eng[ref_m[eng] == np.iinfo(np.int64).min]
    excl_eng["engager without a referral date"] = no_ref.size
    eng = eng[ref_m[eng] != np.iinfo(np.int64).min]
    rm = ref_m[eng] - m0
    outside = (rm - H < 0) | (rm >= T)
    excl_eng[f"referral month outside the panel or fewer than {H} panel months before it"] = int(
        outside.sum()
    )
    eng, rm = eng[~outside], rm[~outside]
    hist_ok = (cum_obs[rm, eng] - cum_obs[rm - H, eng] == H) & obs[rm, eng]
    excl_eng[f"not observed in the referral month and each of the {H} months before"] = int(
        (~hist_ok).sum()
    )
    eng, rm = eng[hist_ok], rm[hist_ok]
    Xe = covs_at(eng, rm + m0)
    bad = ~np.isfinite(Xe).all(axis=1)
    if exact_cols:
        bad |= persons[exact_cols].isna().any(axis=1).to_numpy()[eng]
    excl_eng["missing matching covariate or exact-matching variable"] = int(bad.sum())
    eng, rm, Xe = eng[~bad], rm[~bad], Xe[~bad]
    n_eng_total = int(is_eng.sum())
    if eng.size == 0:
        raise MatchingError(
            f"no engager is eligible for matching ({n_eng_total} engagers: "
            + "; ".join(f"{k}: {v}" for k, v in excl_eng.items() if v)
            + "). Check the panel covers the referral months and the "
            f"{H} months before them, or lower `history_months`"
        )

    # ---------------------------------------------------------------- strata
    cmp_all = np.flatnonzero(is_cmp)
    cmp_ok = np.ones(cmp_all.size, bool)
    for c in person_covs:
        cmp_ok &= np.isfinite(pcov[c][cmp_all])
    if "age" in covariates:
        cmp_ok &= birth[cmp_all] != np.iinfo(np.int64).min
    if exact_cols:
        cmp_ok &= ~persons[exact_cols].isna().any(axis=1).to_numpy()[cmp_all]
    n_cmp_missing = int((~cmp_ok).sum())
    cmp_all = cmp_all[cmp_ok]
    cmp_by_stratum: dict[int, np.ndarray] = {}
    order_c = np.argsort(stratum_person[cmp_all], kind="stable")
    sc = stratum_person[cmp_all][order_c]
    bounds = np.flatnonzero(np.diff(sc)) + 1
    for chunk in np.split(cmp_all[order_c], bounds):
        if chunk.size:
            cmp_by_stratum[int(stratum_person[chunk[0]])] = chunk

    eng_key = np.lexsort((np.arange(eng.size), stratum_person[eng], rm))
    # strata (month, force-cell) in calendar order
    keys = np.stack([rm[eng_key], stratum_person[eng][eng_key]], axis=1)
    brk = np.flatnonzero(np.any(np.diff(keys, axis=0) != 0, axis=1)) + 1
    strata = np.split(eng_key, brk)

    def candidates(stratum: int, mi: int) -> np.ndarray:
        pool = cmp_by_stratum.get(stratum)
        if pool is None:
            return np.empty(0, dtype=np.int64)
        if mi - H < 0:
            return np.empty(0, dtype=np.int64)
        ok = obs[mi, pool]
        ok &= (cum_obs[mi, pool] - cum_obs[mi - H, pool]) == H
        return pool[ok]

    # ---------------------------------------------------------------- model rows
    # candidate comparators of every stratum, found once (int32 person indices, ascending)
    cand_of = [candidates(int(stratum_person[eng[s[0]]]), int(rm[s[0]])) for s in strata]
    total_cand = int(sum(c.size for c in cand_of))
    if total_cand == 0:
        raise MatchingError(
            f"no comparator is at risk in any engager's force, exact cell and referral month "
            f"({eng.size} eligible engagers, {int(is_cmp.sum())} comparators). To relax: "
            + _relax_advice(None, ratio, True, bool(exact_cols))
        )
    frac = min(1.0, max_model_rows / total_cand)
    rng = np.random.default_rng(seed)
    model_X = [Xe]
    for s, cand in zip(strata, cand_of, strict=True):
        if cand.size == 0:
            continue
        mi = int(rm[s[0]])
        sub = cand if frac >= 1.0 else cand[rng.random(cand.size) < frac]
        model_X.append(covs_at(sub, mi + m0))
    MX = np.concatenate(model_X)
    MW = np.full(MX.shape[0], 1.0 / frac)
    MW[: eng.size] = 1.0
    My = np.zeros(MX.shape[0])
    My[: eng.size] = 1.0
    propensity = pd.DataFrame(columns=["term", "estimate"])
    W = None
    if distance == "logit":
        fit = fit_logit(MX, My, names=tuple(covariates), weights=MW)
        propensity = pd.DataFrame({"term": list(fit.names), "estimate": fit.coef})
        ps_model = fit.predict(MX)
        mean = np.average(ps_model, weights=MW)
        sd = np.sqrt(np.sum(MW * (ps_model - mean) ** 2) / (MW.sum() - 1))
        cal_width = (
            None if caliper is None else (float(caliper) * sd if std_caliper else float(caliper))
        )
        cal_units = (
            "standard deviations of the propensity score (engager index rows and candidate "
            "comparator-months)"
            if std_caliper
            else "propensity-score (probability) units"
        )
        score_e = fit.predict(Xe)
    else:
        # MatchIt's Mahalanobis distance: covariates scaled, pooled within-group covariance
        W = mahalanobis_matrix(MX, My == 1, MW)
        cal_width = None if caliper is None else float(caliper)
        cal_units = "Mahalanobis distance (scaled covariates, pooled within-group covariance)"
        score_e = None
    del MX, MW, My, model_X

    # ---------------------------------------------------------------- matching, stratum by stratum
    used = np.zeros(n_p, dtype=bool)
    match_pp = np.full((eng.size, ratio), -1, dtype=np.int64)  # comparator person index
    match_dist = np.full((eng.size, ratio), np.nan)
    reasons = np.zeros(eng.size, dtype=np.int8)
    # before-matching moments of the control covariates over all candidates: n, sum, sum sq
    k_mom = len(covariates) + (1 if distance == "logit" else 0)
    before_moments = np.zeros((3, k_mom))

    def match_cell(
        s: np.ndarray, cand: np.ndarray, Xc: np.ndarray, sc_c: np.ndarray | None
    ) -> None:
        """Greedy matching of engagers ``s`` to available candidates ``cand`` (ascending)."""
        if distance == "logit":
            perm = stable_argsort(sc_c)  # cand ascending: ties in person order
            cs = cand[perm]
            sc_sorted = sc_c[perm]
            st = score_e[s]
            lc = left_counts(sc_sorted, cs, st, eng[s])
            order_local = np.argsort(-st, kind="stable")
            mm, rs = greedy_match_1d(
                sc_sorted, st, lc, order_local, ratio=ratio, replace=replace, caliper=cal_width
            )
            got = mm >= 0
            match_pp[s] = np.where(got, cs[np.clip(mm, 0, None)], -1)
            match_dist[s] = np.where(
                got, np.abs(sc_sorted[np.clip(mm, 0, None)] - st[:, None]), np.nan
            )
        else:
            Zc = Xc @ W
            Zt = Xe[s] @ W
            order_local = np.arange(s.size)
            mm, rs = greedy_match_kdtree(
                Zc, Zt, order_local, ratio=ratio, replace=replace, caliper=cal_width
            )
            got = mm >= 0
            match_pp[s] = np.where(got, cand[np.clip(mm, 0, None)], -1)
            dd = np.linalg.norm(Zc[np.clip(mm, 0, None)] - Zt[:, None, :], axis=2)
            match_dist[s] = np.where(got, dd, np.nan)
        reasons[s] = rs
        if not replace:
            used[match_pp[s][got]] = True

    for s, cand in zip(strata, cand_of, strict=True):
        mi = int(rm[s[0]])
        if cand.size == 0:
            reasons[s] = REASON_NO_CONTROLS
            continue
        Xc = covs_at(cand, mi + m0)
        before_moments[0] += cand.size
        off_m = 0
        if distance == "logit":
            sc_c = fit.predict(Xc)
            before_moments[1, 0] += sc_c.sum()
            before_moments[2, 0] += sc_c @ sc_c
            off_m = 1
        before_moments[1, off_m:] += Xc.sum(axis=0)
        before_moments[2, off_m:] += np.einsum("ij,ij->j", Xc, Xc)
        if exact_any_idx:
            bits = 1 << np.arange(len(exact_any_idx))
            ck_all = (Xc[:, exact_any_idx] > 0).astype(np.int64) @ bits
            ek = (Xe[s][:, exact_any_idx] > 0).astype(np.int64) @ bits
        if not replace:
            free = ~used[cand]
            if not free.any():
                reasons[s] = REASON_EXHAUSTED
                continue
            cand, Xc = cand[free], Xc[free]
            if distance == "logit":
                sc_c = sc_c[free]
        if not exact_any_idx:
            match_cell(s, cand, Xc, sc_c if distance == "logit" else None)
            continue
        ck = ck_all[free] if not replace else ck_all
        for key in np.unique(ek):
            se = s[ek == key]
            sel = ck == key
            if not sel.any():
                reasons[se] = REASON_EXHAUSTED if (ck_all == key).any() else REASON_NO_CONTROLS
                continue
            match_cell(se, cand[sel], Xc[sel], sc_c[sel] if distance == "logit" else None)
    del cand_of

    # ---------------------------------------------------------------- units, weights, pairs
    got = match_pp >= 0
    unit_key = np.where(got, match_pp * (T + 1) + rm[:, None], -1)
    uniq_keys, inv = np.unique(unit_key[got], return_inverse=True)
    mm_units = np.full(match_pp.shape, -1, dtype=np.int64)
    mm_units[got] = inv
    w_t, w_c = matchit_weights(mm_units, uniq_keys.size)
    unit_person = uniq_keys // (T + 1)
    unit_month = uniq_keys % (T + 1)

    n_none = int((~got[:, 0]).sum())
    n_partial = int((got[:, 0] & ~got[:, -1]).sum())
    unmatched_rows = [
        {"reason": lab, "n": int(np.sum((reasons == code) & ~got[:, 0]))}
        for code, lab in REASON_LABELS.items()
    ]
    if ratio > 1:
        unmatched_rows.append(
            {"reason": f"fewer than {ratio} matches (partly matched)", "n": n_partial}
        )
    unmatched = pd.DataFrame(unmatched_rows, columns=["reason", "n"])
    unmatched = unmatched[unmatched["n"] > 0].reset_index(drop=True)
    if n_none == eng.size:
        raise MatchingError(
            f"no engager could be matched ({eng.size} eligible engagers; "
            + "; ".join(f"{r.reason}: {r.n}" for r in unmatched.itertuples())
            + "). To relax: "
            + _relax_advice(caliper, ratio, replace, bool(exact_cols))
        )
    if n_none or n_partial:
        msg = (
            f"{n_none} of {eng.size} eligible engager(s) were not matched"
            + (f" and {n_partial} got fewer than {ratio} comparators" if n_partial else "")
            + " ("
            + "; ".join(f"{r.reason}: {r.n}" for r in unmatched.itertuples())
            + "); unmatched engagers are excluded from the matched sample. To match more: "
            + _relax_advice(caliper, ratio, replace, bool(exact_cols))
        )
        if on_unmatched == "raise":
            raise MatchingError(msg)
        if on_unmatched == "warn":
            warnings.warn(msg, ExcludedRowsWarning, stacklevel=2)

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
                "index_month": _month_start(rm[rows_e] + m0),
                "score_distance": match_dist[rows_e, ranks],
            }
        )
        .sort_values(["index_month", "subclass", "match_rank"], kind="stable")
        .reset_index(drop=True)
    )

    matched_e = np.flatnonzero(got[:, 0])
    multi = pd.Series(unit_person).duplicated(keep=False).to_numpy()
    c_ids = pid[unit_person].astype(object)
    c_unit = np.where(
        multi,
        np.array(
            [f"{p}@{_fmt_month(int(m) + m0)}" for p, m in zip(c_ids, unit_month, strict=True)],
            dtype=object,
        )
        if multi.any()
        else c_ids,
        c_ids,
    )
    unit_weights = pd.DataFrame(
        {
            "unit_id": np.concatenate([pid[eng[matched_e]].astype(object), c_unit]),
            "person_id": np.concatenate([pid[eng[matched_e]].astype(object), c_ids]),
            "treated": np.concatenate(
                [np.ones(matched_e.size, int), np.zeros(uniq_keys.size, int)]
            ),
            "index_month": _month_start(np.concatenate([rm[matched_e], unit_month]) + m0),
            "weight": np.concatenate([w_t[matched_e], w_c]),
        }
    )

    # ---------------------------------------------------------------- balance
    Xc_after = covs_at(unit_person, unit_month + m0)
    rows = []
    off = 0
    if distance == "logit":
        rows.append(
            balance_from_moments(
                "propensity_score",
                score_e,
                tuple(before_moments[:, 0]),
                score_e[matched_e],
                fit.predict(Xc_after),
                w_c,
                binary=False,
            )
        )
        off = 1
    for j, c in enumerate(covariates):
        mom = before_moments[:, j + off]
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
    bal = pd.DataFrame(rows).loc[:, list(BALANCE_COLUMNS)]

    # ---------------------------------------------------------------- provenance
    flow = FlowLog()
    flow = flow.add(
        "engagers eligible for matching", n_eng_total, eng.size, excl_eng, unit="engagers"
    )
    flow = flow.add(
        "engagers matched",
        eng.size,
        eng.size - n_none,
        {r.reason: int(r.n) for r in unmatched.itertuples() if not r.reason.startswith("fewer")},
        unit="engagers",
    )
    n_cmp_total = int(is_cmp.sum())
    flow = flow.add(
        "comparators usable",
        n_cmp_total,
        n_cmp_total - n_cmp_missing,
        {"missing matching covariate or exact-matching variable": n_cmp_missing},
        unit="comparators",
    )
    notes = [
        f"History window: the {H} calendar months before the index month (index month excluded); "
        "engagers and comparators must be observed in all of them and in the index month.",
        "Comparators: persons with group == 'Comparator' in the same police force"
        + (" and the same " + ", ".join(exact_cols) if exact_cols else "")
        + "; strata processed in calendar order of the index month.",
        "Balance 'before': every candidate comparator-month in strata with an engager, unit weights.",
    ]
    if exact_any:
        notes.append(
            "Exact matching on any versus none of " + ", ".join(exact_any) + " at the index month."
        )
    if n_unknown:
        notes.append(
            f"{n_unknown} panel row(s) belong to persons not in `persons` and were ignored."
        )
        warnings.warn(
            f"{n_unknown} panel row(s) have a person_id not in `persons`; they were ignored",
            ExcludedRowsWarning,
            stacklevel=2,
        )
    if frac < 1.0:
        notes.append(
            f"Propensity model fitted on a seeded {frac:.4%} Bernoulli sample of the "
            f"{total_cand} candidate comparator-months (weights 1/{frac:.4g}; seed={seed})."
        )
    prov = Provenance.build(
        "socdata.matching.risk_set_match",
        parameters={
            "exact": exact_cols or None,
            "history_months": H,
            "recent_months": int(recent_months),
            "covariates": covariates,
            "exact_any": exact_any or None,
            "distance": distance,
            "caliper": caliper,
            "std_caliper": std_caliper,
            "ratio": ratio,
            "replace": replace,
            "max_model_rows": max_model_rows,
            "seed": seed,
            "on_unmatched": on_unmatched,
        },
        frames={"panel": panel, "persons": persons}
        if len(panel) <= 5_000_000
        else {"persons": persons},
        n_in=n_p,
        n_out=len(unit_weights),
        flow=flow,
        notes=notes,
    )
    method = (
        "risk-set matching at the referral month: greedy nearest neighbour on a pooled "
        "risk-set propensity score (unpenalised logit), largest score first within each "
        "(index month, force, exact cell) stratum"
        if distance == "logit"
        else "risk-set matching at the referral month: greedy nearest neighbour on the "
        "Mahalanobis distance, data order within each (index month, force, exact cell) stratum"
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
        n_treated=int(eng.size),
        n_control=int(cmp_all.size),
    )


def matched_panel(panel: pd.DataFrame, result: MatchResult) -> pd.DataFrame:
    """Person-month panel of the matched sample, one block of rows per matched unit.

    Parameters
    ----------
    panel
        Person-month panel holding the matched engagers and comparators (contract columns).
        Not modified.
    result
        A :class:`~socdata.matching.result.MatchResult` from :func:`risk_set_match`.

    Returns
    -------
    pandas.DataFrame
        The panel rows of matched units, with ``unit_id`` (``person_id``, or
        ``"<person_id>@<YYYY-MM>"`` for a comparator used at several index months, whose
        rows are then repeated once per unit), ``match_weight`` (MatchIt weight of the
        unit), and ``cohort`` (index month), ``months_since_referral`` (months since the
        index month), ``post`` (1 from the index month on) and ``treated`` (1 = engager)
        set from the match for every unit.

    Raises
    ------
    MatchingError
        When the result has no index months (it does not come from risk-set matching) or
        the panel lacks ``person_id``/``month``.
    """
    uw = result.unit_weights
    if uw.empty or uw["index_month"].isna().all():
        raise MatchingError(
            "matched_panel needs a result of risk_set_match (units with index months)"
        )
    for c in ("person_id", "month"):
        if c not in panel.columns:
            raise MatchingError(f"panel: missing column {c!r}")
    units = uw.rename(columns={"weight": "match_weight"})
    out = panel.merge(
        units[["person_id", "unit_id", "treated", "index_month", "match_weight"]].rename(
            columns={"treated": "_treated_unit"}
        ),
        on="person_id",
        how="inner",
        validate="many_to_many",
    )
    mon = _month_index(out["month"].to_numpy())
    idx = _month_index(out["index_month"].to_numpy())
    out["cohort"] = out["index_month"].to_numpy()
    out["months_since_referral"] = pd.array(mon - idx, dtype="Int64")
    out["post"] = (mon >= idx).astype("int64")
    out["treated"] = out["_treated_unit"].astype("int64")
    out = out.drop(columns=["_treated_unit", "index_month"])
    return out.sort_values(["unit_id", "month"], kind="stable").reset_index(drop=True)


def aligned_panel(matched: pd.DataFrame, *, window: tuple[int, int] = (-12, 12)) -> pd.DataFrame:
    """Matched panel on event time: every unit aligned on its index month.

    In matched difference-in-differences each comparator shares its engager's index month,
    so the natural clock is the month relative to that date.  This function keeps the rows
    of a :func:`matched_panel` inside ``window`` and adds

    * ``event_period``: ``months_since_referral - window[0] + 1`` (1, 2, ...), a numeric
      period common to engagers and comparators;
    * ``event_cohort``: the ``event_period`` of month 0 for engagers, ``0`` (never treated)
      for comparators, so that ``socdata.did.event_study`` and ``socdata.did.att_gt`` with
      ``time="event_period", cohort="event_cohort"`` compare engagers with their matched
      comparators on the same clock (period fixed effects are then event-time effects);
    * ``treated_post``: ``treated * post``, the treatment indicator of a TWFE regression.

    Parameters
    ----------
    matched
        Output of :func:`matched_panel` (needs ``months_since_referral``, ``treated``,
        ``post``).  Not modified.
    window
        First and last event month kept, e.g. ``(-12, 12)``.

    Returns
    -------
    pandas.DataFrame
    """
    lo, hi = int(window[0]), int(window[1])
    if not lo < 0 <= hi:
        raise MatchingError(
            f"window must satisfy first < 0 <= last, e.g. (-12, 12); got {window!r}"
        )
    for c in ("months_since_referral", "treated", "post", "unit_id"):
        if c not in matched.columns:
            raise MatchingError(
                f"aligned_panel: column {c!r} missing; pass the output of matched_panel()"
            )
    e = matched["months_since_referral"].astype("float64")
    out = matched.loc[(e >= lo) & (e <= hi)].copy()
    ev = out["months_since_referral"].astype("int64")
    out["event_period"] = (ev - lo + 1).astype("int64")
    out["event_cohort"] = np.where(out["treated"].to_numpy() == 1, 1 - lo, 0).astype("int64")
    out["treated_post"] = (out["treated"] * out["post"]).astype("int64")
    return out.reset_index(drop=True)
