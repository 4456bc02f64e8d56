"""The printed counts the synthetic extracts are calibrated to, read from ``data/published``.

:func:`june2023_counts` reads the June 2023 report's transcribed figures
(``data/published/soceis_june2023.csv``) once, so the generator of
:mod:`socdata.soceis.synthetic` never repeats a printed number. What the report does not
print (who is in which category, ages beyond their mean, dates) is drawn by the generator;
where printed figures disagree, the generator's docstring says which one it honours.
"""

from __future__ import annotations

import dataclasses
import functools

import pandas as pd

from socdata.paths import published_dir
from socdata.review import read_published
from socdata.soceis.tables import AREA_ORDER, DOMAIN_LABELS, OUTCOME_ROW_LABELS

__all__ = ["JUNE2023_FILE", "June2023Counts", "june2023_counts"]

#: File of the June 2023 report's figures under ``data/published``.
JUNE2023_FILE = "soceis_june2023.csv"
_NOT_ON_FORM = "not included on intervention plan forms for Cardiff"


@dataclasses.dataclass(frozen=True)
class June2023Counts:
    """Printed counts of the June 2023 report, by table.

    Attributes
    ----------
    referral_source, case_status, closure_reason
        Table 4: ``{area: {category: n}}`` for the four areas.
    referral_reasons
        Section 3.2: ``{reason: n}`` (Overall).
    plans
        Table 5 header: ``{area: number of plans}``.
    domains
        Table 5: ``{domain column: {area: n or None}}``; ``None`` where the area's form has
        no field for the domain (the report's footnote ``*``, printed as 0).
    participants
        Tables 1-2 (phase 3 interviews): ``{role: {area: n}}``.
    outcomes_closed, outcomes_open
        Section 5.1: ``{outcome column: n}`` of Cardiff's closed (engaged) and open cases.
    """

    referral_source: dict[str, dict[str, int]]
    case_status: dict[str, dict[str, int]]
    closure_reason: dict[str, dict[str, int]]
    referral_reasons: dict[str, int]
    plans: dict[str, int]
    domains: dict[str, dict[str, int | None]]
    participants: dict[str, dict[str, int]]
    outcomes_closed: dict[str, int]
    outcomes_open: dict[str, int]


def _cells(pub: pd.DataFrame, table_id: str) -> dict[tuple[str, str], pd.Series]:
    t = pub[(pub["table_id"] == table_id) & (pub["measure"] == "n")]
    return {(r["row_label"], r["column_label"]): r for _, r in t.iterrows()}


def _by_area(pub: pd.DataFrame, table_id: str, areas=AREA_ORDER) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (row, col), r in _cells(pub, table_id).items():
        if col in areas and row.lower() != "total":
            out.setdefault(col, {})[row] = int(r["value"])
    return out


def _outcomes(pub: pd.DataFrame, table_id: str) -> dict[str, int]:
    label_to_col = {v: k for k, v in OUTCOME_ROW_LABELS.items()}
    return {
        label_to_col[row]: int(r["value"])
        for (row, col), r in _cells(pub, table_id).items()
        if col == "Cardiff" and row in label_to_col
    }


@functools.cache
def june2023_counts() -> June2023Counts:
    """Read the June 2023 report's printed counts from ``data/published``.

    Returns
    -------
    June2023Counts
        Counts keyed by the labels the report prints (and by schema column for domains and
        outcomes).
    """
    pub = read_published(published_dir() / JUNE2023_FILE)
    label_to_domain = {v: k for k, v in DOMAIN_LABELS.items()}
    domains: dict[str, dict[str, int | None]] = {}
    plans: dict[str, int] = {}
    for (row, col), r in _cells(pub, "table5").items():
        if col not in AREA_ORDER:
            continue
        if row == "Intervention plans":
            plans[col] = int(r["value"])
        else:
            not_on_form = col == "Cardiff" and _NOT_ON_FORM in r["note"]
            domains.setdefault(label_to_domain[row], {})[col] = (
                None if not_on_form else int(r["value"])
            )
    participants: dict[str, dict[str, int]] = {}
    for tid in ("table1", "table2"):
        for area, roles in _by_area(
            pub, tid, ("Cardiff", "Dundee", "Edinburgh", "Newcastle")
        ).items():
            for role, n in roles.items():
                participants.setdefault(role, {})[area] = n
    reasons = {
        row: int(r["value"])
        for (row, col), r in _cells(pub, "text_3_2_referral_reason").items()
        if not row.startswith("Young people")
    }
    return June2023Counts(
        referral_source=_by_area(pub, "table4_referral_source"),
        case_status=_by_area(pub, "table4_case_status"),
        closure_reason=_by_area(pub, "table4_closure_reason"),
        referral_reasons=reasons,
        plans=plans,
        domains=domains,
        participants=participants,
        outcomes_closed=_outcomes(pub, "outcomes_5_1_closed"),
        outcomes_open=_outcomes(pub, "outcomes_5_1_open"),
    )
