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

from collections.abc import Sequence
from typing import Literal

import pandas as pd

from socdata.matching._riskset_data import (
    build_arrays,
    check_spec,
    comparator_pool,
    eligible_engagers,
)
from socdata.matching._riskset_match import fit_distance, match_strata, strata_and_candidates
from socdata.matching._riskset_output import (
    balance_table,
    flow_and_notes,
    units_and_pairs,
    unmatched_counts,
)
from socdata.matching.nearest import DISTANCE, ON_UNMATCHED, _check_choice
from socdata.matching.panels import aligned_panel, matched_panel
from socdata.matching.result import MatchResult
from socdata.options import DEFAULT_SEED, renamed_keywords
from socdata.provenance import Provenance

__all__ = ["DEFAULT_COVARIATES", "aligned_panel", "matched_panel", "risk_set_match"]

#: Default matching covariates (measured at the index month).
DEFAULT_COVARIATES = ("age", "deprivation_decile", "arrests_history", "missing_history")


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
    spec = check_spec(
        exact=exact,
        covariates=covariates,
        exact_any=exact_any,
        history_months=history_months,
        recent_months=recent_months,
        ratio=ratio,
        caliper=caliper,
    )
    opts = {
        "distance": distance,
        "caliper": caliper,
        "std_caliper": std_caliper,
        "ratio": ratio,
        "replace": replace,
        "max_model_rows": max_model_rows,
        "seed": seed,
        "on_unmatched": on_unmatched,
    }
    return _match(panel, persons, spec, opts)


def _match(panel: pd.DataFrame, persons: pd.DataFrame, spec, opts: dict) -> MatchResult:
    """The steps of :func:`risk_set_match` once the options are checked."""
    distance, caliper, std_caliper = opts["distance"], opts["caliper"], opts["std_caliper"]
    ratio, replace, seed = opts["ratio"], opts["replace"], opts["seed"]
    max_model_rows, on_unmatched = opts["max_model_rows"], opts["on_unmatched"]
    arr = build_arrays(panel, persons, spec)
    eng, rm, Xe, excl_eng = eligible_engagers(arr, persons)
    cmp_all, by_stratum, n_cmp_missing = comparator_pool(arr, persons)
    strata, cand_of = strata_and_candidates(arr, eng, rm, by_stratum)
    model = fit_distance(
        arr,
        Xe,
        rm,
        strata,
        cand_of,
        distance=distance,
        caliper=caliper,
        std_caliper=std_caliper,
        max_model_rows=max_model_rows,
        seed=seed,
        n_eng_hint=(eng.size, int((~arr.is_eng).sum()), ratio, bool(spec.exact)),
    )
    matches = match_strata(arr, model, eng, rm, Xe, strata, cand_of, ratio=ratio, replace=replace)
    del cand_of
    unmatched, n_none, _ = unmatched_counts(
        matches,
        ratio=ratio,
        replace=replace,
        caliper=caliper,
        exact=bool(spec.exact),
        on_unmatched=on_unmatched,
    )
    pairs, unit_weights, units = units_and_pairs(arr, eng, rm, matches)
    bal = balance_table(arr, model, Xe, matches, units)
    flow, notes = flow_and_notes(
        arr,
        model,
        n_eligible=eng.size,
        excl_eng=excl_eng,
        unmatched=unmatched,
        n_none=n_none,
        n_cmp_missing=n_cmp_missing,
        seed=seed,
    )
    params = {
        "exact": spec.exact or None,
        "history_months": spec.history,
        "recent_months": spec.recent,
        "covariates": spec.covariates,
        "exact_any": spec.exact_any or None,
        **opts,
    }
    prov = Provenance.build(
        "socdata.matching.risk_set_match",
        parameters=params,
        frames={"panel": panel, "persons": persons}
        if len(panel) <= 5_000_000
        else {"persons": persons},
        n_in=arr.n_p,
        n_out=len(unit_weights),
        flow=flow,
        notes=notes,
    )
    return _result(prov, params, model, pairs, unit_weights, bal, unmatched, eng, cmp_all)


def _result(prov, params, model, pairs, unit_weights, bal, unmatched, eng, cmp_all) -> MatchResult:
    """The frozen :class:`MatchResult` of :func:`risk_set_match`."""
    how = (
        "a pooled risk-set propensity score (unpenalised logit), largest score first"
        if params["distance"] == "logit"
        else "the Mahalanobis distance (scaled covariates), data order"
    )
    caliper = params["caliper"]
    return MatchResult(
        provenance=prov,
        method="risk-set matching at the referral month: greedy nearest neighbour on "
        + how
        + " within each (index month, force, exact cell) stratum",
        distance=params["distance"],
        ratio=int(params["ratio"]),
        replace=bool(params["replace"]),
        caliper=caliper,
        caliper_units=model.cal_units if caliper is not None else "",
        caliper_width=model.cal_width,
        pairs=pairs,
        unit_weights=unit_weights,
        balance_table=bal,
        unmatched=unmatched,
        propensity=model.propensity,
        n_treated=int(eng.size),
        n_control=int(cmp_all.size),
    )
