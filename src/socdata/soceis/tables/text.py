"""Figures printed in the running text of sections 3.2-3.3 (service extract)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from socdata.derive.spells import engagement_spells
from socdata.describe.duration import early_closed_range
from socdata.errors import ExcludedRowsWarning, SocdataError
from socdata.soceis.tables._common import (
    _REASONS,
    AREA_ORDER,
    OVERALL,
    _areas,
    _frame,
    _pct,
    _require,
    _row,
)
from socdata.soceis.tables.service import table3


def referral_reasons(service: pd.DataFrame) -> pd.DataFrame:
    """Section 3.2 referral reasons: n and % of referrals with a recorded reason (Overall).

    Table id ``text_3_2_referral_reason``; first row ``Young people with referral reason
    data`` (the base).
    """
    _require(service, ("referral_reason",), "service", "referral_reasons")
    v = service["referral_reason"].astype("string")
    bad = sorted(set(v.dropna()) - set(_REASONS))
    if bad:
        raise SocdataError(f"referral_reasons: value(s) {bad[:5]} outside {list(_REASONS)}")
    base = v.dropna()
    tid = "text_3_2_referral_reason"
    rows = [
        _row(
            tid,
            "Young people with referral reason data",
            OVERALL,
            "n",
            len(base),
            len(base),
            np.nan,
            len(base),
            f"{int(v.isna().sum())} with no reason",
        )
    ]
    for r in _REASONS:
        k = int((base == r).sum())
        pv, ex = _pct(k, len(base))
        rows.append(_row(tid, r, OVERALL, "n", k, k, len(base), k))
        rows.append(_row(tid, r, OVERALL, "pct", pv, k, len(base), ex))
    return _frame(rows)


def case_status_text(service: pd.DataFrame) -> pd.DataFrame:
    """Section 3.2: young people with data (open + closed), open and closed (Overall).

    Table id ``text_3_2_case_status``.
    """
    _require(service, ("case_status",), "service", "case_status_text")
    st = service["case_status"].astype("string")
    n_open, n_closed = int((st == "Open").sum()), int((st == "Closed").sum())
    den = n_open + n_closed
    tid = "text_3_2_case_status"
    return _frame(
        [
            _row(
                tid,
                "Young people with data",
                OVERALL,
                "n",
                den,
                den,
                np.nan,
                den,
                "open + closed referrals",
            ),
            _row(tid, "Open", OVERALL, "n", n_open, n_open, den, n_open),
            _row(tid, "Closed", OVERALL, "n", n_closed, n_closed, den, n_closed),
        ]
    )


def closure_text(service: pd.DataFrame) -> pd.DataFrame:
    """Section 3.2 closure figures (``text_3_2_closure`` and ``text_3_2_closure_other``).

    Closure reasons as n and % of all closed cases, the cases closed after a tailored
    intervention (completed or engaged with another service), and the detail of "Other"
    closures (custody as % of Other; transfers to post-18 services).
    """
    _require(service, ("case_status", "closure_reason"), "service", "closure_text")
    closed = service[service["case_status"].astype("string") == "Closed"]
    reason = closed["closure_reason"].astype("string")
    den = len(closed)
    tid = "text_3_2_closure"
    rows = [_row(tid, "Closed", OVERALL, "n", den, den, np.nan, den)]
    for r in ("Intervention completed", "Support from other services", "Declined support", "Other"):
        k = int((reason == r).sum())
        pv, ex = _pct(k, den)
        rows.append(_row(tid, r, OVERALL, "n", k, k, den, k))
        rows.append(_row(tid, r, OVERALL, "pct", pv, k, den, ex))
    k = int(reason.isin(["Intervention completed", "Support from other services"]).sum())
    pv, ex = _pct(k, den)
    lab = "Closed due to reduced risk after a tailored intervention"
    rows.append(
        _row(
            tid,
            lab,
            OVERALL,
            "n",
            k,
            k,
            den,
            k,
            "Intervention completed + Support from other services",
        )
    )
    rows.append(_row(tid, lab, OVERALL, "pct", pv, k, den, ex))
    tid2 = "text_3_2_closure_other"
    other = closed[reason == "Other"]
    n_other = len(other)
    rows.append(
        _row(tid2, "Other reasons for closure", OVERALL, "n", n_other, n_other, np.nan, n_other)
    )
    if "closure_sub_reason" in service.columns:
        sub = other["closure_sub_reason"].astype("string")
        for s in ("Custody", "Moved area", "Accommodated", "Transferred to post-18 services"):
            k = int((sub == s).sum())
            pv, ex = _pct(k, n_other)
            rows.append(_row(tid2, s, OVERALL, "n", k, k, n_other, k))
            rows.append(_row(tid2, s, OVERALL, "pct", pv, k, n_other, ex))
    return _frame(rows)


def service_data_areas(service: pd.DataFrame) -> list[str] | None:
    """Areas whose rows come from service data (``record_source`` not ``Case file``).

    ``None`` when the extract has no ``record_source`` column (every area counts).

    Examples
    --------
    >>> import pandas as pd
    >>> service_data_areas(pd.DataFrame({"area": ["B", "A", "C"],
    ...     "record_source": ["Service data", None, "Case file"]}))
    ['A', 'B']
    """
    if "record_source" not in service.columns:
        return None
    src = service["record_source"].astype("string").fillna("Service data")
    return sorted(service.loc[src != "Case file", "area"].unique())


def duration_text(
    service: pd.DataFrame,
    *,
    areas: Sequence[str] | None = None,
    first_months: int = 6,
    service_start: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Section 3.3 duration statistic (``text_3_3_duration``): n, min and max full months.

    Closed spells starting within the first ``first_months`` months of each area's service
    (see :func:`socdata.describe.duration.early_closed_range`). By default the areas with
    service data (``record_source`` not ``Case file``).
    """
    if areas is None:
        areas = service_data_areas(service)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        sp = engagement_spells(service, warn=False)
        if areas is not None:  # areas with service data but no spell have nothing to add
            areas = [a for a in areas if a in set(sp.frame["area"])]
        res = early_closed_range(
            sp, first_months=first_months, service_start=service_start, areas=areas
        )
    r = res.table.set_index("group").loc[OVERALL]
    tid = "text_3_3_duration"
    n = int(r["n"])
    return _frame(
        [
            _row(
                tid,
                "Closed cases starting in the first six months",
                OVERALL,
                "n",
                n,
                n,
                np.nan,
                n,
                f"areas: {', '.join(areas) if areas else 'all'}",
            ),
            _row(
                tid,
                "Duration of engagement (months)",
                OVERALL,
                "min",
                np.nan if pd.isna(r["min"]) else float(r["min"]),
                np.nan,
                n,
                np.nan if pd.isna(r["min"]) else float(r["min"]),
            ),
            _row(
                tid,
                "Duration of engagement (months)",
                OVERALL,
                "max",
                np.nan if pd.isna(r["max"]) else float(r["max"]),
                np.nan,
                n,
                np.nan if pd.isna(r["max"]) else float(r["max"]),
            ),
        ]
    )


