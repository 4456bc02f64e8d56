"""The flow of referral episodes from referral to closure, by area (notebook 00).

Every row of the service extract is a referral episode (a young person can be re-referred).
Each step of the flow says how many episodes go on and why the others stop: validation,
allocation, the start of the intervention, closure and its reason.  Rows that fail
validation may have no valid area, so they are counted overall only.
"""

from __future__ import annotations

import pandas as pd

from socdata.errors import SocdataError

__all__ = ["CLOSURE_REASONS", "FLOW_TABLE_ID", "referral_flow"]

FLOW_TABLE_ID = "flow_referral_to_closure"

#: Closure reasons shown as steps, in the report's order ("Not recorded": no reason given).
CLOSURE_REASONS = (
    "Intervention completed",
    "Support from other services",
    "Other",
    "Declined support",
    "Not recorded",
)


def _steps(valid: pd.DataFrame) -> list[tuple[str, str, pd.Series | None]]:
    status = valid["case_status"].astype(str)
    closed = valid[status == "Closed"]
    reason = closed["closure_reason"].astype("string").fillna("Not recorded")
    started = valid[status.isin(["Open", "Closed"])]
    steps: list[tuple[str, str, pd.Series | None]] = [
        ("Referral episodes in extract", "count", None),
        ("Excluded: failed validation", "exclusion", None),
        ("Valid referral episodes", "count", valid["area"]),
        ("Young people (distinct)", "count", valid.drop_duplicates("person_id")["area"]),
        ("Excluded: not allocated", "exclusion", valid.loc[status == "Not allocated", "area"]),
        ("Excluded: not started", "exclusion", valid.loc[status == "Not started", "area"]),
        ("Excluded: case status unknown", "exclusion", valid.loc[status == "Unknown", "area"]),
        ("Intervention started (open or closed)", "count", started["area"]),
        ("Open at extract date", "count", valid.loc[status == "Open", "area"]),
        ("Closed", "count", closed["area"]),
    ]
    for r in CLOSURE_REASONS:
        steps.append((f"Closed: {r.lower()}", "count", closed.loc[reason == r, "area"]))
    return steps


def referral_flow(valid: pd.DataFrame, *, n_input: int, n_excluded: int) -> pd.DataFrame:
    """Count referral episodes at each step from referral to closure, by area and overall.

    Parameters
    ----------
    valid
        The valid rows of the service extract (``socdata.read_extract(..., "service",
        strict=False)``): ``person_id``, ``area``, ``case_status``, ``closure_reason``.
    n_input
        Records in the extract (valid, rejected and unparseable).
    n_excluded
        Records that failed validation (rejected or unparseable), so that
        ``n_input == len(valid) + n_excluded``.

    Returns
    -------
    pandas.DataFrame
        A tidy table ``table_id, row_label, column_label, measure, value, step, step_kind``
        (``step`` the order, ``step_kind`` ``count`` or ``exclusion``), one row per step and
        area plus ``Overall``; the two validation steps only overall.

    Raises
    ------
    SocdataError
        A needed column is missing, or the counts do not add up.

    Examples
    --------
    >>> import pandas as pd
    >>> valid = pd.DataFrame({"person_id": ["a", "a", "b"], "area": ["X", "X", "Y"],
    ...     "case_status": ["Closed", "Open", "Not started"],
    ...     "closure_reason": ["Declined support", None, None]})
    >>> flow = referral_flow(valid, n_input=4, n_excluded=1)
    >>> flow.query("column_label == 'Overall'").set_index("row_label")["value"].head(4).tolist()
    [4, 1, 3, 2]
    """
    missing = [
        c for c in ("person_id", "area", "case_status", "closure_reason") if c not in valid
    ]
    if missing:
        raise SocdataError(
            f"referral_flow: the service rows lack column(s) {missing}; pass the valid rows "
            "of the service extract (socdata.read_extract(folder, 'service', strict=False))"
        )
    if n_input != len(valid) + n_excluded:
        raise SocdataError(
            f"referral_flow: {n_input} records in the extract but {len(valid)} valid + "
            f"{n_excluded} excluded = {len(valid) + n_excluded}; every record must be "
            "accounted for (count rejected and unparseable records as excluded)"
        )
    areas = sorted(valid["area"].dropna().astype(str).unique())
    records = []
    for order, (label, step_kind, col) in enumerate(_steps(valid), start=1):
        for area in [*areas, "Overall"]:
            if col is None:  # rejected rows may lack a valid area: overall counts only
                if area != "Overall":
                    continue
                n = n_input if step_kind == "count" else n_excluded
            else:
                s = col.astype(str)
                n = len(s) if area == "Overall" else int((s == area).sum())
            records.append(
                {
                    "table_id": FLOW_TABLE_ID,
                    "row_label": label,
                    "column_label": area,
                    "measure": "n",
                    "value": n,
                    "step": order,
                    "step_kind": step_kind,
                }
            )
    return pd.DataFrame(records)
