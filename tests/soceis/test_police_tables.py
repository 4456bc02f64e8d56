"""The person-month panel summary table of notebook 20, against hand counts."""

from __future__ import annotations

import pandas as pd

from socdata.soceis.police_tables import panel_summary_table


def test_panel_summary_table_counts_by_hand():
    panel = pd.DataFrame(
        {
            "area": ["Cardiff"] * 3,
            "group": ["Engager", "Engager", "Comparator"],
            "person_id": ["a", "a", "b"],
            "month": ["2021-01", "2021-02", "2021-01"],
            "arrests": [1, 2, 0],
            "missing_episodes": [0, 1, 4],
        }
    )
    t = panel_summary_table(panel).set_index("column_label")["value"]
    assert list(panel_summary_table(panel).columns) == [
        "table_id", "row_label", "column_label", "measure", "value"
    ]  # fmt: skip
    assert t["Engager: people"] == 1 and t["Engager: person_months"] == 2
    assert t["Engager: arrests"] == 3 and t["Comparator: missing_episodes"] == 4
