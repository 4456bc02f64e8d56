"""The SOCEIS matched-comparator study, run from its design: the code behind notebooks 30
and 40.

Every function takes the design (:data:`socdata.soceis.design.SOCEIS_DESIGN` by default),
so the notebooks, the simulation script and the power analysis share one declaration.
Tables come out in the tidy layout of :func:`socdata.report.write_table` (``row_label,
column_label, measure, value``, with ``n`` the people behind each estimate, so disclosure
control sees every count; counts never appear in text columns).

Estimators that the simulation (``docs/explanation/simulation.md``) found invalid for this
design are run only when asked for, and then carry ``valid = "no"``, a ``flag`` and their
measured relative bias (:func:`simulation_summary`).
"""

from __future__ import annotations

import importlib.resources
import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from socdata.did import att_gt, did_2x2, honest_sensitivity, poisson_twfe, twfe
from socdata.did.design import ESTIMATORS, ComparatorDesign
from socdata.did.power import analytic_power, minimum_detectable_effect
from socdata.did.stacked import stack_matched_sets, stacked_did
from socdata.errors import ExcludedRowsWarning, SmallClusterWarning
from socdata.matching import aligned_panel, matched_panel, risk_set_match
from socdata.matching.result import MatchResult
from socdata.soceis.design import SOCEIS_DESIGN

__all__ = [
    "ESTIMATE_KEEP_COLUMNS",
    "POOLED",
    "balance_table",
    "estimate_keep_columns",
    "estimate_table",
    "event_time_table",
    "flow_table",
    "match_design",
    "power_table",
    "pretrend_table",
    "simulation_summary",
    "stacked_sample",
]

POOLED = "All areas"
_SPEC = {s.key: s for s in ESTIMATORS}


def match_design(
    panel: pd.DataFrame, persons: pd.DataFrame, design: ComparatorDesign = SOCEIS_DESIGN, **kw
) -> MatchResult:
    """Risk-set matching with the design's specification (``kw`` e.g. ``on_unmatched``)."""
    return risk_set_match(panel, persons, **{**design.matching.kwargs(), **kw})


def balance_table(matched: MatchResult) -> pd.DataFrame:
    """Balance before and after matching as a tidy table (``matching_balance``)."""
    records = []
    cols = {
        "smd_before": "smd",
        "smd_after": "smd",
        "var_ratio_before": "variance_ratio",
        "var_ratio_after": "variance_ratio",
        "mean_treated_before": "mean",
        "mean_control_before": "mean",
        "mean_treated_after": "mean",
        "mean_control_after": "mean",
    }
    for r in matched.balance().itertuples():
        for col, measure in cols.items():
            value = getattr(r, col)
            if pd.isna(value):
                continue
            after = col.endswith("_after")
            if "control" in col:
                base = matched.n_control_matched if after else matched.n_control
            else:
                base = matched.n_treated_matched if after else matched.n_treated
            records.append(
                {
                    "table_id": "matching_balance",
                    "row_label": r.covariate,
                    "column_label": col,
                    "measure": measure,
                    "value": float(value),
                    "denominator": int(base),
                }
            )
    return pd.DataFrame(records)


def flow_table(matched: MatchResult) -> pd.DataFrame:
    """Engagers eligible, matched and unmatched by reason, tidy (``matching_flow``)."""
    rows = []
    for r in matched.provenance.flow.to_frame().itertuples():
        label = r.step if not r.excluded_reason else f"{r.step}: excluded ({r.excluded_reason})"
        value = r.n_out if not r.excluded_reason else r.n_excluded
        if pd.isna(value):
            continue
        rows.append({"row_label": label, "column_label": r.unit, "value": int(value)})
    rows.append(
        {
            "row_label": "matched comparator units",
            "column_label": "comparators",
            "value": matched.n_control_matched,
        }
    )
    out = pd.DataFrame(rows).drop_duplicates(["row_label", "column_label"])
    return out.assign(table_id="matching_flow", measure="n")


def stacked_sample(
    panel: pd.DataFrame,
    persons: pd.DataFrame,
    matched: MatchResult,
    design: ComparatorDesign = SOCEIS_DESIGN,
) -> pd.DataFrame:
    """The stacked matched sets in the design's window, with the engager's ``by`` column
    (the area) on every row of the set."""
    st = stack_matched_sets(panel, matched.pairs, window=design.window)
    if design.by is not None and design.by in persons.columns:
        by = persons.set_index("person_id")[design.by]
        st = st.drop(columns=[design.by], errors="ignore")
        st[design.by] = st["matched_set"].map(by).to_numpy()
    return st


