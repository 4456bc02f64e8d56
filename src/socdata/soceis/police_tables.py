"""The police tables of a SOCEIS run (notebook 20) that are not a result's own ``to_table()``.

The before/after table and the flow come from
:meth:`socdata.describe.police.BeforeAfterResult.to_table` and ``flow_table()``; the
statements from :func:`socdata.soceis.police_statements.police_statements`. This module
adds the summary of the person-month panel, ``police_panel_summary``.
"""

from __future__ import annotations

import pandas as pd

from socdata.errors import SocdataError

__all__ = ["PANEL_SUMMARY_MEASURES", "panel_summary", "panel_summary_table"]

#: Columns of :func:`panel_summary` after ``area`` and ``group``, in order.
PANEL_SUMMARY_MEASURES: tuple[str, ...] = ("people", "person_months", "arrests", "missing_episodes")


def panel_summary(panel: pd.DataFrame) -> pd.DataFrame:
    """People, person-months, arrests and missing episodes of a person-month panel, by
    ``area`` and ``group`` (:func:`socdata.derive.panel.person_month_panel` output)."""
    need = ["area", "group", "person_id", "month", "arrests", "missing_episodes"]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise SocdataError(
            f"panel_summary: the panel has no column(s) {missing}; pass the output of "
            "socdata.derive.panel.person_month_panel"
        )
    return (
        panel.groupby(["area", "group"])
        .agg(
            people=("person_id", "nunique"),
            person_months=("month", "size"),
            arrests=("arrests", "sum"),
            missing_episodes=("missing_episodes", "sum"),
        )
        .reset_index()
    )


def panel_summary_table(
    panel: pd.DataFrame, table_id: str = "police_panel_summary"
) -> pd.DataFrame:
    """:func:`panel_summary` as a report table: one ``n`` per area (``row_label``) and
    ``"<group>: <measure>"`` (``column_label``)."""
    rows = [
        (table_id, r["area"], f"{r['group']}: {m}", "n", r[m])
        for _, r in panel_summary(panel).iterrows()
        for m in PANEL_SUMMARY_MEASURES
    ]
    return pd.DataFrame(rows, columns=["table_id", "row_label", "column_label", "measure", "value"])
