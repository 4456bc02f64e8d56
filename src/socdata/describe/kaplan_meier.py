"""Kaplan-Meier duration of engagement: open spells are censored, not finished.

* :func:`kaplan_meier`: the product-limit estimator, a pure function of durations and event
  indicators (Greenwood variance);
* :func:`km_median_duration`: the median full months open to the service by area, with a
  Brookmeyer-Crowley confidence interval (:class:`KaplanMeierResult`).

Re-exported by :mod:`socdata.describe.duration`.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd

from socdata import distributions as stats
from socdata.derive.spells import EngagementSpells
from socdata.describe._spell_input import OVERALL, _fingerprint_input, _fmt_m, _spells
from socdata.errors import SocdataDeprecationWarning, SocdataError
from socdata.options import check_conf_level, renamed_keywords
from socdata.provenance import Provenance
from socdata.results import Result, order_tidy

__all__ = ["KaplanMeierResult", "kaplan_meier", "km_median_duration"]


# --------------------------------------------------------------------------- Kaplan-Meier


def kaplan_meier(
    durations: Sequence[float] | np.ndarray | pd.Series,
    events: Sequence[bool] | np.ndarray | pd.Series,
) -> pd.DataFrame:
    """Kaplan-Meier product-limit estimate of the survival function.

    Parameters
    ----------
    durations
        Time to event or censoring (months).
    events
        ``True`` when the spell ended (closed), ``False`` when censored (open).

    Returns
    -------
    pandas.DataFrame
        One row per distinct time (events or censorings): ``time``, ``at_risk``,
        ``events``, ``censored``, ``survival`` (S(t) just after ``time``) and ``std_error``
        (Greenwood's formula, on the survival scale).
    """
    t = np.asarray(durations, dtype=float)
    d = np.asarray(events, dtype=bool)
    if t.shape != d.shape:
        raise SocdataError("kaplan_meier: durations and events differ in length")
    if np.isnan(t).any() or (t < 0).any():
        raise SocdataError("kaplan_meier: durations must be non-negative numbers, no NA")
    times = np.unique(t)
    n_risk = np.array([(t >= u).sum() for u in times])
    n_event = np.array([((t == u) & d).sum() for u in times])
    n_cens = np.array([((t == u) & ~d).sum() for u in times])
    factor = 1.0 - n_event / n_risk
    surv = np.cumprod(factor)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        var_sum = np.cumsum(term)
        se = np.where(surv > 0, surv * np.sqrt(var_sum), np.nan)
    return pd.DataFrame(
        {
            "time": times,
            "at_risk": n_risk,
            "events": n_event,
            "censored": n_cens,
            "survival": surv,
            "std_error": se,
        }
    )


def _km_median(km: pd.DataFrame, level: float) -> tuple[float, float, float]:
    """Median and Brookmeyer-Crowley interval (complementary log-log transform)."""
    ev = km[km["events"] > 0]
    if ev.empty:
        return np.nan, np.nan, np.nan
    s = ev["survival"].to_numpy()
    times = ev["time"].to_numpy()
    below = np.flatnonzero(s <= 0.5 + 1e-12)
    median = float(times[below[0]]) if below.size else np.nan
    z = stats.norm.ppf(1 - (1 - level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.log(-np.log(s))
        g0 = np.log(-np.log(0.5))
        gprime = -1.0 / (s * np.log(s))
        r = (g - g0) / (gprime * ev["std_error"].to_numpy())
    inside = np.flatnonzero(np.abs(r) <= z)
    if inside.size == 0:
        return median, np.nan, np.nan
    lo = float(times[inside[0]])
    hi = np.inf if inside[-1] == len(times) - 1 else float(times[inside[-1] + 1])
    return median, lo, hi


@dataclasses.dataclass(frozen=True)
class KaplanMeierResult(Result):
    """Kaplan-Meier median duration per group, open spells censored.

    Attributes
    ----------
    table
        One row per group: ``n`` spells, ``events`` (closed), ``censored`` (open),
        ``median`` months (NaN when the survival curve never falls to 0.5, i.e. the median
        is not reached), ``conf_low``, ``conf_high`` (``inf`` = not bounded above).
    curves
        Survival table per group (aggregate counts by month; no person rows).
    conf_level
        Confidence level (old attribute ``level``, deprecated).
    """

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    curves: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame, repr=False)
    conf_level: float = 0.95

    @property
    def level(self) -> float:
        """Deprecated name of :attr:`conf_level` (removed in the next release)."""
        warnings.warn(
            "KaplanMeierResult.level is deprecated and will be removed in the next release; "
            "use conf_level",
            SocdataDeprecationWarning,
            stacklevel=2,
        )
        return self.conf_level

    def tidy(self) -> pd.DataFrame:
        t = self.table
        out = pd.DataFrame(
            {
                "term": t["group"] + ": Kaplan-Meier median months",
                "estimate": t["median"],
                "conf_low": t["conf_low"],
                "conf_high": t["conf_high"],
                "ci_type": f"Brookmeyer-Crowley (cloglog) {self.conf_level:.0%}",
                "n": t["n"],
            }
        )
        return order_tidy(pd.concat([out, t[["group", "events", "censored"]]], axis=1))

    def _summary_body(self) -> str:
        t = self.table.copy()
        t["95% CI" if self.conf_level == 0.95 else f"{self.conf_level:.0%} CI"] = [
            f"[{_fmt_m(lo)}, {_fmt_m(hi)}]"
            for lo, hi in zip(t["conf_low"], t["conf_high"], strict=True)
        ]
        t["median"] = [_fmt_m(m) for m in t["median"]]
        return (
            "Kaplan-Meier median full months open to the service; open spells censored at "
            "the extract date; Brookmeyer-Crowley interval (cloglog).\n"
            + t.drop(columns=["conf_low", "conf_high"]).to_string(index=False)
        )

    table_id: ClassVar[str] = "duration_km_median"

    def _table_rows(self):
        """Per group the spells, closed (events), open (censored) and the median months with
        its interval (``conf_low``, ``conf_high``; denominator = spells)."""
        for _, r in self.table.iterrows():
            g, n = r["group"], float(r["n"])
            for label, k in (
                ("Spells", r["n"]),
                ("Closed (event)", r["events"]),
                ("Open (censored)", r["censored"]),
            ):
                yield {
                    "row_label": label,
                    "column_label": g,
                    "measure": "n",
                    "value": k,
                    "numerator": k,
                    "denominator": n,
                }
            yield {
                "row_label": "Kaplan-Meier median (months)",
                "column_label": g,
                "measure": "median",
                "value": r["median"],
                "denominator": n,
                "conf_low": r["conf_low"],
                "conf_high": r["conf_high"],
            }


@renamed_keywords(level="conf_level")
def km_median_duration(
    data: pd.DataFrame | EngagementSpells,
    *,
    by: str | None = "area",
    overall: bool = True,
    conf_level: float = 0.95,
) -> KaplanMeierResult:
    """Kaplan-Meier median months open to the service, treating open spells as censored.

    A naive median of all durations treats open spells as if they had ended at the
    extract date and so understates how long engagement lasts; the Kaplan-Meier estimate
    uses an open spell only for the months it was observed.

    Parameters
    ----------
    data
        Service extract or engagement spells.
    by
        Grouping column (``"area"``) or ``None``.
    overall
        Add an ``Overall`` group.
    conf_level
        Confidence level of the median's interval (old keyword ``level``, deprecated).

    Returns
    -------
    KaplanMeierResult

    Notes
    -----
    The median is the smallest month ``t`` with ``S(t) <= 0.5``. Its interval inverts a
    test of ``S(t) = 0.5`` on the complementary log-log scale with Greenwood's variance
    (Brookmeyer & Crowley 1982), as statsmodels ``SurvfuncRight.quantile_ci``.
    """
    level = check_conf_level(conf_level, function="km_median_duration")
    sp = _spells(data)
    f = sp.frame
    groups: list[tuple[str, pd.DataFrame]] = []
    if by is not None:
        if by not in f.columns:
            raise SocdataError(
                f"km_median_duration: by={by!r} is not a spell column; use one of {list(f.columns)}"
            )
        groups += [(str(k), g) for k, g in f.groupby(by, sort=True)]
    if overall or by is None:
        groups.append((OVERALL, f))
    rows, curves = [], []
    for name, g in groups:
        km = kaplan_meier(g["months"].astype(float), ~g["censored"].to_numpy())
        med, lo, hi = _km_median(km, level)
        rows.append(
            {
                "group": name,
                "n": len(g),
                "events": int((~g["censored"]).sum()),
                "censored": int(g["censored"].sum()),
                "median": med,
                "conf_low": lo,
                "conf_high": hi,
            }
        )
        curves.append(km.assign(group=name))
    prov = Provenance.build(
        "socdata.describe.duration.km_median_duration",
        parameters={"by": by, "overall": overall, "conf_level": level},
        frames=_fingerprint_input(data),
        n_in=sp.flow.steps[0].n_in if sp.flow.steps else len(f),
        n_out=len(f),
        flow=sp.flow,
        notes=[
            "Open spells are censored at the area's extract date.",
            "Median = smallest month with S(t) <= 0.5; NaN when not reached.",
        ],
    )
    curves_df = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    return KaplanMeierResult(
        provenance=prov, table=pd.DataFrame(rows), curves=curves_df, conf_level=level
    )
