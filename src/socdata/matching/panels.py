"""The matched sample as a person-month panel, on the calendar or on the index clock.

:func:`matched_panel` copies each matched unit's panel rows (a comparator used at several
index months once per unit, see :mod:`socdata.matching.riskset`); :func:`aligned_panel`
puts every unit on the clock of its own index month for matched event studies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socdata.errors import MatchingError
from socdata.matching._riskset_data import month_index
from socdata.matching.result import MatchResult

__all__ = ["aligned_panel", "matched_panel"]


def matched_panel(panel: pd.DataFrame, result: MatchResult) -> pd.DataFrame:
    """Person-month panel of the matched sample, one block of rows per matched unit.

    Parameters
    ----------
    panel
        Person-month panel holding the matched engagers and comparators (contract columns).
        Not modified.
    result
        A :class:`~socdata.matching.result.MatchResult` from :func:`risk_set_match`.

    Returns
    -------
    pandas.DataFrame
        The panel rows of matched units, with ``unit_id`` (``person_id``, or
        ``"<person_id>@<YYYY-MM>"`` for a comparator used at several index months, whose
        rows are then repeated once per unit), ``match_weight`` (MatchIt weight of the
        unit), and ``cohort`` (index month), ``months_since_referral`` (months since the
        index month), ``post`` (1 from the index month on) and ``treated`` (1 = engager)
        set from the match for every unit.

    Raises
    ------
    MatchingError
        When the result has no index months (it does not come from risk-set matching) or
        the panel lacks ``person_id``/``month``.
    """
    uw = result.unit_weights
    if uw.empty or uw["index_month"].isna().all():
        raise MatchingError(
            "matched_panel needs a result of risk_set_match (units with index months)"
        )
    for c in ("person_id", "month"):
        if c not in panel.columns:
            raise MatchingError(f"panel: missing column {c!r}")
    units = uw.rename(columns={"weight": "match_weight"})
    out = panel.merge(
        units[["person_id", "unit_id", "treated", "index_month", "match_weight"]].rename(
            columns={"treated": "_treated_unit"}
        ),
        on="person_id",
        how="inner",
        validate="many_to_many",
    )
    mon = month_index(out["month"].to_numpy())
    idx = month_index(out["index_month"].to_numpy())
    out["cohort"] = out["index_month"].to_numpy()
    out["months_since_referral"] = pd.array(mon - idx, dtype="Int64")
    out["post"] = (mon >= idx).astype("int64")
    out["treated"] = out["_treated_unit"].astype("int64")
    out = out.drop(columns=["_treated_unit", "index_month"])
    return out.sort_values(["unit_id", "month"], kind="stable").reset_index(drop=True)


def aligned_panel(matched: pd.DataFrame, *, window: tuple[int, int] = (-12, 12)) -> pd.DataFrame:
    """Matched panel on event time: every unit aligned on its index month.

    In matched difference-in-differences each comparator shares its engager's index month,
    so the natural clock is the month relative to that date.  This function keeps the rows
    of a :func:`matched_panel` inside ``window`` and adds

    * ``event_period``: ``months_since_referral - window[0] + 1`` (1, 2, ...), a numeric
      period common to engagers and comparators;
    * ``event_cohort``: the ``event_period`` of month 0 for engagers, ``0`` (never treated)
      for comparators, so that ``socdata.did.event_study`` and ``socdata.did.att_gt`` with
      ``time="event_period", cohort="event_cohort"`` compare engagers with their matched
      comparators on the same clock (period fixed effects are then event-time effects);
    * ``treated_post``: ``treated * post``, the treatment indicator of a TWFE regression.

    Parameters
    ----------
    matched
        Output of :func:`matched_panel` (needs ``months_since_referral``, ``treated``,
        ``post``).  Not modified.
    window
        First and last event month kept, e.g. ``(-12, 12)``.

    Returns
    -------
    pandas.DataFrame
    """
    lo, hi = int(window[0]), int(window[1])
    if not lo < 0 <= hi:
        raise MatchingError(
            f"window must satisfy first < 0 <= last, e.g. (-12, 12); got {window!r}"
        )
    for c in ("months_since_referral", "treated", "post", "unit_id"):
        if c not in matched.columns:
            raise MatchingError(
                f"aligned_panel: column {c!r} missing; pass the output of matched_panel()"
            )
    e = matched["months_since_referral"].astype("float64")
    out = matched.loc[(e >= lo) & (e <= hi)].copy()
    ev = out["months_since_referral"].astype("int64")
    out["event_period"] = (ev - lo + 1).astype("int64")
    out["event_cohort"] = np.where(out["treated"].to_numpy() == 1, 1 - lo, 0).astype("int64")
    out["treated_post"] = (out["treated"] * out["post"]).astype("int64")
    return out.reset_index(drop=True)