def rereferral_text(service: pd.DataFrame) -> pd.DataFrame:
    """Section 3.3: young people with pauses (closed then re-referred), by area.

    Table id ``text_3_3_newcastle`` (the report gives Newcastle's 2); one row per area.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        sp = engagement_spells(service, warn=False).frame
    paused = sp[sp["spell_number"] > 1].drop_duplicates("person_id")
    areas = _areas(service["area"], AREA_ORDER)
    rows = []
    for a in areas:
        k = int((paused["area"] == a).sum())
        rows.append(
            _row(
                "text_3_3_newcastle",
                "Young people with pauses (closed and re-referred)",
                a,
                "n",
                k,
                k,
                np.nan,
                k,
            )
        )
    return _frame(rows)


def engaged_text(
    service: pd.DataFrame, *, age_sources: Sequence[str] | None = ("Service data",)
) -> pd.DataFrame:
    """Section 3.2 figures on the young people referred (``text_3_2_engaged``).

    ``Male`` (measure ``n``: males among referrals with a known gender, the count behind
    "the majority were male") and ``Age at referral`` (``mean``, ``min``, ``max``) by area
    and Overall, from service-data rows as in :func:`table3`. The printed "223 young
    people" and the median age are not regenerated here (the first counts referrals, see
    :doc:`/explanation/synthetic-data`).
    """
    _require(service, ("area", "gender", "referral_date"), "service", "engaged_text")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        t3 = table3(service, age_sources=age_sources)
    tid = "text_3_2_engaged"
    ages = t3[t3["row_label"].isin(["Average age", "Min.", "Max."])].copy()
    ages["row_label"] = "Age at referral"
    ages["table_id"] = tid
    gender = service["gender"].astype("string")
    known = gender.isin(["Male", "Female", "Other"])
    k = int((gender[known] == "Male").sum())
    male = _frame(
        [
            _row(
                tid,
                "Male",
                OVERALL,
                "n",
                k,
                k,
                int(known.sum()),
                k,
                "males among referrals with a known gender",
            )
        ]
    )
    return pd.concat([male, ages], ignore_index=True)
