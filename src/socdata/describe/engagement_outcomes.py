"""Police outcomes of linked records: engaged vs declined vs comparators, and dose-response.

The June 2023 report (sections 3-5) and the March 2024 summary ("Outcomes") ask how police
outcomes differ between young people who engaged with SOCEIS, those who declined and a
comparison group, and whether longer engagement goes with larger changes. Both need the
service record and the police record of the same child: the pairs of
:func:`socdata.linkage.link_records`.

Definitions (June 2023 report, sections 3.2 and 5.1): **engaged** = closed for a reason other
than "Declined support"; **declined** = closed with "Declined support"; **open** = still open
at the service extract; **comparators** = police records that link to no service record. The
index date is the referral date; a comparator's is the median referral date of the linked
referred children of its area (they were not referred). Arrests are counted in the
``window_months`` before the index date and the ``window_months`` after it, cut at the
force's follow-up end; rates are per person-year observed.

**A difference between groups is not the service's effect.** Those who declined differ from
those who engaged; comparators were not matched. These are the descriptive contrasts the
documents call for; see the matching and DiD notebooks for effects.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np
import pandas as pd

from socdata.dates import DAYS_PER_YEAR
from socdata.derive.spells import full_months
from socdata.errors import SocdataError
from socdata.linkage import Linkage
from socdata.provenance import FlowLog, Provenance
from socdata.results import Result, order_tidy
from socdata.rounding import round_half_up

__all__ = [
    "DOSE_BANDS",
    "GROUPS",
    "DoseResponse",
    "EngagementOutcomes",
    "dose_response",
    "engagement_group",
    "police_outcomes_by_engagement",
]

#: Groups, in the order tables show them.
GROUPS: tuple[str, ...] = ("Engaged", "Declined", "Open", "Comparators")
#: Bands of engagement duration in full months (lower bounds inclusive).
DOSE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-2 months", 0, 2),
    ("3-5 months", 3, 5),
    ("6-11 months", 6, 11),
    ("12+ months", 12, 10**6),
)
_Z = 1.959963984540054


def engagement_group(service: pd.DataFrame) -> pd.Series:
    """Engaged / Declined / Open / Not started of each service row (see the module notes)."""
    closed = service["case_status"] == "Closed"
    declined = closed & (service["closure_reason"] == "Declined support")
    out = np.select(
        [declined, closed, service["case_status"] == "Open"],
        ["Declined", "Engaged", "Open"],
        default="Not started",
    )
    return pd.Series(out, index=service.index, name="group")


def _people(service: pd.DataFrame, linkage: Linkage) -> tuple[pd.DataFrame, FlowLog]:
    for col in ("person_id", "referral_date", "case_status", "closure_reason", "area"):
        if col not in service:
            raise SocdataError(f"the service extract needs column {col!r}")
    first = service.sort_values(["person_id", "referral_date"]).drop_duplicates("person_id")
    first = first.assign(group=engagement_group(first))
    pairs = linkage.pairs.merge(first, left_on="service_id", right_on="person_id", how="inner")
    flow = FlowLog()
    n_pairs = len(linkage.pairs)
    flow = flow.add(
        "linked pairs with a service record",
        n_pairs,
        len(pairs),
        excluded={"service record not in this extract": n_pairs - len(pairs)},
        unit="pairs",
    )
    pairs = pairs[pairs["group"] != "Not started"]
    engagers = pd.DataFrame(
        {
            "police_id": pairs["police_id"],
            "service_id": pairs["service_id"],
            "group": pairs["group"],
            "area": pairs["area"],
            "index_date": pd.to_datetime(pairs["referral_date"]),
            "start": pd.to_datetime(pairs.get("intervention_start_date")),
            "end": pd.to_datetime(pairs.get("intervention_end_date")),
        }
    )
    rec = linkage.records
    comp = rec[(rec["source"] == "Police") & ~rec["status"].str.startswith("linked")]
    median = engagers.groupby("area")["index_date"].median()
    comp = comp[comp["area"].isin(median.index)]
    comparators = pd.DataFrame(
        {
            "police_id": comp["record_id"].to_numpy(),
            "service_id": None,
            "group": "Comparators",
            "area": comp["area"].to_numpy(),
            "index_date": comp["area"].map(median).to_numpy(),
        }
    )
    return pd.concat([engagers, comparators], ignore_index=True), flow


def _windows(people: pd.DataFrame, arrests: pd.DataFrame, months: int) -> pd.DataFrame:
    a = arrests[["person_id", "arrest_date", "extract_date"]].copy()
    end = a.groupby("person_id")["extract_date"].max()
    follow = pd.to_datetime(arrests["extract_date"]).max()
    df = people.copy()
    df["follow_end"] = pd.to_datetime(df["police_id"].map(end)).fillna(follow)
    off = pd.DateOffset(months=months)
    df["lo"] = df["index_date"] - off
    df["hi"] = np.minimum(df["index_date"] + off, df["follow_end"])
    m = a.merge(
        df[["police_id", "lo", "index_date", "hi"]], left_on="person_id", right_on="police_id"
    )
    before = m[(m["arrest_date"] >= m["lo"]) & (m["arrest_date"] < m["index_date"])]
    after = m[(m["arrest_date"] >= m["index_date"]) & (m["arrest_date"] < m["hi"])]
    df["arrests_before"] = df["police_id"].map(before.groupby("police_id").size()).fillna(0)
    df["arrests_after"] = df["police_id"].map(after.groupby("police_id").size()).fillna(0)
    df["py_before"] = (df["index_date"] - df["lo"]).dt.days / DAYS_PER_YEAR  # person-years
    df["py_after"] = ((df["hi"] - df["index_date"]).dt.days / DAYS_PER_YEAR).clip(lower=0)
    df["full_after"] = df["index_date"] + off <= df["follow_end"]
    return df


def _rate_rows(df: pd.DataFrame, label_col: str, labels) -> pd.DataFrame:
    rows = []
    for g in labels:
        sub = df[df[label_col] == g]
        ab, aa = int(sub["arrests_before"].sum()), int(sub["arrests_after"].sum())
        pb, pa = float(sub["py_before"].sum()), float(sub["py_after"].sum())
        full = sub[sub["full_after"]]
        rr = (aa / pa) / (ab / pb) if ab and aa and pa and pb else float("nan")
        se = math.sqrt(1 / ab + 1 / aa) if ab and aa else float("nan")
        rows.append(
            {
                label_col: g,
                "n": len(sub),
                "arrests_before": ab,
                "person_years_before": pb,
                "rate_before": ab / pb if pb else float("nan"),
                "arrests_after": aa,
                "person_years_after": pa,
                "rate_after": aa / pa if pa else float("nan"),
                "rate_ratio": rr,
                "conf_low": rr * math.exp(-_Z * se),
                "conf_high": rr * math.exp(_Z * se),
                "n_full_follow_up": len(full),
                "any_arrest_after": int((full["arrests_after"] > 0).sum()),
            }
        )
    return pd.DataFrame(rows)


def _tidy(table: pd.DataFrame, key: str) -> pd.DataFrame:
    return order_tidy(
        pd.DataFrame(
            {
                "term": table[key],
                "estimate": table["rate_ratio"],
                "conf_low": table["conf_low"],
                "conf_high": table["conf_high"],
                "ci_type": "Wald on log rate ratio",
                "n": table["n"],
            }
        )
    )


def _rate_table_rows(table: pd.DataFrame, key: str):
    for r in table.to_dict("records"):
        g, n, full = r[key], r["n"], r["n_full_follow_up"]
        yield from (
            {"row_label": g, "column_label": "People", "measure": "n", "value": n},
            {
                "row_label": g,
                "column_label": "Arrests before",
                "measure": "n",
                "value": r["arrests_before"],
            },
            {
                "row_label": g,
                "column_label": "Arrests after",
                "measure": "n",
                "value": r["arrests_after"],
            },
            {
                "row_label": g,
                "column_label": "Arrests per person-year before",
                "measure": "mean",
                "value": round_half_up(r["rate_before"], 2),
                "denominator": n,
            },
            {
                "row_label": g,
                "column_label": "Arrests per person-year after",
                "measure": "mean",
                "value": round_half_up(r["rate_after"], 2),
                "denominator": n,
            },
            {
                "row_label": g,
                "column_label": "Rate ratio (after / before)",
                "measure": "mean",
                "value": round_half_up(r["rate_ratio"], 2),
                "denominator": n,
                "conf_low": round_half_up(r["conf_low"], 2),
                "conf_high": round_half_up(r["conf_high"], 2),
            },
            {
                "row_label": g,
                "column_label": "Any arrest in the 12 months after",
                "measure": "pct",
                "value": round_half_up(100 * r["any_arrest_after"] / full) if full else None,
                "numerator": r["any_arrest_after"],
                "denominator": full,
            },
        )


@dataclasses.dataclass(frozen=True, repr=False)
class EngagementOutcomes(Result):
    """Arrest rates before and after the index date by group, and outcomes of arrests after.

    ``table``: one row per group (``group, n, arrests_before, person_years_before,
    rate_before, arrests_after, person_years_after, rate_after, rate_ratio, conf_low,
    conf_high, n_full_follow_up, any_arrest_after``). ``outcomes``: ``group, outcome,
    arrests, pct`` of arrests after the index date, plus ``Safeguarding referral``.
    """

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    outcomes: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    table_id: ClassVar[str] = "linked_police_by_engagement"

    def tidy(self) -> pd.DataFrame:
        """Rate ratio (after / before) per group with a Wald interval on the log scale."""
        return _tidy(self.table, "group")

    def _table_rows(self):
        yield from _rate_table_rows(self.table, "group")
        for r in self.outcomes.itertuples(index=False):
            yield {
                "row_label": r.group,
                "column_label": f"Arrests after: {r.outcome}",
                "measure": "pct",
                "value": r.pct,
                "numerator": r.arrests,
                "denominator": r.base,
            }


def police_outcomes_by_engagement(
    service: pd.DataFrame, arrests: pd.DataFrame, linkage: Linkage, *, window_months: int = 12
) -> EngagementOutcomes:
    """Arrests before and after the index date: engaged vs declined vs open vs comparators.

    Parameters
    ----------
    service
        Validated ``service`` extract (the first referral of each person is used).
    arrests
        Validated ``arrest_outcomes`` extract (police person ids).
    linkage
        :func:`socdata.linkage.link_records` result linking the two.
    window_months
        Length of the windows before and after the index date.
    """
    people, flow = _people(service, linkage)
    df = _windows(people, arrests, window_months)
    table = _rate_rows(df, "group", [g for g in GROUPS if (df["group"] == g).any()])
    a = arrests.merge(
        df[["police_id", "group", "index_date", "hi"]], left_on="person_id", right_on="police_id"
    )
    a = a[(a["arrest_date"] >= a["index_date"]) & (a["arrest_date"] < a["hi"])]
    rows = []
    for g, sub in a.groupby("group", sort=False):
        base = len(sub)
        for outcome, k in sub["outcome"].value_counts().sort_index().items():
            rows.append((g, outcome, int(k), base))
        k = int((sub["safeguarding_referral"] == "Yes").sum())
        rows.append((g, "Safeguarding referral", k, base))
    outcomes = pd.DataFrame(rows, columns=["group", "outcome", "arrests", "base"])
    outcomes["pct"] = [
        round_half_up(100 * k / b)
        for k, b in zip(outcomes["arrests"], outcomes["base"], strict=True)
    ]
    prov = Provenance.build(
        "socdata.describe.engagement_outcomes.police_outcomes_by_engagement",
        parameters={"window_months": window_months},
        frames={"service": service, "arrests": arrests, "pairs": linkage.pairs},
        n_in=len(people),
        n_out=len(df),
        flow=flow,
        notes=[
            "Engaged = closed for a reason other than 'Declined support' (June 2023, 3.2).",
            "Comparators' index date: median referral date of the linked children of their area.",
            "Fallback links can be false matches (see the linkage report).",
        ],
    )
    return EngagementOutcomes(provenance=prov, table=table, outcomes=outcomes)


@dataclasses.dataclass(frozen=True, repr=False)
class DoseResponse(Result):
    """Arrest rates before and after referral of engaged children by engagement duration band."""

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    table_id: ClassVar[str] = "linked_dose_response"

    def tidy(self) -> pd.DataFrame:
        """Rate ratio (after / before) per duration band."""
        return _tidy(self.table, "band")

    def _table_rows(self):
        yield from _rate_table_rows(self.table, "band")


def dose_response(
    service: pd.DataFrame, arrests: pd.DataFrame, linkage: Linkage, *, window_months: int = 12
) -> DoseResponse:
    """Rate ratio of arrests (after / before referral) by full months of engagement.

    Engaged children only (closed, not declined); duration is
    :func:`socdata.derive.spells.full_months` from the intervention start to its end, in
    the bands of :data:`DOSE_BANDS`. Children without both dates are left out (flow log).
    """
    people, flow = _people(service, linkage)
    eng = people[people["group"] == "Engaged"].copy()
    has = eng["start"].notna() & eng["end"].notna()
    flow = flow.add(
        "engaged with start and end dates",
        len(eng),
        int(has.sum()),
        excluded={"no intervention start or end date": int((~has).sum())},
        unit="people",
    )
    eng = eng[has].copy()
    months = full_months(eng["start"], eng["end"])
    eng["band"] = None
    for label, lo, hi in DOSE_BANDS:
        eng.loc[(months >= lo) & (months <= hi), "band"] = label
    df = _windows(eng, arrests, window_months)
    table = _rate_rows(df, "band", [b for b, _, _ in DOSE_BANDS if (df["band"] == b).any()])
    prov = Provenance.build(
        "socdata.describe.engagement_outcomes.dose_response",
        parameters={"window_months": window_months},
        frames={"service": service, "arrests": arrests, "pairs": linkage.pairs},
        n_in=len(people),
        n_out=len(df),
        flow=flow,
        notes=[
            "Duration in full months (June 2023 report, section 2.2).",
            "Longer engagement is not randomised: a gradient is descriptive.",
        ],
    )
    return DoseResponse(provenance=prov, table=table)
