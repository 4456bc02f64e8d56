"""Kaplan-Meier curves safe to release: every step backed by enough people.

A Kaplan-Meier curve drawn from person records steps once per event time; with a few
dozen young people each step is one or two of them, and the step heights give back the
numbers at risk and the events (``S(t+) = S(t) (1 - d/n)``).  ACRO's rule
(``survival_safe_threshold``, default 10) is that every released step is backed by at
least that many people.  :func:`controlled_km_curve` groups consecutive event times
into intervals until each interval holds at least ``threshold`` events, stops the curve
where fewer than ``threshold`` people remain at risk, rounds the counts it releases to
the rounding base and the survival to two decimals.  The figure is drawn from, and its
data written as, that grouped curve.
"""

from __future__ import annotations

import math

import pandas as pd

from socdata.rounding import round_half_up, round_to_base

__all__ = ["controlled_km_curve"]


def controlled_km_curve(curve: pd.DataFrame, rules) -> pd.DataFrame:
    """Group a Kaplan-Meier curve so that every released step is backed by enough people.

    Parameters
    ----------
    curve
        One group's curve: ``time``, ``at_risk``, ``events``, ``survival`` (as
        :func:`socdata.describe.duration.kaplan_meier` returns), sorted by time.
    rules
        A :class:`~socdata.report.disclosure.RuleSet`; under ``none`` the curve's event
        times are returned unchanged (with exact counts).

    Returns
    -------
    pandas.DataFrame
        ``time_from``, ``time_to`` (the interval the step closes), ``at_risk`` (at the
        interval's start), ``events`` (in the interval), ``survival`` (S just after
        ``time_to``); counts rounded and survival to 2 decimals when control is on.

    Examples
    --------
    >>> import pandas as pd
    >>> from socdata.report.disclosure import DEFAULT_RULE_SET
    >>> c = pd.DataFrame({"time": [1, 2, 3, 4], "at_risk": [40, 34, 27, 19],
    ...                   "events": [6, 7, 8, 3], "survival": [0.85, 0.675, 0.475, 0.4]})
    >>> controlled_km_curve(c, DEFAULT_RULE_SET)[["time_to", "events", "survival"]].values.tolist()
    [[2.0, 15.0, 0.68], [4.0, 10.0, 0.4]]
    """
    c = curve.sort_values("time").reset_index(drop=True)
    c = c[c["events"] > 0] if "events" in c else c
    enabled = getattr(rules, "enabled", False)
    thr = int(getattr(rules, "survival_safe_threshold", 10)) if enabled else 1
    base = int(rules.rounding_base) if enabled else 1
    rows = []
    start, start_risk, events = None, None, 0
    prev_to = 0.0
    for r in c.itertuples(index=False):
        if start is None:
            start, start_risk, events = prev_to, float(r.at_risk), 0
        if start_risk < thr:
            break  # fewer than the threshold left at risk: the curve stops here
        events += int(r.events)
        if events >= thr:
            rows.append((start, float(r.time), start_risk, events, float(r.survival)))
            prev_to, start = float(r.time), None
    out = pd.DataFrame(rows, columns=["time_from", "time_to", "at_risk", "events", "survival"])
    if enabled:
        for col in ("at_risk", "events"):
            out[col] = out[col].map(lambda v: round_to_base(float(v), base))
        out["survival"] = out["survival"].map(
            lambda v: round_half_up(v, 2) if not math.isnan(v) else v
        )
    return out
