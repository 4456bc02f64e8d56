"""Results of :func:`socdata.did.att_gt`: the cells, their aggregations and the summary.

Private module; the classes are exported by :mod:`socdata.did.att_gt`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from socdata import distributions as _st
from socdata._lazy import lazy_module
from socdata.did import _att_gt_aggregate as _agg
from socdata.did._att_gt_prep import AttGtInputError, check_choice
from socdata.did._att_gt_stats import IFStats
from socdata.errors import EstimationError
from socdata.options import Renamed, check_conf_level, renamed_keywords
from socdata.results import Result, TestResult, order_tidy

sparse = lazy_module("scipy.sparse")

__all__ = ["AttGtAggregate", "AttGtResult"]

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


def _boot_inference(dev: np.ndarray, conf_level: float) -> tuple[np.ndarray, float]:
    """Bootstrap standard errors (IQR-based, as R did) and the sup-t critical value."""
    q75, q25 = np.quantile(dev, [0.75, 0.25], axis=0)
    se = (q75 - q25) / (_st.norm.ppf(0.75) - _st.norm.ppf(0.25))
    ok = np.isfinite(se) & (se > _SE_FLOOR)
    if not ok.any():
        return np.where(ok, se, np.nan), float("nan")
    tmax = np.max(np.abs(dev[:, ok]) / se[ok], axis=1)
    crit = float(np.quantile(tmax, conf_level, method="inverted_cdf"))
    return np.where(ok, se, np.nan), crit


def _inference_frame(est: np.ndarray, se: np.ndarray, crit: np.ndarray) -> dict[str, np.ndarray]:
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
        level = 100 * self.settings["conf_level"]
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
                "Caveat: not rejecting is not evidence of parallel trends (pre-trend tests "
                "have low power at these sizes, Roth 2022); see socdata.did.honest_sensitivity.",
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

    def pretrend_test(
        self, method: str = "auto", *, draws: int = 999, seed: int | None = 20240301
    ) -> TestResult:
        """Joint test that every pre-treatment ATT(g,t) is zero, valid at small n.

        Default: the sup-t statistic over the pre-treatment cells, calibrated by a
        parametric bootstrap of its small-sample distribution (cohort covariances estimated
        on ``n_h - 1`` degrees of freedom); event-time averages of the cells when there are
        more cells than the data can support; a stated reason when neither can be tested.
        ``method="chi2"`` gives R did's large-sample Wald ``W`` (oversized at small n).
        See :mod:`socdata.did._att_gt_pretrend`.
        """
        from socdata.did._att_gt_pretrend import pretrend

        return pretrend(self, method, draws=draws, seed=seed)

    def _aggregate_inference(
        self, spec: _agg.AggSpec, wts: np.ndarray, est: np.ndarray, conf_level: float
    ) -> tuple[dict, np.ndarray, float]:
        """Standard errors, intervals and interval types of an aggregation (analytic, or
        multiplier bootstrap with a sup-t band over ``spec.uniform_rows``)."""
        se = np.sqrt(np.maximum(self._stats.variance(wts, spec.extra), 0.0))
        se = np.where(se > _SE_FLOOR, se, np.nan)
        crit_rows = np.full(len(est), _st.norm.ppf((1 + conf_level) / 2))
        ci_type = np.full(len(est), "pointwise (analytic)", dtype=object)
        crit_value = float(crit_rows[0])
        if self.settings["inference"] == "bootstrap":
            dev = self._stats.boot_deviations(wts, spec.extra)
            bse, _ = _boot_inference(dev, conf_level)
            se = bse
            ci_type[:] = "pointwise (multiplier bootstrap)"
            rows = spec.uniform_rows
            if self.settings["cband"] and len(rows) > 0:
                _, crit = _boot_inference(dev[:, rows], conf_level)
                crit_rows[rows] = crit
                ci_type[rows] = "uniform (multiplier bootstrap, sup-t)"
                crit_value = crit
        out = _inference_frame(est, se, crit_rows)
        return out, ci_type, crit_value

    # ---------------------------------------------------------------- aggregation
    @renamed_keywords(alpha=Renamed("conf_level", lambda a: 1 - a))
    def aggregate(
        self,
        kind: str = "simple",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
        conf_level: float | None = None,
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
        conf_level
            Confidence level (default: the level given to :func:`att_gt`).  Old keyword
            ``alpha`` (``1 - conf_level``) is deprecated.

        Returns
        -------
        AttGtAggregate
            ``tidy()`` has a row ``term == "overall"`` and one row per group, event time
            or period.
        """
        kind = check_choice("kind", kind, _agg.AGG_TYPES)
        if balance_e is not None and kind != "dynamic":
            raise AttGtInputError("balance_e applies to the 'dynamic' aggregation only.")
        conf_level = (
            self.settings["conf_level"]
            if conf_level is None
            else check_conf_level(conf_level, function="aggregate", error=AttGtInputError)
        )
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
        out, ci_type, crit_value = self._aggregate_inference(spec, wts, est, conf_level)
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
            settings={**self.settings, "conf_level": conf_level},
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
    if s["inference"] == "bootstrap":
        band = "uniform (sup-t) bands" if s["cband"] else "pointwise intervals"
        lines.append(
            f"Inference: multiplier bootstrap ({s['bootstrap_weights'].capitalize()} weights, "
            f"{s['bootstrap_draws']} draws, {clus}, seed {s['seed']}), IQR-based standard "
            f"errors, {band} at {100 * s['conf_level']:.0f}%."
        )
    else:
        lines.append(
            f"Inference: analytic standard errors from influence functions ({clus}; "
            "SE = sqrt(sum of squared cluster sums of IF) / n, as R did), pointwise "
            f"{100 * s['conf_level']:.0f}% normal intervals."
        )
    weights = f"; unit weights: {s['weights']!r}" if s.get("weights") else ""
    lines.append(f"Units: {s['n_units']}; clusters: {s['n_clusters']}{weights}.")
    return lines


# ---------------------------------------------------------------------------- estimation
