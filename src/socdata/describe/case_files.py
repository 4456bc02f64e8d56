"""Case-file analyses: the Flintshire profile, Cardiff missing incidents before/after referral,
missing-episode duration and return-home interviews, and change in repeated Star readings.

Each regenerates from records a figure that the Action for Children submission (2024) prints
only as a result, and compares it with the printed figure (``printed`` column, as printed).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pandas as pd

from socdata import distributions as stats
from socdata.errors import SocdataError
from socdata.minimum_dataset import PROFILE_ITEMS
from socdata.options import check_conf_level
from socdata.paths import published_dir
from socdata.provenance import Provenance
from socdata.results import Result, order_tidy, table_frame
from socdata.rounding import round_half_up

__all__ = [
    "AssessmentChange",
    "CaseFileTable",
    "assessment_change",
    "cardiff_missing_before_after",
    "flintshire_profile",
    "missing_episode_duration",
]


def _need(frame: pd.DataFrame, cols: tuple[str, ...], what: str) -> None:
    missing = [c for c in cols if c not in frame]
    if missing:
        raise SocdataError(f"the {what} extract needs columns: {', '.join(missing)}")


def _printed(table_id: str) -> pd.DataFrame:
    pub = pd.read_csv(published_dir() / "aff_submission_2024.csv", dtype=str)
    return pub[pub["table_id"] == table_id]


@dataclasses.dataclass(frozen=True, repr=False)
class CaseFileTable(Result):
    """A regenerated table in report format (``row_label, column_label, measure, value,
    numerator, denominator, printed``); ``tidy()`` gives its percentages and counts."""

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    name: str = ""

    def tidy(self) -> pd.DataFrame:
        """One term per row: ``row_label: column_label``, estimate = value."""
        t = self.table
        return order_tidy(
            pd.DataFrame(
                {
                    "term": t["row_label"] + ": " + t["column_label"],
                    "estimate": t["value"],
                    "n": t["denominator"],
                    "measure": t["measure"],
                    "printed": t["printed"],
                }
            )
        )

    def to_table(self, table_id: str | None = None) -> pd.DataFrame:
        """Report table for :func:`socdata.report.write_table` (plus the ``printed`` text)."""
        out = table_frame(
            self.table.drop(columns="printed").to_dict("records"), table_id or self.name
        )
        out["printed"] = self.table["printed"].to_numpy()
        return out


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "row_label",
            "column_label",
            "measure",
            "value",
            "numerator",
            "denominator",
            "printed",
        ],
    )


def flintshire_profile(vulnerability: pd.DataFrame, *, area: str = "Flintshire") -> CaseFileTable:
    """The Flintshire cohort profile (seed lines 61-73) regenerated from case-file profiles.

    Each child's latest profile counts once. Percentages are of all children of the area,
    rounded half up; ``printed`` is the submission's figure.
    """
    _need(vulnerability, ("person_id", "area", "profile_date"), "vulnerability")
    v = vulnerability[vulnerability["area"] == area]
    v = v.sort_values("profile_date").drop_duplicates("person_id", keep="last")
    n = len(v)
    if n == 0:
        raise SocdataError(f"no vulnerability profiles for area {area!r}")
    printed = dict(
        zip(
            _printed("aff_flintshire")["row_label"],
            _printed("aff_flintshire")["value"],
            strict=False,
        )
    )
    rows = [("Children", area, "n", n, None, None, printed.get("Current cohort", ""))]
    for label, (col, value) in PROFILE_ITEMS.items():
        k = int((v[col] == value).sum())
        p = printed.get(label)
        rows.append((label, area, "pct", round_half_up(100 * k / n), k, n, f"{p}%" if p else ""))
    prov = Provenance.build(
        "socdata.describe.case_files.flintshire_profile",
        parameters={"area": area},
        frames={"vulnerability": vulnerability},
        n_in=len(vulnerability),
        n_out=n,
        notes=[
            "Printed percentages that no count out of the printed "
            "cohort gives are findings (docs/findings)."
        ],
    )
    return CaseFileTable(provenance=prov, table=_frame(rows), name="linked_flintshire_profile")


def cardiff_missing_before_after(
    missing: pd.DataFrame,
    vulnerability: pd.DataFrame,
    *,
    area: str = "Cardiff",
    start: str = "2020-01-01",
    end: str = "2023-12-31",
) -> CaseFileTable:
    """Missing incidents before vs after referral among children supported ``start``-``end``.

    Action for Children (seed line 5): "out of 119 supported from 2020-2023 70% ... have had
    similar concerns noted. Among this group, there were 140 incidents before referral ...
    reduced to 85 incidents post-referral." Supported = children of ``area`` with a profile
    (referral) dated in the period; concerns = ``missing_episodes`` Yes; incidents = episodes
    of those children reported before / on or after their referral date, up to ``end``.
    """
    _need(missing, ("person_id", "referral_date", "reported_datetime"), "missing_detail")
    _need(vulnerability, ("person_id", "area", "profile_date", "missing_episodes"), "vulnerability")
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    v = vulnerability[
        (vulnerability["area"] == area)
        & (vulnerability["profile_date"] >= lo)
        & (vulnerability["profile_date"] < hi)
    ]
    v = v.drop_duplicates("person_id")
    concern = set(v.loc[v["missing_episodes"] == "Yes", "person_id"])
    m = missing[missing["person_id"].isin(concern)]
    before = int((m["reported_datetime"] < m["referral_date"]).sum())
    after = int(
        ((m["reported_datetime"] >= m["referral_date"]) & (m["reported_datetime"] < hi)).sum()
    )
    n, k = len(v), len(concern)
    pr = _printed("aff_cardiff_missing")
    pr = pr[pr["column_label"] == area]
    printed = {
        (r, m): v for r, m, v in zip(pr["row_label"], pr["measure"], pr["value"], strict=True)
    }

    def said(label: str, measure: str) -> str:
        v = printed.get((label, measure), "")
        return f"{v}%" if v and measure == "pct" else v

    rows = [
        (
            "Children supported",
            area,
            "n",
            n,
            None,
            None,
            said("Young people supported 2020-2023", "n"),
        ),
        (
            "Missing concerns noted",
            area,
            "pct",
            round_half_up(100 * k / n) if n else None,
            k,
            n,
            said("Missing episodes noted", "pct"),
        ),
        (
            "Missing incidents before referral",
            area,
            "n",
            before,
            None,
            None,
            said("Missing incidents before referral", "n"),
        ),
        (
            "Missing incidents after referral",
            area,
            "n",
            after,
            None,
            None,
            said("Missing incidents after referral", "n"),
        ),
    ]
    prov = Provenance.build(
        "socdata.describe.case_files.cardiff_missing_before_after",
        parameters={"area": area, "start": start, "end": end},
        frames={"missing": missing, "vulnerability": vulnerability},
        n_in=len(missing),
        n_out=len(m),
        notes=["Follow-up after referral is shorter for later referrals: counts are not rates."],
    )
    return CaseFileTable(
        provenance=prov, table=_frame(rows), name="linked_cardiff_missing_before_after"
    )


def missing_episode_duration(missing: pd.DataFrame, *, by: str = "missing_from") -> CaseFileTable:
    """Duration of missing episodes (hours from reported to found) and return interviews.

    Per level of ``by`` and overall: episodes, still missing (no found time), median and
    quartiles of hours among episodes found, share found after more than 24 hours, return
    interviews offered (of episodes found) and taken (of those offered).
    """
    _need(
        missing,
        (
            "reported_datetime",
            "found_datetime",
            "return_interview_offered",
            "return_interview_taken",
            by,
        ),
        "missing_detail",
    )
    rows = []
    groups = [(g, sub) for g, sub in missing.groupby(by, sort=True)] + [("Overall", missing)]
    for g, sub in groups:
        found = sub[sub["found_datetime"].notna()]
        hours = (found["found_datetime"] - found["reported_datetime"]).dt.total_seconds() / 3600
        n, nf = len(sub), len(found)
        off = int((found["return_interview_offered"] == "Yes").sum())
        taken = int(
            (
                (found["return_interview_offered"] == "Yes")
                & (found["return_interview_taken"] == "Yes")
            ).sum()
        )
        over = int((hours > 24).sum())
        q = hours.quantile([0.25, 0.5, 0.75]) if nf else pd.Series([np.nan] * 3)
        rows += [
            (str(g), "Episodes", "n", n, None, None, ""),
            (str(g), "Still missing", "n", n - nf, None, None, ""),
            (
                str(g),
                "Hours missing, lower quartile",
                "min",
                round_half_up(q.iloc[0], 1),
                None,
                nf,
                "",
            ),
            (str(g), "Hours missing, median", "mean", round_half_up(q.iloc[1], 1), None, nf, ""),
            (
                str(g),
                "Hours missing, upper quartile",
                "max",
                round_half_up(q.iloc[2], 1),
                None,
                nf,
                "",
            ),
            (
                str(g),
                "Found after more than 24 hours",
                "pct",
                round_half_up(100 * over / nf) if nf else None,
                over,
                nf,
                "",
            ),
            (
                str(g),
                "Return interview offered",
                "pct",
                round_half_up(100 * off / nf) if nf else None,
                off,
                nf,
                "",
            ),
            (
                str(g),
                "Return interview taken (of offered)",
                "pct",
                round_half_up(100 * taken / off) if off else None,
                taken,
                off,
                "",
            ),
        ]
    prov = Provenance.build(
        "socdata.describe.case_files.missing_episode_duration",
        parameters={"by": by},
        frames={"missing": missing},
        n_in=len(missing),
        n_out=len(missing),
        notes=[
            "Quartiles among episodes with a found time (still-missing "
            "episodes are counted, not timed)."
        ],
    )
    return CaseFileTable(provenance=prov, table=_frame(rows), name="linked_missing_duration")


@dataclasses.dataclass(frozen=True, repr=False)
class AssessmentChange(Result):
    """First-to-last change of Star scores per domain (children with two or more readings).

    ``table``: ``domain, n, mean_first, mean_last, mean_change, conf_low, conf_high,
    statistic, p_value, improved`` (paired t-interval and test).
    """

    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    table_id: ClassVar[str] = "linked_assessment_change"

    def tidy(self) -> pd.DataFrame:
        """Mean change per domain with its paired-t interval and test."""
        t = self.table
        return order_tidy(
            pd.DataFrame(
                {
                    "term": t["domain"],
                    "estimate": t["mean_change"],
                    "statistic": t["statistic"],
                    "p_value": t["p_value"],
                    "conf_low": t["conf_low"],
                    "conf_high": t["conf_high"],
                    "ci_type": "paired t",
                    "n": t["n"],
                }
            )
        )

    def _table_rows(self):
        for r in self.table.itertuples(index=False):
            yield from (
                {
                    "row_label": r.domain,
                    "column_label": "Mean score, first reading",
                    "measure": "mean",
                    "value": round_half_up(r.mean_first, 1),
                    "denominator": r.n,
                },
                {
                    "row_label": r.domain,
                    "column_label": "Mean score, last reading",
                    "measure": "mean",
                    "value": round_half_up(r.mean_last, 1),
                    "denominator": r.n,
                },
                {
                    "row_label": r.domain,
                    "column_label": "Mean change",
                    "measure": "mean",
                    "value": round_half_up(r.mean_change, 2),
                    "denominator": r.n,
                },
                {
                    "row_label": r.domain,
                    "column_label": "Improved",
                    "measure": "pct",
                    "value": round_half_up(100 * r.improved / r.n) if r.n else None,
                    "numerator": r.improved,
                    "denominator": r.n,
                },
            )


def assessment_change(
    assessments: pd.DataFrame, *, tool: str = "Justice Star", conf_level: float = 0.95
) -> AssessmentChange:
    """Change from each child's first to last reading of ``tool``, per domain.

    Children with a single reading are left out (flow log). The interval and test are the
    paired t (no allowance for regression to the mean or for who stays to a later reading).
    """
    _need(assessments, ("person_id", "tool", "reading_number", "domain", "score"), "assessments")
    conf_level = check_conf_level(conf_level, function="assessment_change")
    a = assessments[assessments["tool"] == tool]
    rows = []
    kept = 0
    for dom, sub in a.groupby("domain", sort=True):
        s = sub.sort_values("reading_number")
        first = s.groupby("person_id")["score"].first().astype(float)
        last = s.groupby("person_id")["score"].last().astype(float)
        nread = s.groupby("person_id")["reading_number"].nunique()
        ok = nread[nread >= 2].index
        f, la = first[ok], last[ok]
        n = len(ok)
        kept = max(kept, n)
        d = la - f
        if n >= 2:
            m, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(n))
            tcrit = stats.t.ppf(0.5 + conf_level / 2, n - 1)
            t = m / se if se > 0 else np.nan
            p = 2 * stats.t.sf(abs(t), n - 1) if se > 0 else np.nan
            lo, hi = m - tcrit * se, m + tcrit * se
        else:
            m, lo, hi, t, p = (float(d.mean()) if n else np.nan,) + (np.nan,) * 4
        rows.append(
            {
                "domain": dom,
                "n": n,
                "mean_first": float(f.mean()) if n else np.nan,
                "mean_last": float(la.mean()) if n else np.nan,
                "mean_change": m,
                "conf_low": lo,
                "conf_high": hi,
                "statistic": t,
                "p_value": p,
                "improved": int((d > 0).sum()),
            }
        )
    prov = Provenance.build(
        "socdata.describe.case_files.assessment_change",
        parameters={"tool": tool, "conf_level": conf_level},
        frames={"assessments": assessments},
        n_in=len(assessments),
        n_out=kept,
        notes=["Paired t on first-to-last change; children with one reading excluded."],
    )
    return AssessmentChange(provenance=prov, table=pd.DataFrame(rows))