def simulation_summary() -> pd.DataFrame:
    """Measured bias and coverage of every estimator (``scripts/simulate_did.py``):
    ``estimator, replications, relative_bias, coverage``."""
    ref = importlib.resources.files("socdata.soceis").joinpath("did_simulation_summary.csv")
    with ref.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def _groups(stacked: pd.DataFrame, design: ComparatorDesign):
    yield POOLED, stacked
    if design.by is not None and design.by in stacked.columns:
        for value, g in stacked.groupby(design.by, sort=True):
            yield str(value), g


def _stacked_fit(frame, outcome, design, family, by_event_time=False, method=None):
    return stacked_did(
        frame,
        outcome=outcome,
        unit="person_id",
        time="month",
        index_time="index_month",
        matched_set="matched_set",
        treated="treated",
        family=family,
        method=method,
        by_event_time=by_event_time,
        **design.stacked_kwargs(),
    )


def _other(key: str, frame: pd.DataFrame, panel: pd.DataFrame, outcome: str, design):
    """The estimators kept for comparison (run on the same matched sets)."""
    lo, hi = design.window
    sets = set(frame["matched_set"])
    sub = panel[panel["unit_id"].isin(sets) | panel["set_of"].isin(sets)]
    al = aligned_panel(sub.drop(columns=["set_of"]), window=(lo, hi))
    no0 = al[~al["months_since_referral"].isin(design.exclude)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        warnings.simplefilter("ignore", SmallClusterWarning)
        if key in ("naive", "did2x2"):
            t = did_2x2(no0, outcome=outcome, unit="unit_id", treated="treated", post="post")
            r = t.tidy().set_index("term").loc["engager:change" if key == "naive" else "did"]
            return r.estimate, r.conf_low, r.conf_high
        if key in ("twfe_cal", "twfe_event", "pois_cal", "pois_event"):
            fn = twfe if key.startswith("twfe") else poisson_twfe
            time = "month" if key.endswith("cal") else "event_period"
            r = (
                fn(
                    no0,
                    outcome=outcome,
                    unit="unit_id",
                    time=time,
                    treatment="treated_post",
                    cluster="person_id",
                )
                .tidy()
                .iloc[0]
            )
            if key.startswith("pois"):
                return np.exp(r.estimate), np.exp(r.conf_low), np.exp(r.conf_high)
            return r.estimate, r.conf_low, r.conf_high
        if key == "attgt":
            r = att_gt(
                al,
                outcome=outcome,
                unit="unit_id",
                time="event_period",
                cohort="event_cohort",
                balance="drop_incomplete",
            )
            s = r.aggregate("simple").tidy().iloc[0]
            return s.estimate, s.conf_low, s.conf_high
    raise KeyError(key)


def _no_numbers(text: str) -> str:
    """Mask the numbers of a message (they may be counts of people): tables publish text
    as it is, so text must never carry counts."""
    return re.sub(r"\d+", "#", text)


def _flag(spec, bias: float, cover: float) -> str:
    """Empty for a valid estimator whose simulated coverage is nominal; else why not."""
    if not spec.valid:
        return (
            f"NOT VALID for this design ({spec.why}); measured relative bias {bias:+.0%} "
            "in the simulation"
        )
    if np.isfinite(cover) and not 0.935 <= cover <= 0.965:
        return (
            f"valid for the design, but in the simulation its 95% interval covered the "
            f"built-in effect in {cover:.1%} of data sets (relative bias {bias:+.0%})"
        )
    return ""


def estimate_table(
    stacked: pd.DataFrame,
    *,
    design: ComparatorDesign = SOCEIS_DESIGN,
    estimators: Sequence[str] | None = None,
    panel: pd.DataFrame | None = None,
    matched: MatchResult | None = None,
    truth: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Effect estimates by outcome and area (and pooled), tidy (``did_estimates``).

    Parameters
    ----------
    stacked
        Output of :func:`stacked_sample`.
    design
        The study design: outcomes, window, estimators reported by default.
    estimators
        Keys of the estimators to report; default ``design.estimators`` (the valid ones).
        Others (see :data:`socdata.did.design.ESTIMATORS`) need ``panel`` and ``matched``
        and are flagged with their measured bias.
    truth
        Built-in rate ratio per outcome (synthetic data only): adds ``truth`` and
        ``covers_truth`` for rate-ratio rows.

    Returns
    -------
    pandas.DataFrame
        ``row_label`` (``<outcome> | <area>``), ``column_label`` (estimator), ``measure``
        (``rate_ratio`` or ``difference per person-month``), ``value``, ``conf_low``,
        ``conf_high``, ``n`` (engagers), and ``outcome``, ``area``, ``estimator``,
        ``valid``, ``flag``, ``measured_relative_bias`` and ``measured_coverage`` (of the
        95% interval, on arrests in the simulation; every estimator, valid or not).
    """
    keys = list(estimators) if estimators is not None else list(design.estimators)
    sim = simulation_summary().set_index("estimator")
    mp = None
    if any(not k.startswith("stacked") for k in keys):
        if panel is None or matched is None:
            raise ValueError("estimators other than the stacked DiD need panel= and matched=")
        mp = matched_panel(panel, matched)
        owner = matched.pairs.set_index("control_id")["treated_id"]
        mp["set_of"] = mp["person_id"].map(owner)
    rows = []
    for outcome in design.outcomes:
        for area, frame in _groups(stacked, design):
            n_eng = int(frame.loc[frame["treated"] == 1, "matched_set"].nunique())
            for key in keys:
                spec = _SPEC[key]
                try:
                    if key.startswith("stacked"):
                        fam = "poisson" if "poisson" in key else "linear"
                        how = "pml" if key.endswith("_pml") else None
                        t = _stacked_fit(frame, outcome, design, fam, method=how).tidy().iloc[0]
                        est, lo, hi = t.estimate, t.conf_low, t.conf_high
                        if fam == "poisson":
                            est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
                    else:
                        est, lo, hi = _other(key, frame, mp, outcome, design)
                    note = ""
                except Exception as exc:
                    est = lo = hi = np.nan
                    note = f"not estimable: {_no_numbers(str(exc))[:160]}"
                bias = float(sim.loc[key, "relative_bias"]) if key in sim.index else np.nan
                cover = float(sim.loc[key, "coverage"]) if key in sim.index else np.nan
                rows.append(
                    {
                        "row_label": f"{outcome} | {area}",
                        "column_label": spec.label,
                        "measure": "rate_ratio"
                        if spec.scale == "rate ratio"
                        else "difference per person-month",
                        "value": est,
                        "conf_low": lo,
                        "conf_high": hi,
                        "n": n_eng,
                        "outcome": outcome,
                        "area": area,
                        "estimator": key,
                        "valid": "yes" if spec.valid else "no",
                        "flag": _flag(spec, bias, cover),
                        "measured_relative_bias": bias,
                        "measured_coverage": cover,
                        "note": note,
                    }
                )
    out = pd.DataFrame(rows).assign(table_id="did_estimates")
    if truth:
        out["truth"] = [
            truth.get(o, np.nan) if m == "rate_ratio" else np.nan
            for o, m in zip(out["outcome"], out["measure"], strict=True)
        ]
        out["covers_truth"] = np.where(
            out["truth"].notna(),
            np.where(
                (out["conf_low"] <= out["truth"]) & (out["truth"] <= out["conf_high"]), "yes", "no"
            ),
            "",
        )
    return out


#: Numeric columns of :func:`estimate_table` beside the estimate that say nothing about
#: people (properties of the estimator measured by simulation, and the generator's truth).
ESTIMATE_KEEP_COLUMNS: tuple[str, ...] = ("measured_relative_bias", "measured_coverage", "truth")


def estimate_keep_columns(table: pd.DataFrame) -> list[str]:
    """The columns of an :func:`estimate_table` released as they are.

    Pass them as ``keep_columns`` to ``socdata.report.write_table``: under disclosure
    control every other extra numeric column is left out of the file.

    Examples
    --------
    >>> import pandas as pd
    >>> estimate_keep_columns(pd.DataFrame(columns=["value", "measured_coverage", "truth"]))
    ['measured_coverage', 'truth']
    """
    return [c for c in ESTIMATE_KEEP_COLUMNS if c in table.columns]


def event_time_table(
    stacked: pd.DataFrame, *, design: ComparatorDesign = SOCEIS_DESIGN, family: str = "poisson"
) -> tuple[pd.DataFrame, dict]:
    """Pooled event-time estimates for every outcome, tidy (``did_event_study``), and the
    fitted results by outcome (for pre-trend tests, sensitivity and plots)."""
    rows, fits = [], {}
    n_eng = int(stacked.loc[stacked["treated"] == 1, "matched_set"].nunique())
    for outcome in design.outcomes:
        r = _stacked_fit(stacked, outcome, design, family, by_event_time=True)
        fits[outcome] = r
        t = r.tidy()
        t = t[t["kind"] != "overall"]
        for row in t.itertuples():
            rows.append(
                {
                    "row_label": outcome,
                    "column_label": f"event month {int(row.event_time)}",
                    "measure": "log rate ratio" if family == "poisson" else "difference",
                    "value": row.estimate,
                    "conf_low": row.conf_low,
                    "conf_high": row.conf_high,
                    "n": n_eng,
                    "event_time": int(row.event_time),
                }
            )
    return pd.DataFrame(rows).assign(table_id="did_event_study"), fits


def pretrend_table(fits: dict, *, design: ComparatorDesign = SOCEIS_DESIGN) -> pd.DataFrame:
    """Pre-trend test and relative-magnitudes breakdown value per outcome (``did_pretrend``)."""
    rows = []
    for outcome, r in fits.items():
        pt = r.pretrend_test()
        h = honest_sensitivity(r)
        n_eng = r.n_treated
        base = {"row_label": outcome, "n": n_eng}
        rows.append(
            {
                **base,
                "column_label": "pre-trend test (Hotelling F)",
                "measure": "p_value",
                "value": pt.p_value if pt.computed else np.nan,
                "note": "" if pt.computed else "not computed: " + _no_numbers(pt.reason),
            }
        )
        rows.append(
            {
                **base,
                "column_label": "average post-referral effect",
                "measure": "log rate ratio",
                "value": h.estimate,
                "note": h.target,
            }
        )
        rows.append(
            {
                **base,
                "column_label": "breakdown value (relative magnitudes)",
                "measure": "Mbar",
                "value": h.breakdown,
                "note": "largest Mbar at which the robust 95% interval excludes 0",
            }
        )
    return pd.DataFrame(rows).assign(table_id="did_pretrend")


def power_table(
    stacked: pd.DataFrame,
    *,
    design: ComparatorDesign = SOCEIS_DESIGN,
    rate_ratios: Sequence[float] = (0.6, 0.7, 0.8, 0.9),
) -> pd.DataFrame:
    """Power by outcome, number of engagers and rate ratio (``did_power``).

    Rows ``method = "simulated"`` come from the calibrated generator
    (``scripts/did_power.py``, stored with the package); rows ``method = "analytic, this
    data"`` use the standard error of the stacked Poisson estimate on the data analysed,
    so they answer "what could this study detect" on real data too.  ``mde`` is the rate
    ratio detected with the design's power (80%).  The simulated row at rate ratio 1 is
    the rejection rate with no effect: above ``alpha`` when the estimator is biased in the
    generator (residual selection, ``docs/explanation/simulation.md``).
    """
    rows = []
    n_eng = int(stacked.loc[stacked["treated"] == 1, "matched_set"].nunique())
    for outcome in design.outcomes:
        try:
            se0 = _stacked_fit(stacked, outcome, design, "poisson").se
        except Exception:
            se0 = np.nan
        mde = minimum_detectable_effect(se0, design.alpha, design.power)
        for rr in rate_ratios:
            rows.append(
                {
                    "outcome": outcome,
                    "n_engagers": n_eng,
                    "rate_ratio": rr,
                    "power": analytic_power(rr, se0, design.alpha) if se0 == se0 else np.nan,
                    "method": "analytic, this data",
                    "mde": mde,
                }
            )
    ref = importlib.resources.files("socdata.soceis").joinpath("did_power_simulation.csv")
    if ref.is_file():
        with ref.open("r", encoding="utf-8") as fh:
            sim = pd.read_csv(fh)
        from socdata.did.power import PowerResult

        mde = PowerResult(provenance=None, table=sim).mde().set_index(["outcome", "n_engagers"])
        for r in sim.itertuples():  # rate ratio 1: the false-positive rate under no effect
            rows.append(
                {
                    "outcome": r.outcome,
                    "n_engagers": int(r.n_engagers),
                    "rate_ratio": r.rate_ratio,
                    "power": r.power,
                    "method": "simulated, calibrated generator",
                    "mde": mde.loc[(r.outcome, r.n_engagers), "mde_simulated"],
                }
            )
    return pd.DataFrame(rows)
