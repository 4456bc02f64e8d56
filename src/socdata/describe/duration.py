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
from typing import ClassVar

import numpy as np
import pandas as pd

from socdata.derive.spells import EngagementSpells, full_months
from socdata.describe._spell_input import OVERALL, _fingerprint_input, _spells
from socdata.describe.kaplan_meier import KaplanMeierResult, kaplan_meier, km_median_duration
from socdata.errors import SocdataError
from socdata.provenance import Provenance
from socdata.results import Result, order_tidy

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

    table_id: ClassVar[str] = "duration_by_area"

    def _table_rows(self):
        """Rows Closed / Open / All, columns the groups, measures ``n``, ``mean``,
        ``median``, ``q1``, ``q3``, ``min``, ``max`` (months; denominator = n)."""
        for _, r in self.table.iterrows():
            for m in ("n", "mean", "median", "q1", "q3", "min", "max"):
                yield {
                    "row_label": f"{r['status']} spells",
                    "column_label": r["group"],
                    "measure": m,
                    "value": r[m],
                    "numerator": r["n"] if m == "n" else np.nan,
                    "denominator": r["n"],
                }


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
    table, allg = _early_table(f, first_months, service_start)
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


def _early_table(
    f: pd.DataFrame, first_months: int, service_start
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per area and Overall: n, min and max months of closed spells starting in the window."""
    starts = f.groupby("area")["start_date"].min()
    if service_start:
        for k, v in service_start.items():
            starts[k] = pd.Timestamp(v)

    def row(group, s0, w_end, g):
        return {
            "group": group,
            "service_start": s0,
            "window_end": w_end,
            "n": len(g),
            "min": g["months"].min() if len(g) else pd.NA,
            "max": g["months"].max() if len(g) else pd.NA,
        }

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
        rows.append(row(area, s0, w_end, g))
    allg = pd.concat(selected) if selected else f.iloc[0:0]
    rows.append(row(OVERALL, pd.NaT, pd.NaT, allg))
    table = pd.DataFrame(rows)
    for c in ("n", "min", "max"):
        table[c] = table[c].astype("Int64")
    return table, allg
