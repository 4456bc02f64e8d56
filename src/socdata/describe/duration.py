"""Engagement duration (report section 2.2.1 and 3.3).

* :func:`duration_distribution`: full months open to the service per area, for closed,
  open (censored at the extract date) and all spells;
* :func:`early_closed_range`: the range of durations of closed spells whose start fell in
  the first months of the area's service (the report's "2 to 30 months, n=45");
* :func:`km_median_duration`: a Kaplan-Meier median duration that treats open spells as
  censored rather than finished, with a Brookmeyer-Crowley confidence interval;
* :func:`kaplan_meier`: the product-limit estimator itself, a pure function of durations
  and event indicators.

Each re-referral is a separate spell of the same young person
(:func:`socdata.derive.spells.engagement_spells`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from socdata._lazy import lazy_module
from socdata.derive.spells import EngagementSpells, engagement_spells, full_months
from socdata.errors import SocdataError
from socdata.provenance import Provenance
from socdata.results import Result, order_tidy

stats = lazy_module("scipy.stats")

__all__ = [
    "DurationDistributionResult",
    "EarlyClosedRangeResult",
    "KaplanMeierResult",
    "duration_distribution",
    "early_closed_range",
    "full_months",
    "kaplan_meier",
    "km_median_duration",
]

OVERALL = "Overall"


def _spells(data: pd.DataFrame | EngagementSpells, **kw) -> EngagementSpells:
    if isinstance(data, EngagementSpells):
        return data
    if not isinstance(data, pd.DataFrame):
        raise SocdataError(
            f"expected a service extract (pandas DataFrame) or EngagementSpells, got "
            f"{type(data).__name__}; read the file with socdata.read_extract(path, 'service')"
        )
    return engagement_spells(data, **kw)


def _fingerprint_input(data: pd.DataFrame | EngagementSpells) -> dict[str, pd.DataFrame]:
    return {"service": data.frame if isinstance(data, EngagementSpells) else data}


# --------------------------------------------------------------------------- distribution


@dataclasses.dataclass(frozen=True)
class DurationDistributionResult(Result):
    """Distribution of full months open to the service, by group and case status.

    Attributes
    ----------
    table
        One row per group x status (``Closed``, ``Open``, ``All``): ``n``, ``mean``,
        ``median``, ``q1``, ``q3``, ``min``, ``max`` (months). Open durations are
        lower bounds (censored at the extract date).
    """

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)

    def tidy(self) -> pd.DataFrame:
        t = self.table
        out = pd.DataFrame(
            {
                "term": t["group"] + ": " + t["status"] + " spells, median months",
                "estimate": t["median"],
                "ci_type": "none",
                "n": t["n"],
            }
        )
        extra = t.drop(columns=[c for c in t.columns if c in out.columns]).reset_index(drop=True)
        return order_tidy(pd.concat([out, extra], axis=1))

    def to_table(self, table_id: str = "duration_by_area") -> pd.DataFrame:
        """Tidy report table: rows Closed / Open / All, columns the groups, measures
        ``n``, ``mean``, ``median``, ``q1``, ``q3``, ``min``, ``max`` (months; denominator = n)."""
        rows = []
        for _, r in self.table.iterrows():
            for m in ("n", "mean", "median", "q1", "q3", "min", "max"):
                v = r[m]
                rows.append(
                    {
                        "table_id": table_id,
                        "row_label": f"{r['status']} spells",
                        "column_label": r["group"],
                        "measure": m,
                        "value": float(v) if pd.notna(v) else np.nan,
                        "numerator": float(r["n"]) if m == "n" else np.nan,
                        "denominator": float(r["n"]),
                    }
                )
        return pd.DataFrame(rows)


def _fmt_m(x: float) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "not reached"
    return "inf" if np.isinf(x) else f"{x:g}"


def _describe_months(m: pd.Series) -> dict[str, float]:
    m = m.dropna().astype(float)
    if m.empty:
        return {
            "n": 0,
            "mean": np.nan,
            "median": np.nan,
            "q1": np.nan,
            "q3": np.nan,
            "min": np.nan,
            "max": np.nan,
        }
    return {
        "n": len(m),
        "mean": float(m.mean()),
        "median": float(m.median()),
        "q1": float(m.quantile(0.25)),
        "q3": float(m.quantile(0.75)),
        "min": float(m.min()),
        "max": float(m.max()),
    }


def duration_distribution(
    data: pd.DataFrame | EngagementSpells, *, by: str | None = "area", overall: bool = True
) -> DurationDistributionResult:
    """Full months open to the service, per group, for closed, open and all spells.

    Parameters
    ----------
    data
        Service extract, or spells from :func:`socdata.derive.spells.engagement_spells`.
    by
        Grouping column of the spells (``"area"``) or ``None`` for one group.
    overall
        Add an ``Overall`` group across all spells.

    Returns
    -------
    DurationDistributionResult
    """
    sp = _spells(data)
    f = sp.frame
    groups: list[tuple[str, pd.DataFrame]] = []
    if by is not None:
        if by not in f.columns:
            raise SocdataError(
                f"duration_distribution: by={by!r} is not a spell column; "
                f"use one of {list(f.columns)}"
            )
        groups += [(str(k), g) for k, g in f.groupby(by, sort=True)]
    if overall or by is None:
        groups.append((OVERALL, f))
    rows = []
    for name, g in groups:
        for status, sel in (
            ("Closed", ~g["censored"]),
            ("Open", g["censored"]),
            ("All", pd.Series(True, index=g.index)),
        ):
            rows.append({"group": name, "status": status, **_describe_months(g.loc[sel, "months"])})
    table = pd.DataFrame(rows)
    prov = Provenance.build(
        "socdata.describe.duration.duration_distribution",
        parameters={"by": by, "overall": overall},
        frames=_fingerprint_input(data),
        n_in=sp.flow.steps[0].n_in if sp.flow.steps else len(f),
        n_out=len(f),
        flow=sp.flow,
        notes=[
            "Months are full calendar months (socdata.derive.spells.full_months): closed "
            "spells from intervention start to end date, open spells from start to the "
            "area's extract date (open durations are censored lower bounds).",
            "Each re-referral is a separate spell of the same young person.",
        ],
    )
    return DurationDistributionResult(provenance=prov, table=table)


# --------------------------------------------------------------------------- early range


@dataclasses.dataclass(frozen=True)
class EarlyClosedRangeResult(Result):
    """Range of durations of closed spells that started early in each area's service.

    Attributes
    ----------
    table
        One row per area and ``Overall``: ``service_start``, ``window_end`` (exclusive),
        ``n`` closed spells starting in the window, ``min`` and ``max`` months.
    first_months
        Length of the window in calendar months.
    """

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    first_months: int = 6

    def tidy(self) -> pd.DataFrame:
        t = self.table
        out = pd.DataFrame(
            {
                "term": t["group"]
                + ": range of months, closed spells starting in the first "
                + str(self.first_months)
                + " months",
                "estimate": np.nan,
                "ci_type": "none",
                "n": t["n"],
            }
        )
        extra = t.drop(columns=[c for c in t.columns if c in out.columns]).reset_index(drop=True)
        return order_tidy(pd.concat([out, extra], axis=1))

    def _summary_body(self) -> str:
        t = self.table.copy()
        for c in ("service_start", "window_end"):
            t[c] = pd.to_datetime(t[c]).dt.strftime("%Y-%m-%d").fillna("")
        return (
            f"Closed spells starting in the first {self.first_months} months of each area's "
            f"service: {self.statement()}.\n" + t.to_string(index=False)
        )

    def statement(self) -> str:
        """The report-style sentence, e.g. ``"ranged from 2 to 30 months (n=45)"``."""
        r = self.table.loc[self.table["group"] == OVERALL].iloc[0]
        if r["n"] == 0:
            return "no closed spells started in the window (n=0)"
        return f"ranged from {int(r['min'])} to {int(r['max'])} months (n={int(r['n'])})"


def early_closed_range(
    data: pd.DataFrame | EngagementSpells,
    *,
    first_months: int = 6,
    service_start: Mapping[str, str | pd.Timestamp] | None = None,
    areas: Sequence[str] | None = None,
) -> EarlyClosedRangeResult:
    """Range of full months for closed spells starting in the first months of each area's service.

    Reproduces the report's "for all closed cases with a start date within the first six
    months of the intervention (n=45) ... duration of engagement ranged widely from 2 to
    30 months" (section 3.3; method in 2.2.1).

    Parameters
    ----------
    data
        Service extract or engagement spells.
    first_months
        Window length in calendar months (6 in the report).
    service_start
        Start of the service per area. Default: the earliest intervention start date among
        the area's spells in the extract. The window is
        ``[service_start, service_start (+) first_months months)``.
    areas
        Areas to include (default: every area with spells; the report used Cardiff,
        Edinburgh and Newcastle, the areas with service data).

    Returns
    -------
    EarlyClosedRangeResult
    """
    if not isinstance(first_months, (int, np.integer)) or first_months < 1:
        raise SocdataError(
            f"early_closed_range: first_months must be a positive integer, got {first_months!r}"
        )
    sp = _spells(data)
    f = sp.frame
    n_spells = len(f)
    if areas is not None:
        unknown = sorted(set(areas) - set(f["area"]))
        if unknown:
            raise SocdataError(
                f"early_closed_range: area(s) {unknown} have no spells; "
                f"areas with spells: {sorted(f['area'].unique())}"
            )
        f = f[f["area"].isin(list(areas))]
    starts = f.groupby("area")["start_date"].min()
    if service_start:
        for k, v in service_start.items():
            starts[k] = pd.Timestamp(v)
    rows, selected = [], []
    for area in sorted(f["area"].unique()):
        s0 = pd.Timestamp(starts[area])
        w_end = s0 + pd.DateOffset(months=first_months)
        g = f[
            (f["area"] == area)
            & ~f["censored"]
            & (f["start_date"] >= s0)
            & (f["start_date"] < w_end)
        ]
        selected.append(g)
        rows.append(
            {
                "group": area,
                "service_start": s0,
                "window_end": w_end,
                "n": len(g),
                "min": g["months"].min() if len(g) else pd.NA,
                "max": g["months"].max() if len(g) else pd.NA,
            }
        )
    allg = pd.concat(selected) if selected else f.iloc[0:0]
    rows.append(
        {
            "group": OVERALL,
            "service_start": pd.NaT,
            "window_end": pd.NaT,
            "n": len(allg),
            "min": allg["months"].min() if len(allg) else pd.NA,
            "max": allg["months"].max() if len(allg) else pd.NA,
        }
    )
    table = pd.DataFrame(rows)
    for c in ("n", "min", "max"):
        table[c] = table[c].astype("Int64")
    flow = sp.flow.add(
        "spells -> selected areas",
        n_spells,
        len(f),
        {"area not selected": n_spells - len(f)},
        unit="spells",
    )
    n_open = int(f["censored"].sum())
    n_late = len(f) - n_open - len(allg)
    flow = flow.add(
        "spells -> closed spells starting in the window",
        len(f),
        len(allg),
        {"open (censored)": n_open, f"started after the first {first_months} months": n_late},
        unit="spells",
    )
    prov = Provenance.build(
        "socdata.describe.duration.early_closed_range",
        parameters={
            "first_months": first_months,
            "service_start": dict(service_start or {}),
            "areas": areas,
        },
        frames=_fingerprint_input(data),
        n_in=n_spells,
        n_out=len(allg),
        flow=flow,
        notes=[
            "Service start per area: "
            + (
                "as given"
                if service_start
                else "earliest intervention start date in the area's extract"
            )
            + f"; window = [start, start + {first_months} calendar months).",
        ],
    )
    return EarlyClosedRangeResult(provenance=prov, table=table, first_months=int(first_months))


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
    level
        Confidence level.
    """

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    curves: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame, repr=False)
    level: float = 0.95

    def tidy(self) -> pd.DataFrame:
        t = self.table
        out = pd.DataFrame(
            {
                "term": t["group"] + ": Kaplan-Meier median months",
                "estimate": t["median"],
                "conf_low": t["conf_low"],
                "conf_high": t["conf_high"],
                "ci_type": f"Brookmeyer-Crowley (cloglog) {self.level:.0%}",
                "n": t["n"],
            }
        )
        return order_tidy(pd.concat([out, t[["group", "events", "censored"]]], axis=1))

    def _summary_body(self) -> str:
        t = self.table.copy()
        t["95% CI" if self.level == 0.95 else f"{self.level:.0%} CI"] = [
            f"[{_fmt_m(lo)}, {_fmt_m(hi)}]"
            for lo, hi in zip(t["conf_low"], t["conf_high"], strict=True)
        ]
        t["median"] = [_fmt_m(m) for m in t["median"]]
        return (
            "Kaplan-Meier median full months open to the service; open spells censored at "
            "the extract date; Brookmeyer-Crowley interval (cloglog).\n"
            + t.drop(columns=["conf_low", "conf_high"]).to_string(index=False)
        )

    def to_table(self, table_id: str = "duration_km_median") -> pd.DataFrame:
        """Tidy report table: per group the spells, closed (events), open (censored) and the
        median months with its interval (``conf_low``, ``conf_high``; denominator = spells)."""
        rows = []
        for _, r in self.table.iterrows():
            g, n = r["group"], float(r["n"])
            for label, k in (
                ("Spells", r["n"]),
                ("Closed (event)", r["events"]),
                ("Open (censored)", r["censored"]),
            ):
                rows.append(
                    {
                        "table_id": table_id,
                        "row_label": label,
                        "column_label": g,
                        "measure": "n",
                        "value": float(k),
                        "numerator": float(k),
                        "denominator": n,
                        "conf_low": np.nan,
                        "conf_high": np.nan,
                    }
                )
            rows.append(
                {
                    "table_id": table_id,
                    "row_label": "Kaplan-Meier median (months)",
                    "column_label": g,
                    "measure": "median",
                    "value": r["median"],
                    "numerator": np.nan,
                    "denominator": n,
                    "conf_low": r["conf_low"],
                    "conf_high": r["conf_high"],
                }
            )
        return pd.DataFrame(rows)


def km_median_duration(
    data: pd.DataFrame | EngagementSpells,
    *,
    by: str | None = "area",
    overall: bool = True,
    level: float = 0.95,
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
    level
        Confidence level of the median's interval.

    Returns
    -------
    KaplanMeierResult

    Notes
    -----
    The median is the smallest month ``t`` with ``S(t) <= 0.5``. Its interval inverts a
    test of ``S(t) = 0.5`` on the complementary log-log scale with Greenwood's variance
    (Brookmeyer & Crowley 1982), as statsmodels ``SurvfuncRight.quantile_ci``.
    """
    if not 0 < level < 1:
        raise SocdataError(f"km_median_duration: level must be in (0, 1), got {level!r}")
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
        parameters={"by": by, "overall": overall, "level": level},
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
        provenance=prov, table=pd.DataFrame(rows), curves=curves_df, level=level
    )
