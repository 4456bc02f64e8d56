"""Shared layout of the report tables: columns, ids, labels and the row helpers.

See :mod:`socdata.soceis.tables` for the tidy format every builder returns.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from socdata.describe.outcomes import round_half_up
from socdata.errors import ExcludedRowsWarning, SocdataError
from socdata.schemas import load_spec

__all__ = [
    "AREA_ORDER",
    "DOMAIN_LABELS",
    "OUTCOME_ROW_LABELS",
    "OVERALL",
    "PARTICIPANT_AREA_ORDER",
    "TABLE5_ON_FORM",
    "TABLE_COLUMNS",
    "TABLE_IDS",
]

TABLE_COLUMNS: tuple[str, ...] = (
    "table_id",
    "row_label",
    "column_label",
    "measure",
    "value",
    "numerator",
    "denominator",
    "exact",
    "note",
)
#: Table ids of the interface (``socdata reproduce`` writes one CSV per id).
TABLE_IDS: tuple[str, ...] = (
    "table1",
    "table2",
    "table3",
    "table4_referral_source",
    "table4_case_status",
    "table4_closure_reason",
    "table5",
    "outcomes_5_1_closed",
    "outcomes_5_1_open",
)
#: Table 5 on socdata's base (plans whose form has the domain), beside the printed ``table5``.
TABLE5_ON_FORM = "table5_on_form"
OVERALL = "Overall"
#: Column order of Tables 3-5.
AREA_ORDER: tuple[str, ...] = ("Cardiff", "Edinburgh", "Newcastle", "Dundee")
#: Column order of Tables 1-2.
PARTICIPANT_AREA_ORDER: tuple[str, ...] = ("Cardiff", "Dundee", "Edinburgh", "Newcastle")

#: Referral sources in Table 4's row order (the service schema declares them in that order).
_SOURCES = tuple(load_spec("service").column("referral_source").allowed)
_STATUSES = ("Open", "Closed", "Not allocated", "Not started", "Unknown")
_CLOSURES = ("Intervention completed", "Support from other services", "Other", "Declined support")
_REASONS = (
    "Criminal exploitation",
    "At risk of criminal exploitation (school)",
    "Association with SOC group or gang",
    "Repeated offending",
    "Drug dealing",
    "Other",
)
_TABLE1_ROLES = ("Young people", "Parents", "Foster carers", "Kinship carers")
_TABLE2_ROLES = ("Managers", "Partner organisations", "Practitioners", "Peer mentors")

#: Printed Table 5 row label of each plan domain column.
DOMAIN_LABELS: dict[str, str] = {
    "domain_emotional_regulation": "Emotional regulation",
    "domain_self_esteem": "Self esteem",
    "domain_relationships": "Relationships",
    "domain_thinking_and_behaviour": "Thinking and behaviour",
    "domain_caregiver_support": "Emotional and practical support to caregivers",
    "domain_family_support": "Family support",
    "domain_risky_situations": "Identifying and managing risky situations",
    "domain_exploitation": "Exploitation",
    "domain_safety_planning": "Safety planning",
    "domain_peer_mapping": "Peer mapping",
    "domain_offending": "Offending",
    "domain_peer_mentor": "Peer Mentor",
    "domain_contextual_safeguarding": "Contextual safeguarding",
    "domain_education_employability": "Education/employability",
    "domain_identity_work": "Identity work",
    "domain_substance_misuse": "Substance misuse",
    "domain_daily_routine": "Daily routine",
    "domain_housing": "Housing",
}
#: Printed section 5.1 label of each outcome column.
OUTCOME_ROW_LABELS: dict[str, str] = {
    "outcome_positive_any": "Achieved positive outcomes",
    "outcome_reduced_offending": "Reduction in offending",
    "outcome_reduced_exploitation": "Reduction in exploitation",
    "outcome_decision_making": "Developed decision-making about risk",
    "outcome_ete_engagement": "Improved engagement with education, employment or training",
    "outcome_family_relationships": "Improved relationships with family",
}


# --------------------------------------------------------------------------- helpers


def _require(df: pd.DataFrame, cols: Iterable[str], kind: str, builder: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise SocdataError(
            f"{builder}: expected the {kind} extract as a pandas DataFrame, got {type(df).__name__}"
        )
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SocdataError(
            f"{builder}: the {kind} extract has no column(s) {missing}. Read it with "
            f"socdata.read_extract(path, {kind!r}) so supplier column names are mapped; "
            f"columns present: {list(df.columns)[:20]}"
        )


def _areas(values: Iterable[str], order: Sequence[str]) -> list[str]:
    present = set(values)
    return [a for a in order if a in present] + sorted(present - set(order))


def _row(table_id, row, col, measure, value, num=np.nan, den=np.nan, exact=np.nan, note=""):
    return {
        "table_id": table_id,
        "row_label": row,
        "column_label": col,
        "measure": measure,
        "value": value,
        "numerator": num,
        "denominator": den,
        "exact": exact,
        "note": note,
    }


def _pct(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return np.nan, np.nan
    exact = 100.0 * k / n
    return float(round_half_up(exact)), exact


def _frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for c in ("value", "numerator", "denominator", "exact"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["note"] = out["note"].fillna("").astype(str)
    return out


def _count_table(
    df: pd.DataFrame,
    *,
    table_id: str,
    column: str,
    categories: Sequence[str],
    area_order: Sequence[str],
    base_mask: pd.Series | None = None,
    total_row: str | None = None,
    pct: bool = True,
    base_note: str = "",
) -> pd.DataFrame:
    """n and % of each category by area and overall, % of the rows in ``base_mask``."""
    base = df if base_mask is None else df[base_mask]
    vals = base[column].astype("string")
    unknown = sorted(set(vals.dropna()) - set(categories))
    if unknown:
        raise SocdataError(
            f"{table_id}: column {column!r} has value(s) {unknown[:5]} outside the report's "
            f"categories {list(categories)}; map them with the schema's synonyms "
            "(socdata.read_extract) or correct the extract"
        )
    n_missing = int(vals.isna().sum())
    if n_missing:
        warnings.warn(
            f"{table_id}: {n_missing} row(s) with no {column} are left out of the "
            "table and its denominators",
            ExcludedRowsWarning,
            stacklevel=3,
        )
    base = base[vals.notna().to_numpy()]
    areas = _areas(df["area"], area_order)
    rows = []
    for col in [*areas, OVERALL]:
        g = base if col == OVERALL else base[base["area"] == col]
        den = len(g)
        counts = g[column].astype("string").value_counts()
        for cat in categories:
            k = int(counts.get(cat, 0))
            rows.append(_row(table_id, cat, col, "n", k, k, den, k, base_note))
            if pct:
                v, ex = _pct(k, den)
                rows.append(_row(table_id, cat, col, "pct", v, k, den, ex, base_note))
        if total_row:
            rows.append(_row(table_id, total_row, col, "n", den, den, den, den))
            if pct:
                rows.append(
                    _row(
                        table_id,
                        total_row,
                        col,
                        "pct",
                        100.0 if den else np.nan,
                        den,
                        den,
                        100.0 if den else np.nan,
                        "exact total; the sum of the rounded percentages may differ",
                    )
                )
    return _frame(rows)
