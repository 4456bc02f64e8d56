"""Engagement spells: one row per referral episode that started an intervention.

A young person can be closed and re-referred; each referral episode with an intervention
start date is a separate *spell* of the same person, so a pause between spells stays
visible (report section 3.3: "two young people in Newcastle experienced pauses in their
interventions, whereby they were closed and then re-referred").

Duration is counted in *full months* (report section 2.2.1): closed spells run from the
intervention start date to the intervention end date, open spells from the start date to
the area's date of data collection (``extract_date``). See :func:`full_months` for the
exact definition, including month-end edge cases.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from socdata.errors import ExcludedRowsWarning, SocdataError
from socdata.provenance import FlowLog

__all__ = [
    "SPELL_COLUMNS",
    "EngagementSpells",
    "engagement_spells",
    "full_months",
]

#: Columns of :attr:`EngagementSpells.frame`, in order.
SPELL_COLUMNS: tuple[str, ...] = (
    "person_id",
    "referral_id",
    "area",
    "spell_number",
    "n_spells",
    "start_date",
    "end_date",
    "case_status",
    "closure_reason",
    "censored",
    "months",
    "gap_months_before",
    "extract_date",
)

_REQUIRED = (
    "person_id",
    "referral_id",
    "area",
    "case_status",
    "extract_date",
)


def full_months(
    start: pd.Series | pd.Timestamp | str, end: pd.Series | pd.Timestamp | str
) -> pd.Series | int:
    """Number of whole calendar months from ``start`` to ``end``.

    Definition: the largest ``m >= 0`` such that ``start (+) m months <= end``, where
    ``(+)`` adds calendar months and, when the day does not exist in the target month,
    clamps to that month's last day (the rule of :class:`pandas.DateOffset`,
    ``dateutil.relativedelta`` and lubridate's ``%m+%``). Consequences:

    * 15 Jan -> 14 Feb is 0 months; 15 Jan -> 15 Feb is 1 month;
    * 31 Jan -> 28 Feb (non-leap year) is 1 month, because 31 Jan (+) 1 month = 28 Feb;
    * 31 Jan -> 30 Mar is 1 month (31 Jan (+) 2 months = 31 Mar);
    * 29 Feb 2020 -> 28 Feb 2021 is 12 months (29 Feb 2020 (+) 12 months = 28 Feb 2021);
    * 30 Jan -> 28 Feb (non-leap) is 1 month as well: a start late in a long month
      completes its month on the last day of a shorter one;
    * the same date gives 0.

    Parameters
    ----------
    start, end
        Dates (scalars or aligned Series). Missing values give ``<NA>``.

    Returns
    -------
    int or pandas.Series of Int64
        Whole months; a scalar when both inputs are scalars.

    Raises
    ------
    SocdataError
        If any ``end`` is before its ``start``.
    """
    scalar = not isinstance(start, pd.Series) and not isinstance(end, pd.Series)
    s = pd.to_datetime(pd.Series(start) if not isinstance(start, pd.Series) else start)
    e = pd.to_datetime(pd.Series(end) if not isinstance(end, pd.Series) else end)
    if isinstance(start, pd.Series) and isinstance(end, pd.Series):
        e = e.set_axis(s.index)
    elif isinstance(start, pd.Series):
        e = pd.Series(np.repeat(e.to_numpy(), len(s)), index=s.index)
    elif isinstance(end, pd.Series):
        s = pd.Series(np.repeat(s.to_numpy(), len(e)), index=e.index)
    s = s.dt.normalize()
    e = e.dt.normalize()
    bad = s.notna() & e.notna() & (e < s)
    if bad.any():
        i = bad[bad].index[0]
        raise SocdataError(
            f"full_months: end date {e[i].date()} is before start date {s[i].date()} "
            f"(row {i}; {int(bad.sum())} such rows). Rule: an intervention cannot end "
            "before it starts. Fix the dates in the extract or exclude these rows."
        )
    ok = s.notna() & e.notna()
    out = pd.Series(pd.NA, index=s.index, dtype="Int64")
    if ok.any():
        sy, sm, sd = s[ok].dt.year, s[ok].dt.month, s[ok].dt.day
        ey, em, ed = e[ok].dt.year, e[ok].dt.month, e[ok].dt.day
        m = (ey - sy) * 12 + (em - sm)
        # start (+) m months: clamp the day to the target month's length
        ty = sy + (sm - 1 + m) // 12
        tm = (sm - 1 + m) % 12 + 1
        target_len = pd.to_datetime(
            pd.DataFrame({"year": ty, "month": tm, "day": 1})
        ).dt.days_in_month
        tday = np.minimum(sd, target_len)
        m = m - (ed < tday).astype(int)
        out[ok] = m.astype("int64")
    if scalar:
        v = out.iloc[0]
        return pd.NA if pd.isna(v) else int(v)
    return out


@dataclasses.dataclass(frozen=True)
class EngagementSpells:
    """Engagement spells derived from a service extract.

    This is a *derived table of person rows*: keep it inside an analysis, never in a
    result or an output file.

    Attributes
    ----------
    frame
        One row per spell with the columns of :data:`SPELL_COLUMNS`.
    flow
        Flow log: referral episodes in, spells out, exclusions by reason.
    """

    frame: pd.DataFrame = dataclasses.field(repr=False)
    flow: FlowLog

    def __len__(self) -> int:
        return len(self.frame)


def _check_columns(service: pd.DataFrame, required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in service.columns]
    if missing:
        raise SocdataError(
            f"service extract: missing column(s) {missing}; engagement spells need "
            f"{list(required)}. Columns present: {list(service.columns)[:20]}. Read the file "
            "with socdata.read_extract(path, 'service') so supplier names are mapped."
        )


def engagement_spells(
    service: pd.DataFrame,
    *,
    extract_date: Mapping[str, str | pd.Timestamp] | None = None,
    warn: bool = True,
) -> EngagementSpells:
    """Build engagement spells (one per referral episode that started) from a service extract.

    Parameters
    ----------
    service
        Validated ``service`` extract (one row per referral episode).
    extract_date
        Optional per-area date of data collection overriding the ``extract_date`` column,
        e.g. ``{"Cardiff": "2022-10-31"}``.
    warn
        Emit :class:`socdata.errors.ExcludedRowsWarning` when episodes are excluded.

    Returns
    -------
    EngagementSpells
        ``frame`` with one row per spell; ``flow`` counts every excluded episode:
        no intervention start date (not allocated, not started, case-file records without
        dates), closed without an end date, open with a start after the extract date,
        status other than Open/Closed.

    Notes
    -----
    Open spells are *censored*: the young person was still engaged at the extract date,
    so their duration is a lower bound. ``months`` is :func:`full_months` of
    ``start_date`` to ``end_date`` (the extract date for open spells).
    ``gap_months_before`` is the full months between the previous spell's end and this
    spell's start for the same person (a re-referral pause); ``<NA>`` for a first spell.
    The input is not modified.
    """
    _check_columns(service, _REQUIRED)
    df = service.copy()
    n_in = len(df)
    # an optional column: without it no episode has a spell (every one is counted)
    start = (
        pd.to_datetime(df["intervention_start_date"])
        if "intervention_start_date" in df.columns
        else pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    )
    end = (
        pd.to_datetime(df["intervention_end_date"])
        if "intervention_end_date" in df.columns
        else pd.Series(pd.NaT, index=df.index)
    )
    ext = pd.to_datetime(df["extract_date"])
    if extract_date:
        over = df["area"].map({k: pd.Timestamp(v) for k, v in extract_date.items()})
        ext = pd.to_datetime(over).fillna(ext)
    status = df["case_status"].astype("string")

    no_start = start.isna()
    other_status = ~no_start & ~status.isin(["Open", "Closed"])
    closed_no_end = ~no_start & (status == "Closed") & end.isna()
    is_open = status == "Open"
    stop = end.where(status == "Closed", ext)
    open_after = ~no_start & is_open & (start > ext)
    end_before = ~no_start & ~closed_no_end & (status == "Closed") & (end < start)
    excl = {
        "no intervention start date": int(no_start.sum()),
        "status neither Open nor Closed but has a start date": int(other_status.sum()),
        "closed without an intervention end date": int(closed_no_end.sum()),
        "open with a start date after the extract date": int(open_after.sum()),
        "closed with end date before start date": int(end_before.sum()),
    }
    keep = ~(no_start | other_status | closed_no_end | open_after | end_before)
    flow = FlowLog().add(
        "referral episodes -> engagement spells", n_in, int(keep.sum()), excl, unit="episodes"
    )
    if warn and int((~keep).sum()):
        detail = "; ".join(f"{k}: {v}" for k, v in excl.items() if v)
        warnings.warn(
            f"engagement_spells: {int((~keep).sum())} of {n_in} referral episodes have no "
            f"engagement spell ({detail}).",
            ExcludedRowsWarning,
            stacklevel=2,
        )

    out = pd.DataFrame(
        {
            "person_id": df["person_id"].astype("string"),
            "referral_id": df["referral_id"].astype("string"),
            "area": df["area"].astype("string"),
            "start_date": start.dt.normalize(),
            "end_date": stop.dt.normalize(),
            "case_status": status,
            "closure_reason": (
                df["closure_reason"].astype("string")
                if "closure_reason" in df.columns
                else pd.Series(pd.NA, index=df.index, dtype="string")
            ),
            "censored": is_open,
            "extract_date": ext.dt.normalize(),
        }
    )[keep.to_numpy()]
    out = out.sort_values(["person_id", "start_date", "referral_id"], kind="mergesort")
    out["months"] = full_months(out["start_date"], out["end_date"])
    out["spell_number"] = out.groupby("person_id").cumcount() + 1
    out["n_spells"] = out.groupby("person_id")["referral_id"].transform("size")
    prev_end = out.groupby("person_id")["end_date"].shift(1)
    gap = pd.Series(pd.NA, index=out.index, dtype="Int64")
    has_prev = prev_end.notna() & (out["start_date"] >= prev_end)
    if has_prev.any():
        gap[has_prev] = full_months(prev_end[has_prev], out.loc[has_prev, "start_date"])
    overlap = prev_end.notna() & (out["start_date"] < prev_end)
    gap[overlap] = 0
    out["gap_months_before"] = gap
    out["spell_number"] = out["spell_number"].astype("int64")
    out["n_spells"] = out["n_spells"].astype("int64")
    out["censored"] = out["censored"].astype(bool)
    return EngagementSpells(frame=out[list(SPELL_COLUMNS)].reset_index(drop=True), flow=flow)
