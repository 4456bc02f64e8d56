"""Minimum-dataset tables: the coded CCE indicator and exploitation types by area, and
deprivation deciles by national index (one block per index, never pooled silently)."""

from __future__ import annotations

import pandas as pd

from socdata.errors import SocdataError
from socdata.minimum_dataset import CCE_LEVELS, deprivation_table
from socdata.rounding import round_half_up

__all__ = ["cce_indicator_table", "deprivation_by_index"]


def _latest(vulnerability: pd.DataFrame) -> pd.DataFrame:
    need = ("person_id", "area", "profile_date", "cce_indicator", "exploitation_type")
    missing = [c for c in need if c not in vulnerability]
    if missing:
        raise SocdataError(f"the vulnerability extract needs columns: {', '.join(missing)}")
    v = vulnerability.sort_values("profile_date")
    return v.drop_duplicates("person_id", keep="last")


def cce_indicator_table(vulnerability: pd.DataFrame) -> pd.DataFrame:
    """Children by coded CCE indicator and by exploitation type, per area and overall.

    Each child's latest profile counts once. Returns a tidy report table
    (``table_id = mds_cce_indicator``; ``pct`` of the area's children).
    """
    v = _latest(vulnerability)
    rows = []
    for area, sub in [*sorted(v.groupby("area")), ("Overall", v)]:
        n = len(sub)
        rows.append(("Children", area, "n", n, None, None))
        for col, levels in (
            ("cce_indicator", CCE_LEVELS),
            ("exploitation_type", sorted(v["exploitation_type"].unique())),
        ):
            for level in levels:
                k = int((sub[col] == level).sum())
                label = f"CCE indicator: {level}" if col == "cce_indicator" else f"Type: {level}"
                rows.append((label, area, "n", k, None, None))
                rows.append((label, area, "pct", round_half_up(100 * k / n), k, n))
    out = pd.DataFrame(
        rows, columns=["row_label", "column_label", "measure", "value", "numerator", "denominator"]
    )
    out.insert(0, "table_id", "mds_cce_indicator")
    return out


def deprivation_by_index(vulnerability: pd.DataFrame) -> pd.DataFrame:
    """Children by deprivation decile, one block per national index (IMD, WIMD, SIMD, NIMDM).

    Row labels name the index (``WIMD decile 1``): deciles of different indices are ranks
    within different nations and are not pooled. Percentages are of the children with a
    decile on that index.
    """
    v = _latest(vulnerability)
    t = deprivation_table(v)
    rows = []
    for index, sub in t.groupby("index", sort=True):
        base = int(sub["n"].sum())
        for r in sub.itertuples(index=False):
            label = f"{index} decile {r.decile}"
            rows.append((label, index, "n", int(r.n), None, None))
            rows.append((label, index, "pct", round_half_up(100 * r.n / base), int(r.n), base))
    out = pd.DataFrame(
        rows, columns=["row_label", "column_label", "measure", "value", "numerator", "denominator"]
    )
    out.insert(0, "table_id", "mds_deprivation_by_index")
    out["note"] = "decile within the nation's own index; not comparable across indices"
    return out
