"""Group-time average treatment effects, ATT(g,t), for staggered adoption.

Implements Callaway and Sant'Anna (2021), "Difference-in-Differences with multiple time
periods", *Journal of Econometrics* 225(2), for balanced panel data, with the conventions of
R ``did::att_gt`` / ``did::aggte`` (version 2.x): cohorts ``g`` are the first treated
period, comparison units are the never treated (in SOCEIS: the matched comparators) or the
not yet treated, pre-treatment cells use a varying or universal base period, and standard
errors come from influence functions (analytic) or a multiplier bootstrap with simultaneous
(sup-t) confidence bands.  See ``docs/explanation/did-att-gt.md`` for the estimator, the
standard-error convention and what the result keeps.

Example
-------
>>> import socdata.did as did
>>> res = did.att_gt(panel, outcome="arrests", unit="person_id", time="month",
...                  cohort="cohort", control_group="never_treated")  # doctest: +SKIP
>>> res.aggregate("dynamic", min_e=-12, max_e=12).tidy()  # doctest: +SKIP
>>> res.pretrend_test()  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from socdata._lazy import lazy_module
from socdata.did import _att_gt_aggregate as _agg
from socdata.did._att_gt_drdid import ESTIMATORS
from socdata.did._att_gt_prep import (
    BALANCE_OPTIONS,
    BASE_PERIODS,
    BOOT_WEIGHTS,
    CONTROL_GROUPS,
    EST_METHODS,
    AttGtInputError,
    PanelArrays,
    build_panel,
    check_choice,
    fingerprint_async,
)
from socdata.did._att_gt_stats import IFStats, cohort_mode_stats, common_mode_stats
from socdata.errors import DataQualityWarning, EstimationError, SmallClusterWarning
from socdata.provenance import Provenance
from socdata.results import Result, TestResult, order_tidy

sparse = lazy_module("scipy.sparse")
_st = lazy_module("scipy.stats")

__all__ = ["AttGtAggregate", "AttGtResult", "att_gt"]

#: Standard errors at or below this are reported as missing (as R did: sqrt(eps) * 10).
_SE_FLOOR = np.sqrt(np.finfo(float).eps) * 10
#: Fewer clusters than this triggers a SmallClusterWarning.
_FEW_CLUSTERS = 30

_LABELS = {
    "never_treated": "Never treated",
    "not_yet_treated": "Not yet treated",
    "dr": "doubly robust (Sant'Anna and Zhao 2020, DRDID::drdid_panel)",
    "ipw": "inverse probability weighting (normalised, DRDID::std_ipw_did_panel)",
    "reg": "outcome regression (DRDID::reg_did_panel)",
    "dr_imp": "improved doubly robust (Sant'Anna and Zhao 2020, inverse probability tilting, "
    "DRDID::drdid_imp_panel)",
}


# ---------------------------------------------------------------------------- helpers
def _label(value: Any) -> Any:
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _fmt(value: Any) -> str:
    value = _label(value)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m") if value == value.normalize() else str(value)
    return str(value)


def _boot_inference(dev: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Bootstrap standard errors (IQR-based, as R did) and the sup-t critical value."""
    q75, q25 = np.quantile(dev, [0.75, 0.25], axis=0)
    se = (q75 - q25) / (_st.norm.ppf(0.75) - _st.norm.ppf(0.25))
    ok = np.isfinite(se) & (se > _SE_FLOOR)
    if not ok.any():
        return np.where(ok, se, np.nan), float("nan")
    tmax = np.max(np.abs(dev[:, ok]) / se[ok], axis=1)
    crit = float(np.quantile(tmax, 1 - alpha, method="inverted_cdf"))
    return np.where(ok, se, np.nan), crit


