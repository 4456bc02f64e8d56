"""Section 5.1: outcomes of Cardiff's closed (engaged) and open cases."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from socdata.describe.outcomes import outcome_percentages
from socdata.errors import SocdataError
from socdata.options import renamed_keywords
from socdata.soceis.tables._common import (
    OUTCOME_ROW_LABELS,
    _frame,
    _require,
    _row,
)


def _engaged_mask(service: pd.DataFrame, engaged: str) -> pd.Series:
    if engaged == "not_declined":
        return service["closure_reason"].astype("string").fillna("") != "Declined support"
    if engaged == "sessions":
        if "sessions_attended" not in service.columns:
            raise SocdataError(
                "outcomes_5_1: engaged='sessions' needs the column "
                "'sessions_attended'; use engaged='not_declined'"
            )
        s = pd.to_numeric(service["sessions_attended"], errors="coerce")
        return s.fillna(0) >= 1
    raise SocdataError(
        f"outcomes_5_1: engaged={engaged!r} is not allowed; use "
        "'not_declined' (closure reason other than Declined support) or "
        "'sessions' (at least one session attended)"
    )


@renamed_keywords(level="conf_level", ci="inference")
def outcomes_5_1(
    service: pd.DataFrame,
    *,
    area: str = "Cardiff",
    engaged: Literal["not_declined", "sessions"] = "not_declined",
    denominator: Literal["recorded", "all"] = "recorded",
    inference: Literal["wilson", "exact"] = "wilson",
    conf_level: float = 0.95,
) -> dict[str, pd.DataFrame]:
    """Section 5.1: outcomes of closed cases where the young person engaged, and of open cases.

    Parameters
    ----------
    service
        Validated ``service`` extract.
    area
        The area with outcome data (Cardiff in the report).
    engaged
        Which closed cases count as "engaged": ``"not_declined"`` (closure reason other
        than Declined support; the schema's definition) or ``"sessions"`` (at least one
        session attended).
    denominator, inference, conf_level
        Passed to :func:`socdata.describe.outcomes.outcome_percentages` (old keywords
        ``ci`` and ``level``, deprecated).

    Returns
    -------
    dict
        ``{"outcomes_5_1_closed": frame, "outcomes_5_1_open": frame}``. Each frame starts
        with its base row (``Closed cases where the young person engaged`` / ``Open
        cases``, measure ``n``), then ``n`` and ``pct`` per outcome, with ``conf_low``,
        ``conf_high`` (percent) and ``fraction_word`` columns. The open-case table also
        has ``Achieved positive outcomes`` when the extract records it.
    """
    _require(
        service,
        ("area", "case_status", "closure_reason", *list(OUTCOME_ROW_LABELS)[1:]),
        "service",
        "outcomes_5_1",
    )
    if area not in set(service["area"]):
        raise SocdataError(
            f"outcomes_5_1: no referrals for area {area!r}; areas present: "
            f"{sorted(service['area'].unique())}"
        )
    in_area = service["area"] == area
    status = service["case_status"].astype("string")
    closed = service[in_area & (status == "Closed") & _engaged_mask(service, engaged)]
    opened = service[in_area & (status == "Open")]
    outs = [c for c in OUTCOME_ROW_LABELS if c in service.columns]
    options = {"denominator": denominator, "inference": inference, "conf_level": conf_level}
    closed_table = _outcome_table(
        "outcomes_5_1_closed",
        "Closed cases where the young person engaged",
        closed,
        [c for c in outs if c != "outcome_positive_any"],
        area=area,
        note=f"engaged = {engaged}",
        **options,
    )
    open_table = _outcome_table(
        "outcomes_5_1_open", "Open cases", opened, outs, area=area, **options
    )
    return {"outcomes_5_1_closed": closed_table, "outcomes_5_1_open": open_table}


def _outcome_table(
    tid: str,
    base_label: str,
    data: pd.DataFrame,
    cols: list[str],
    *,
    area: str,
    denominator: str,
    inference: str,
    conf_level: float,
    note: str = "",
) -> pd.DataFrame:
    """One table of :func:`outcomes_5_1`: the base row (``note`` on it), then ``n`` and
    ``pct`` of each outcome in ``cols`` with its interval and fraction word."""
    rows = [_row(tid, base_label, area, "n", len(data), len(data), np.nan, len(data), note)]
    res = outcome_percentages(
        data, outcome=cols, denominator=denominator, inference=inference, conf_level=conf_level
    )
    extra = []
    for _, r in res.table.iterrows():
        lab = OUTCOME_ROW_LABELS[r["outcome"]]
        cell_note = (
            f"{int(r['n_not_recorded'])} not recorded"
            if r["n_not_recorded"] and denominator == "recorded"
            else ""
        )
        rows.append(
            _row(
                tid,
                lab,
                area,
                "n",
                r["numerator"],
                r["numerator"],
                r["denominator"],
                r["numerator"],
                cell_note,
            )
        )
        pv = np.nan if pd.isna(r["pct"]) else float(r["pct"])
        rows.append(
            _row(
                tid,
                lab,
                area,
                "pct",
                pv,
                r["numerator"],
                r["denominator"],
                100 * r["proportion"],
                cell_note,
            )
        )
        extra += [
            (np.nan, np.nan, r["fraction_word"]),
            (100 * r["conf_low"], 100 * r["conf_high"], r["fraction_word"]),
        ]
    f = _frame(rows)
    f["conf_low"] = [np.nan] + [e[0] for e in extra]
    f["conf_high"] = [np.nan] + [e[1] for e in extra]
    f["fraction_word"] = [None] + [e[2] for e in extra]
    return f
