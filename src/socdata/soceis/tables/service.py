"""Tables 3 and 4 (service extract): age and gender; referral source, case status, closure."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from socdata.dates import completed_years
from socdata.describe.outcomes import round_half_up
from socdata.errors import ExcludedRowsWarning
from socdata.soceis.tables._common import (
    _CLOSURES,
    _SOURCES,
    _STATUSES,
    AREA_ORDER,
    OVERALL,
    _areas,
    _count_table,
    _frame,
    _pct,
    _require,
    _row,
)


def _age_years(service: pd.DataFrame) -> pd.Series:
    """Completed years at referral: ``age_at_referral``, else from the date of birth."""
    age = (
        pd.to_numeric(service["age_at_referral"], errors="coerce")
        if "age_at_referral" in service.columns
        else pd.Series(np.nan, index=service.index)
    )
    if "date_of_birth" in service.columns:
        years = completed_years(service["date_of_birth"], service["referral_date"])
        age = age.fillna(years.astype("Float64").astype(float))
    return age


def table3(
    service: pd.DataFrame, *, age_sources: Sequence[str] | None = ("Service data",)
) -> pd.DataFrame:
    """Table 3: age at referral (mean, min, max) and % male, by area.

    Parameters
    ----------
    service
        Validated ``service`` extract (one row per referral episode).
    age_sources
        ``record_source`` values whose ages are used. The report computed age from service
        data only (its footnote: "Age data missing for Dundee and data on gender calculated from case
        file data"), so the default leaves case-file rows out of the age rows (their cells
        are missing, printed ``-``) while gender uses every row. ``None`` uses every row.
        Rows without ``record_source`` count as service data.

    Returns
    -------
    pandas.DataFrame
        Tidy table ``table3``: rows ``Average age`` (measure ``mean``), ``Min.``
        (``min``), ``Max.`` (``max``), ``Male`` (``pct`` of referrals with a known gender).
        Ages are completed years at referral (``age_at_referral``, or computed from the date
        of birth); the mean is rounded half-up.
    """
    _require(service, ("area", "gender", "referral_date"), "service", "table3")
    age = _age_years(service)
    use_age = pd.Series(True, index=service.index)
    if age_sources is not None and "record_source" in service.columns:
        src = service["record_source"].astype("string").fillna("Service data")
        use_age = src.isin(list(age_sources))
    n_no_age = int((use_age & age.isna()).sum())
    if n_no_age:
        warnings.warn(
            f"table3: {n_no_age} referral(s) have no age and are left out of the age rows",
            ExcludedRowsWarning,
            stacklevel=2,
        )
    gender = service["gender"].astype("string")
    known = gender.isin(["Male", "Female", "Other"])
    n_unknown = int((~known).sum())
    if n_unknown:
        warnings.warn(
            f"table3: {n_unknown} referral(s) with gender not known are left out "
            "of the % male denominator",
            ExcludedRowsWarning,
            stacklevel=2,
        )
    rows = []
    areas = _areas(service["area"], AREA_ORDER)
    for col in [*areas, OVERALL]:
        sel = pd.Series(True, index=service.index) if col == OVERALL else service["area"] == col
        a = age[sel & use_age].dropna()
        excluded_src = int((sel & ~use_age).sum())
        note = ""
        if a.empty:
            note = (
                "no age data from service data (case-file records only)"
                if excluded_src
                else "no age data"
            )
            for lab, meas in (("Average age", "mean"), ("Min.", "min"), ("Max.", "max")):
                rows.append(_row("table3", lab, col, meas, np.nan, np.nan, 0, np.nan, note))
        else:
            if excluded_src:
                note = f"age from service data only ({excluded_src} case-file row(s) left out)"
            m = float(a.mean())
            rows.append(
                _row(
                    "table3", "Average age", col, "mean", round_half_up(m), np.nan, len(a), m, note
                )
            )
            rows.append(
                _row(
                    "table3",
                    "Min.",
                    col,
                    "min",
                    float(a.min()),
                    np.nan,
                    len(a),
                    float(a.min()),
                    note,
                )
            )
            rows.append(
                _row(
                    "table3",
                    "Max.",
                    col,
                    "max",
                    float(a.max()),
                    np.nan,
                    len(a),
                    float(a.max()),
                    note,
                )
            )
        g = gender[sel & known]
        k = int((g == "Male").sum())
        v, ex = _pct(k, len(g))
        rows.append(_row("table3", "Male", col, "pct", v, k, len(g), ex))
    return _frame(rows)


# --------------------------------------------------------------------------- Table 4


def table4_referral_source(service: pd.DataFrame) -> pd.DataFrame:
    """Table 4, referrals by source: n and % of all referrals in the area, with a Total row.

    The Total row's ``pct`` is the exact total (100); the report prints the sum of its
    rounded percentages, which can differ (Edinburgh: 101).
    """
    _require(service, ("area", "referral_source"), "service", "table4_referral_source")
    return _count_table(
        service,
        table_id="table4_referral_source",
        column="referral_source",
        categories=_SOURCES,
        area_order=AREA_ORDER,
        total_row="Total",
        base_note="% of all referrals in the area",
    )


def table4_case_status(service: pd.DataFrame) -> pd.DataFrame:
    """Table 4, case status at the extract date: n and % of all referrals in the area."""
    _require(service, ("area", "case_status"), "service", "table4_case_status")
    return _count_table(
        service,
        table_id="table4_case_status",
        column="case_status",
        categories=_STATUSES,
        area_order=AREA_ORDER,
        base_note="% of all referrals in the area",
    )


def table4_closure_reason(service: pd.DataFrame) -> pd.DataFrame:
    """Table 4, reason for case closure: n and % of the area's closed cases."""
    _require(service, ("area", "case_status", "closure_reason"), "service", "table4_closure_reason")
    closed = service["case_status"].astype("string") == "Closed"
    return _count_table(
        service,
        table_id="table4_closure_reason",
        column="closure_reason",
        categories=_CLOSURES,
        area_order=AREA_ORDER,
        base_mask=closed,
        base_note="% of the area's closed cases",
    )