def _inference_frame(
    est: np.ndarray, se: np.ndarray, alpha: float, crit: np.ndarray
) -> dict[str, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    p = 2 * _st.norm.sf(np.abs(stat))
    return {
        "estimate": est,
        "std_error": se,
        "statistic": stat,
        "p_value": p,
        "conf_low": est - crit * se,
        "conf_high": est + crit * se,
    }


# ---------------------------------------------------------------------------- results
@dataclasses.dataclass(frozen=True, repr=False)
class AttGtAggregate(Result):
    """An aggregation of ATT(g,t): overall parameter plus one row per group/event time/period.

    Attributes
    ----------
    kind
        ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    table
        One row per parameter (first row ``overall``) with the standard tidy columns.
    ci_type_rows, crit_value
        Type and critical value of the intervals of the non-overall rows.
    settings
        The estimation settings of the parent :class:`AttGtResult`.
    """

    kind: str
    table: pd.DataFrame
    crit_value: float
    settings: dict[str, Any]

    def tidy(self) -> pd.DataFrame:
        """Overall row first, then one row per group, event time or calendar period."""
        return order_tidy(self.table)

    @property
    def overall(self) -> pd.Series:
        """The overall row."""
        return self.table.iloc[0]

    def plot(self, ax: Any = None, *, title: str | None = None) -> Any:
        """Plot the non-overall rows with their intervals (an event-study plot for dynamic).

        Parameters
        ----------
        ax
            A matplotlib Axes to draw on (default: a new figure).
        title
            Axes title (default: describes the aggregation and the interval type).

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        tab = self.table.iloc[1:]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        if self.kind == "dynamic":
            x = tab["event_time"].astype(float).to_numpy()
            pre = x < 0
            xlabel = "periods since first treatment (e = t - g)"
        else:
            x = np.arange(len(tab), dtype=float)
            pre = np.zeros(len(tab), dtype=bool)
            labels = [_fmt(v) for v in tab["group" if self.kind == "group" else "period"]]
            ax.set_xticks(x, labels, rotation=90 if len(x) > 12 else 0)
            xlabel = "cohort (first treated period)" if self.kind == "group" else "period"
        est = tab["estimate"].to_numpy(float)
        lo, hi = tab["conf_low"].to_numpy(float), tab["conf_high"].to_numpy(float)
        for mask, colour, label in (
            (pre, "tab:grey", "pre-treatment"),
            (~pre, "tab:blue", "from first treatment"),
        ):
            if mask.any():
                ax.errorbar(
                    x[mask],
                    est[mask],
                    yerr=[est[mask] - lo[mask], hi[mask] - est[mask]],
                    fmt="o",
                    color=colour,
                    capsize=2,
                    label=label,
                )
        ax.axhline(0.0, color="black", linewidth=0.8)
        if self.kind == "dynamic" and pre.any():
            ax.axvline(-0.5, color="black", linestyle=":", linewidth=0.8)
            ax.legend(loc="best")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("ATT")
        ci = str(tab["ci_type"].iloc[0]) if len(tab) else ""
        level = 100 * (1 - self.settings["alpha"])
        ax.set_title(title or f"ATT by {self.kind} aggregation, {level:.0f}% {ci} intervals")
        return ax

    def _summary_body(self) -> str:
        names = {
            "simple": "Overall ATT: cohort-size weighted average of post-treatment ATT(g,t)",
            "group": "ATT by group (cohort), and the cohort-size weighted average",
            "dynamic": "ATT by event time (periods since first treatment), and the average "
            "over event times >= 0",
            "calendar": "ATT by calendar period, and the average over periods",
        }
        cols = ["term", "estimate", "std_error", "conf_low", "conf_high", "ci_type", "n"]
        body = self.table[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return "\n".join([names[self.kind], "", body, "", *_settings_lines(self.settings)])


@dataclasses.dataclass(frozen=True, repr=False)
class AttGtResult(Result):
    """Group-time average treatment effects ATT(g,t) with influence-function inference.

    Attributes
    ----------
    cells
        One row per (group, period): ``group``, ``time``, ``base_time``, ``event_time``,
        ``estimate``, ``std_error``, ``post`` (t >= g), ``pre`` (t < g - anticipation),
        ``n_treated``, ``n_control``.
    settings
        Estimation settings (control group, method, base period, anticipation, inference).
    crit_value
        Critical value of the intervals in :meth:`tidy` (sup-t under the bootstrap with
        ``cband``, normal quantile otherwise).

    Notes
    -----
    The result keeps cohort-level sufficient statistics of the influence functions
    (counts, within-cohort scatter matrices of the outcomes, cluster and bootstrap sums), so
    that :meth:`aggregate` and :meth:`pretrend_test` give exact analytic standard errors
    without the data.  It never keeps person rows; see the explanation page.
    """

    cells: pd.DataFrame
    settings: dict[str, Any]
    crit_value: float
    _stats: IFStats = dataclasses.field(repr=False)
    _cohort_code_of_cell: np.ndarray = dataclasses.field(repr=False)
    _cell_gnum: np.ndarray = dataclasses.field(repr=False)
    _cell_tnum: np.ndarray = dataclasses.field(repr=False)
    _time_num: np.ndarray = dataclasses.field(repr=False)
    _time_labels: np.ndarray = dataclasses.field(repr=False)
    _cohort_labels: tuple = dataclasses.field(repr=False)

    # ---------------------------------------------------------------- tidy / summary
    def tidy(self) -> pd.DataFrame:
        """One row per ATT(g,t) cell; ``term`` is ``ATT(g,t)``."""
        return order_tidy(self.cells)

    def _summary_body(self) -> str:
        cols = ["group", "time", "estimate", "std_error", "conf_low", "conf_high"]
        tab = self.cells[cols].copy()
        tab["group"] = tab["group"].map(_fmt)
        tab["time"] = tab["time"].map(_fmt)
        body = tab.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        pt = self.pretrend_test()
        return "\n".join(
            [
                "Group-time average treatment effects, ATT(g,t) (Callaway and Sant'Anna 2021)",
                "",
                body,
                "",
                str(pt),
                *_settings_lines(self.settings),
            ]
        )

    # ---------------------------------------------------------------- inference objects
    @property
    def n_units(self) -> int:
        """Units in the estimation panel."""
        return int(self._stats.n)

    def vcov(self) -> np.ndarray:
        """Analytic covariance matrix of the ATT(g,t) cells (influence functions)."""
        return self._stats.covariance(sparse.identity(len(self.cells), format="csr"))

    def pretrend_test(self) -> TestResult:
        """Joint Wald test that every pre-treatment ATT(g,t) is zero.

        Uses the analytic influence-function covariance (clustered when a cluster variable
        was given), as R did's ``W`` statistic; cells with no variance (the universal base
        period) are left out.  Returns a :class:`~socdata.results.TestResult`.
        """
        null = (
            "every pre-treatment ATT(g,t) (t < g - anticipation) is zero: parallel trends "
            "before treatment"
        )
        name = "joint pre-trend Wald test"
        pre = self.cells["pre"].to_numpy() & np.isfinite(self.cells["std_error"].to_numpy())
        idx = np.flatnonzero(pre)
        if len(idx) == 0:
            return TestResult(name, null, reason="no pre-treatment cells with a variance")
        est = self.cells["estimate"].to_numpy()[idx]
        if not np.all(np.isfinite(est)):
            return TestResult(name, null, reason="some pre-treatment ATT(g,t) are missing")
        w = np.zeros((len(idx), len(self.cells)))
        w[np.arange(len(idx)), idx] = 1.0
        v = self._stats.covariance(w)
        if np.linalg.cond(v) > 1 / np.finfo(float).eps:
            return TestResult(
                name, null, reason="the covariance of the pre-treatment ATT(g,t) is singular"
            )
        stat = float(est @ np.linalg.solve(v, est))
        q = len(idx)
        return TestResult(
            name,
            null,
            statistic=stat,
            p_value=float(_st.chi2.sf(stat, q)),
            df=float(q),
            distribution=f"chi2({q})",
        )

    # ---------------------------------------------------------------- aggregation
    def aggregate(
        self,
        kind: str = "simple",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
        alpha: float | None = None,
    ) -> AttGtAggregate:
        """Aggregate the ATT(g,t) cells, as R ``did::aggte``.

        Parameters
        ----------
        kind
            ``"simple"`` (cohort-size weighted average of post-treatment cells),
            ``"group"`` (per cohort, then weighted), ``"dynamic"`` (per event time
            ``e = t - g``; overall = average over ``e >= 0``) or ``"calendar"`` (per period).
        min_e, max_e
            Event-time window of the dynamic aggregation (``max_e`` also caps the simple
            and group aggregations, as in did).
        balance_e
            Dynamic only: keep cohorts observed for at least ``balance_e`` periods after
            treatment, so that the event-time composition is fixed.
        alpha
            Significance level (default: the level given to :func:`att_gt`).

        Returns
        -------
        AttGtAggregate
            ``tidy()`` has a row ``term == "overall"`` and one row per group, event time
            or period.
        """
        kind = check_choice("kind", kind, _agg.AGG_TYPES)
        if balance_e is not None and kind != "dynamic":
            raise AttGtInputError("balance_e applies to the 'dynamic' aggregation only.")
        alpha = self.settings["alpha"] if alpha is None else float(alpha)
        if not 0 < alpha < 1:
            raise AttGtInputError(f"alpha={alpha!r}: use a number strictly between 0 and 1.")
        att = self.cells["estimate"].to_numpy(dtype=float)
        pg = self._stats.n_h[self._cohort_code_of_cell] / self._stats.n
        spec = _agg.build(
            kind,
            cell_cohort=self._cohort_code_of_cell,
            cell_gnum=self._cell_gnum,
            cell_tnum=self._cell_tnum,
            att=att,
            pg=pg,
            n_cohorts=len(self._stats.n_h),
            time_num=self._time_num,
            cohort_labels=list(self._cohort_labels),
            time_labels=self._time_labels,
            min_e=min_e,
            max_e=max_e,
            balance_e=balance_e,
        )
        if kind != "simple" and len(spec.labels) == 1:
            raise AttGtInputError(
                f"the {kind!r} aggregation has no rows with min_e={min_e}, max_e={max_e}, "
                f"balance_e={balance_e}; widen the event-time window."
            )
        used = np.any(spec.weights != 0, axis=0)
        if np.any(~np.isfinite(att[used])):
            bad = self.cells.loc[used & ~np.isfinite(att), "term"].tolist()
            raise EstimationError(
                f"cannot aggregate: {len(bad)} ATT(g,t) in the aggregation are missing "
                f"({', '.join(bad[:5])}); see the warnings of att_gt for why."
            )
        wts = np.where(np.isfinite(spec.weights), spec.weights, 0.0)
        est = wts @ np.where(np.isfinite(att), att, 0.0)
        est = np.where(np.all(np.isfinite(spec.weights), axis=1), est, np.nan)
        se = np.sqrt(np.maximum(self._stats.variance(wts, spec.extra), 0.0))
        se = np.where(se > _SE_FLOOR, se, np.nan)
        crit_rows = np.full(len(est), _st.norm.ppf(1 - alpha / 2))
        ci_type = np.full(len(est), "pointwise (analytic)", dtype=object)
        crit_value = float(crit_rows[0])
        if self.settings["bootstrap"]:
            dev = self._stats.boot_deviations(wts, spec.extra)
            bse, _ = _boot_inference(dev, alpha)
            se = bse
            ci_type[:] = "pointwise (multiplier bootstrap)"
            rows = spec.uniform_rows
            if self.settings["cband"] and len(rows) > 0:
                _, crit = _boot_inference(dev[:, rows], alpha)
                crit_rows[rows] = crit
                ci_type[rows] = "uniform (multiplier bootstrap, sup-t)"
                crit_value = crit
        out = _inference_frame(est, se, alpha, crit_rows)
        table = pd.DataFrame(
            {
                "term": [
                    lab if i == 0 else _term_label(kind, lab) for i, lab in enumerate(spec.labels)
                ],
                **out,
                "ci_type": ci_type,
                "n": self.n_units,
                "type": kind,
                "group": _object_column(kind == "group", spec.labels),
                "event_time": _object_column(kind == "dynamic", spec.labels),
                "period": _object_column(kind == "calendar", spec.labels),
            }
        )
        prov = self.provenance.with_notes(
            f"Aggregation {kind!r} of ATT(g,t) as R did::aggte; standard errors include the "
            "estimation effect of the cohort-share weights."
        )
        prov = dataclasses.replace(
            prov,
            function="socdata.did.att_gt(...).aggregate",
            parameters={
                **dict(self.provenance.parameters),
                "kind": kind,
                "min_e": min_e,
                "max_e": max_e,
                "balance_e": balance_e,
            },
        )
        return AttGtAggregate(
            provenance=prov,
            kind=kind,
            table=table,
            crit_value=crit_value,
            settings={**self.settings, "alpha": alpha},
        )


def _object_column(active: bool, labels: list) -> pd.Series:
    """Labels of the non-overall rows (None elsewhere), kept as Python values."""
    values = [_label(lab) if active and i else None for i, lab in enumerate(labels)]
    return pd.Series(values, dtype=object)


def _term_label(kind: str, lab: Any) -> str:
    if kind == "group":
        return f"group {_fmt(lab)}"
    if kind == "dynamic":
        return f"e={lab}"
    return f"period {_fmt(lab)}"


def _settings_lines(s: dict[str, Any]) -> list[str]:
    lines = [
        f"Control group: {_LABELS[s['control_group']]}; anticipation periods: "
        f"{s['anticipation']}; base period: {s['base_period']}.",
    ]
    if s["covariates"]:
        lines.append(
            f"Estimation method: {_LABELS[s['est_method']]}; covariates: "
            f"{', '.join(s['covariates'])}."
        )
    else:
        lines.append(
            "Estimation method: unconditional (no covariates): each ATT(g,t) is a difference of "
            "cohort mean changes (all estimation methods coincide)."
        )
    clus = f"clustered by {s['cluster']!r}" if s["cluster"] else "clustered by unit"
    if s["bootstrap"]:
        band = "uniform (sup-t) bands" if s["cband"] else "pointwise intervals"
        lines.append(
            f"Inference: multiplier bootstrap ({s['boot_weights'].capitalize()} weights, "
            f"{s['n_boot']} draws, {clus}, seed {s['seed']}), IQR-based standard errors, "
            f"{band} at {100 * (1 - s['alpha']):.0f}%."
        )
    else:
        lines.append(
            f"Inference: analytic standard errors from influence functions ({clus}; "
            "SE = sqrt(sum of squared cluster sums of IF) / n, as R did), pointwise "
            f"{100 * (1 - s['alpha']):.0f}% normal intervals."
        )
    weights = f"; unit weights: {s['weights']!r}" if s.get("weights") else ""
    lines.append(f"Units: {s['n_units']}; clusters: {s['n_clusters']}{weights}.")
    return lines


# ---------------------------------------------------------------------------- estimation
@dataclasses.dataclass
class _Cells:
    cohort: list[int]
    t: list[int]
    b: list[int]
    base: list[bool]
    controls: list[np.ndarray]


def _plan_cells(p: PanelArrays, control_group: str, base_period: str, anticipation: int) -> _Cells:
    tnum = p.time_num
    n_t = len(tnum)
    tfac = 1 if base_period == "varying" else 0
    cv = p.cohort_values
    cells = _Cells([], [], [], [], [])
    for code in range(1, len(cv)):
        g = cv[code]
        if p.control_only is not None and g >= p.control_only:
            continue
        pre_idx = np.flatnonzero(tnum + anticipation < g)
        if len(pre_idx) == 0:  # pragma: no cover - such units were dropped in build_panel
            continue
        pret_g = int(pre_idx[-1])
        for ti in range(n_t - tfac):
            cur = ti + tfac
            pret = pret_g if base_period == "universal" else ti
            if g - anticipation <= tnum[cur]:
                pret = pret_g
            is_base = base_period == "universal" and pret == cur
            if control_group == "never_treated":
                ctrl = np.array([0])
            else:
                thr = max(tnum[cur], tnum[pret]) + anticipation
                ctrl = np.flatnonzero((cv > thr) & (np.arange(len(cv)) != code))
            cells.cohort.append(code)
            cells.t.append(cur)
            cells.b.append(pret)
            cells.base.append(is_base)
            cells.controls.append(ctrl)
    return cells


def att_gt(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control_group: str = "never_treated",
    covariates: Sequence[str] | None = None,
    anticipation: int = 0,
    base_period: str = "varying",
    est_method: str = "dr",
    alpha: float = 0.05,
    bootstrap: bool = False,
    n_boot: int = 999,
    seed: int | None = None,
    boot_weights: str = "rademacher",
    cband: bool = True,
    cluster: str | None = None,
    balance: str = "require",
    weights: str | None = None,
) -> AttGtResult:
    """Group-time average treatment effects ATT(g,t) (Callaway and Sant'Anna 2021).

    Parameters
    ----------
    data
        Long panel: one row per unit and period (not modified).
    outcome, unit, time
        Column names.  ``time`` is numeric (years, month numbers) or datetime64 (month
        starts); with dates, ``anticipation`` and event times count periods.
    cohort
        Column with the unit's first treated period, on the scale of ``time``; ``0`` or
        missing means never treated (matched comparators).  Must be constant within unit.
    control_group
        ``"never_treated"`` or ``"not_yet_treated"`` (units not treated by the later of the
        current and base period, plus ``anticipation``, and the never treated).
    covariates
        Numeric columns for conditional parallel trends; values of the earlier of the two
        periods of each 2x2 comparison are used (as R did).  ``None``: unconditional.
    anticipation
        Number of periods before ``g`` in which units may already react.
    base_period
        ``"varying"`` (pre-treatment cells compare consecutive periods) or ``"universal"``
        (all cells compare to period ``g - anticipation - 1``).
    est_method
        With covariates: ``"dr"`` (doubly robust with a logit propensity score, R did's
        default), ``"dr_imp"`` (improved doubly robust: inverse probability tilting and
        odds-weighted outcome regression), ``"ipw"`` or ``"reg"``.  Without covariates all
        coincide with the difference of mean changes.
    alpha
        Significance level of the intervals.
    bootstrap
        Multiplier bootstrap (standard errors and, with ``cband``, simultaneous bands)
        instead of analytic intervals.
    n_boot, seed, boot_weights
        Bootstrap draws, seed, and ``"rademacher"`` (as R did) or ``"mammen"`` weights.
    cband
        Under the bootstrap, sup-t uniform bands over all cells (and over the rows of an
        aggregation).
    cluster
        Column with a cluster above the unit (e.g. area); constant within unit.  Analytic
        and bootstrap inference are then clustered.  Default: clusters are units.
    balance
        ``"require"`` (default): an unbalanced panel is an error naming how many units are
        incomplete; ``"drop_incomplete"``: those units are dropped, counted and warned
        (R did's default).
    weights
        Column of unit weights (e.g. matching weights of comparators), constant within
        unit, as did's ``weightsname``: weighted cohort means, weighted cohort shares in the
        aggregations, and influence functions as in did.  Not yet available together with
        ``covariates``.

    Returns
    -------
    AttGtResult
        ``tidy()`` with one row per cell; ``aggregate(...)``; ``pretrend_test()``.

    Raises
    ------
    AttGtInputError
        Bad columns or options (a :class:`~socdata.errors.SocdataError`).
    EstimationError
        Unbalanced panel under ``balance="require"``, no comparison group, too small a
        never-treated group.
    """
    _level = 2  # warnings point at the user's call
    control_group = check_choice("control_group", control_group, CONTROL_GROUPS)
    base_period = check_choice("base_period", base_period, BASE_PERIODS)
    est_method = check_choice("est_method", est_method, EST_METHODS)
    balance = check_choice("balance", balance, BALANCE_OPTIONS)
    boot_weights = check_choice("boot_weights", boot_weights, BOOT_WEIGHTS)
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates) if covariates else []
    if weights is not None and covariates:
        raise AttGtInputError(
            "weights together with covariates are not implemented yet; use weights without "
            "covariates (matched comparators are already balanced on the matching variables)."
        )
    if not (isinstance(anticipation, (int, np.integer)) and anticipation >= 0):
        raise AttGtInputError(f"anticipation={anticipation!r}: use a whole number >= 0.")
    if not (0 < float(alpha) < 1):
        raise AttGtInputError(f"alpha={alpha!r}: use a number strictly between 0 and 1.")
    if bootstrap and not (isinstance(n_boot, (int, np.integer)) and n_boot >= 99):
        raise AttGtInputError(f"n_boot={n_boot!r}: use a whole number of at least 99 draws.")

    params = {
        "outcome": outcome,
        "unit": unit,
        "time": time,
        "cohort": cohort,
        "control_group": control_group,
        "covariates": covariates or None,
        "anticipation": int(anticipation),
        "base_period": base_period,
        "est_method": est_method,
        "alpha": alpha,
        "bootstrap": bool(bootstrap),
        "n_boot": n_boot,
        "seed": seed,
        "boot_weights": boot_weights,
        "cband": cband,
        "cluster": cluster,
        "balance": balance,
        "weights": weights,
    }
    digest = fingerprint_async(
        data,
        [unit, time, cohort, outcome, *covariates, cluster, weights]
        if isinstance(data, pd.DataFrame)
        else [],
    )
    p = build_panel(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        covariates=covariates,
        cluster=cluster,
        anticipation=int(anticipation),
        control_group=control_group,
        balance=balance,
        stacklevel=_level + 1,
        weights=weights,
    )
    n, n_t = p.y.shape
    n_cohorts = len(p.cohort_values)
    n_h = np.bincount(p.cohort_code, minlength=n_cohorts)
    reqsize = len(covariates) + 5
    small = [p.cohort_labels[h] for h in range(1, n_cohorts) if 0 < n_h[h] < reqsize]
    if control_group == "never_treated" and n_h[0] < reqsize:
        raise EstimationError(
            f"the never-treated group has {n_h[0]} units, fewer than {reqsize} (covariates + "
            "5): too small to serve as a comparison group. Try control_group="
            "'not_yet_treated', or add matched comparators."
        )
    if small:
        warnings.warn(
            f"cohorts with fewer than {reqsize} units: {', '.join(map(_fmt, small))}; their "
            "ATT(g,t) are imprecise.",
            DataQualityWarning,
            stacklevel=_level,
        )
    if cluster and p.n_clusters < _FEW_CLUSTERS:
        warnings.warn(
            f"only {p.n_clusters} clusters in {cluster!r}: cluster-robust analytic and "
            "multiplier-bootstrap inference is unreliable with so few clusters.",
            SmallClusterWarning,
            stacklevel=_level,
        )

    cells = _plan_cells(p, control_group, base_period, int(anticipation))
    k = len(cells.t)
    if k == 0:
        raise EstimationError(
            "no ATT(g,t) can be estimated: no treated cohort has a "
            "pre-treatment period and a comparison group."
        )
    rng = np.random.default_rng(seed) if bootstrap else None
    nb = int(n_boot) if bootstrap else 0
    code = np.asarray(cells.cohort)
    ct, cb = np.asarray(cells.t), np.asarray(cells.b)
    n_treat = n_h[code].astype(float)
    n_ctrl = np.array([n_h[c].sum() for c in cells.controls], dtype=float)
    att = np.full(k, np.nan)

    if not covariates:
        stats, means = cohort_mode_stats(
            p.y,
            p.cohort_code,
            n_cohorts,
            pairs=(np.zeros(0, int), np.zeros(0, int), np.zeros(0), np.zeros(0)),
            cell_t=ct,
            cell_b=cb,
            cluster_code=p.cluster_code,
            n_clusters=p.n_clusters,
            n_boot=nb,
            boot_weights=boot_weights,
            rng=rng,
            weights=p.weights,
        )
        wsum = stats.n_h  # units per cohort, or summed weights
        w_treat = wsum[code]
        w_ctrl = np.array([wsum[c].sum() for c in cells.controls], dtype=float)
        dbar = means[:, ct] - means[:, cb]  # (H, K): mean change of each cohort per cell
        pk, ph, pa, pc = [], [], [], []
        for j in range(k):
            if cells.base[j]:
                att[j] = 0.0
                continue
            ctrl = cells.controls[j]
            if w_ctrl[j] == 0 or w_treat[j] == 0:
                warnings.warn(
                    f"no comparison units for ATT({_fmt(p.cohort_labels[code[j]])},"
                    f"{_fmt(p.time_labels[ct[j]])}); it is left missing.",
                    DataQualityWarning,
                    stacklevel=_level,
                )
                continue
            pooled = float(wsum[ctrl] @ dbar[ctrl, j]) / w_ctrl[j]
            att[j] = dbar[code[j], j] - pooled
            pk.append(np.full(1 + len(ctrl), j))
            ph.append(np.concatenate([[code[j]], ctrl]))
            a_c = -n / w_ctrl[j]
            pa.append(np.concatenate([[n / w_treat[j]], np.full(len(ctrl), a_c)]))
            pc.append(np.concatenate([[0.0], a_c * (dbar[ctrl, j] - pooled)]))
        pairs = tuple(np.concatenate(v) if v else np.zeros(0) for v in (pk, ph, pa, pc))
        pairs = (pairs[0].astype(int), pairs[1].astype(int), pairs[2], pairs[3])
        stats = dataclasses.replace(stats, pairs=pairs)
    else:
        z = np.zeros((n, k))
        est = ESTIMATORS[est_method]
        for j in range(k):
            if cells.base[j]:
                att[j] = 0.0
                continue
            in_g = p.cohort_code == code[j]
            sub = np.flatnonzero(in_g | np.isin(p.cohort_code, cells.controls[j]))
            d = in_g[sub].astype(float)
            early = min(ct[j], cb[j])
            x = np.column_stack([np.ones(len(sub)), p.x[sub, early, :]])
            try:
                a, inf = est(p.y[sub, ct[j]], p.y[sub, cb[j]], d, x)
            except EstimationError as exc:
                warnings.warn(
                    f"ATT({_fmt(p.cohort_labels[code[j]])},{_fmt(p.time_labels[ct[j]])}) "
                    f"could not be estimated and is left missing: {exc}",
                    DataQualityWarning,
                    stacklevel=_level,
                )
                continue
            att[j] = a
            z[sub, j] = inf * (n / len(sub))
        stats = common_mode_stats(
            z,
            p.cohort_code,
            n_cohorts,
            cluster_code=p.cluster_code,
            n_clusters=p.n_clusters,
            n_boot=nb,
            boot_weights=boot_weights,
            rng=rng,
        )
        del z

    eye = sparse.identity(k, format="csr")
    se = np.sqrt(np.maximum(stats.variance(eye), 0.0))
    se = np.where((se > _SE_FLOOR) & np.isfinite(att), se, np.nan)
    crit = np.full(k, _st.norm.ppf(1 - alpha / 2))
    ci_type = "pointwise (analytic)"
    if bootstrap:
        dev = stats.boot_deviations(eye)
        se, c = _boot_inference(dev, alpha)
        if cband:
            crit[:] = c
            ci_type = "uniform (multiplier bootstrap, sup-t)"
        else:
            ci_type = "pointwise (multiplier bootstrap)"
    inf = _inference_frame(att, se, alpha, crit)
    gnum = p.cohort_values[code]
    tnum = p.time_num[ct]
    cells_df = pd.DataFrame(
        {
            "term": [
                f"ATT({_fmt(p.cohort_labels[c])},{_fmt(p.time_labels[t])})"
                for c, t in zip(code, ct, strict=True)
            ],
            **inf,
            "ci_type": ci_type,
            "n": (n_treat + n_ctrl).astype(int),
            "group": [_label(p.cohort_labels[c]) for c in code],
            "time": [_label(p.time_labels[t]) for t in ct],
            "base_time": [_label(p.time_labels[b]) for b in cb],
            "event_time": tnum - gnum,
            "post": gnum <= tnum,
            "pre": tnum < gnum - anticipation,
            "n_treated": n_treat.astype(int),
            "n_control": n_ctrl.astype(int),
        }
    )
    settings = {
        "control_group": control_group,
        "est_method": est_method if covariates else "none",
        "covariates": covariates,
        "base_period": base_period,
        "anticipation": int(anticipation),
        "alpha": float(alpha),
        "bootstrap": bool(bootstrap),
        "n_boot": nb,
        "seed": seed,
        "boot_weights": boot_weights,
        "cband": bool(cband),
        "cluster": cluster,
        "n_units": n,
        "weights": weights,
        "n_clusters": p.n_clusters,
    }
    notes = [
        "ATT(g,t) as Callaway and Sant'Anna (2021) / R did::att_gt for balanced panels.",
        "Analytic SE = sqrt(sum over clusters of (sum of influence functions)^2) / n, with n "
        "the number of units: R did's convention (no small-sample correction).",
        *p.notes,
    ]
    prov = Provenance.build(
        "socdata.did.att_gt",
        parameters=params,
        n_in=p.n_rows_in,
        n_out=n * n_t,
        flow=p.flow,
        notes=notes,
    )
    prov = dataclasses.replace(prov, inputs={"data": digest.result()})
    return AttGtResult(
        provenance=prov,
        cells=cells_df,
        settings=settings,
        crit_value=float(crit[0]),
        _stats=stats,
        _cohort_code_of_cell=code,
        _cell_gnum=gnum,
        _cell_tnum=tnum,
        _time_num=p.time_num,
        _time_labels=p.time_labels,
        _cohort_labels=tuple(p.cohort_labels),
    )
