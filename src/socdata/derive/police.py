"""Person-level windows around referral from police extracts.

:func:`referral_windows` gives, for each engager, a window of ``window_months`` calendar
months before the referral date and one of the same length from the referral date on,
with the days observed in each (inside the data's coverage, up to the extract date, custody
excluded) and the outcome counts in each. It is the person-level layer under
:func:`socdata.describe.police.before_after`; like every ``derive`` table it holds person
rows and must not be written to a report.

**Windows, exactly.**
``before = [R - window_months, R)`` and ``after = [R, R + window_months)`` in calendar
months from the referral date ``R`` (so an arrest on the referral day counts as *after*:
referral follows the arrest that prompted it only when it is recorded on a later day). The
observed part of each window is its intersection with ``[start, extract_date]`` (both
inclusive). Custody days (``event_date`` up to the day before ``custody_end_date``; open
spells to the extract date) are subtracted from the observed days. A window is *full* when
no part of it falls outside ``[start, extract_date]`` (custody does not make it partial).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socdata.dates import DAYS_PER_YEAR, month_start
from socdata.errors import SocdataError

__all__ = ["DAYS_PER_MONTH", "coverage_start", "custody_spells", "referral_windows"]

#: Days in an average month (365.25 / 12, :data:`socdata.dates.DAYS_PER_YEAR` / 12): the unit
#: of "per person-month" rates.
DAYS_PER_MONTH: float = DAYS_PER_YEAR / 12


def custody_spells(persons: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Merged custody spells per person, as half-open date intervals.

    Parameters
    ----------
    persons
        ``police_persons`` (``person_id``, ``extract_date``): open spells end after the
        person's extract date.
    events
        ``police_events``; only rows with ``event_type == "Custody"`` are used.

    Returns
    -------
    pandas.DataFrame
        ``person_id``, ``custody_start`` (first day in custody), ``custody_end`` (first day
        out of custody), overlapping or touching spells merged. Spells of unknown people or
        without a start date are left out.
    """
    cust = events.loc[events["event_type"].astype(str) == "Custody"]
    ext = persons.set_index(persons["person_id"].astype(str))["extract_date"]
    ext = pd.to_datetime(ext)
    pid = cust["person_id"].astype(str)
    start = pd.to_datetime(cust["event_date"])
    if "custody_end_date" in cust.columns:
        end = pd.to_datetime(cust["custody_end_date"])
    else:
        end = pd.Series(pd.NaT, index=cust.index, dtype="datetime64[ns]")
    open_end = ext.reindex(pid.to_numpy()).to_numpy() + np.timedelta64(1, "D")
    end = end.where(end.notna(), pd.Series(open_end, index=cust.index))
    known = pid.isin(ext.index)
    df = pd.DataFrame({"person_id": pid, "s": start, "e": end})[known].dropna()
    df = df[df["e"] > df["s"]].sort_values(["person_id", "s"], kind="stable")
    if df.empty:
        return pd.DataFrame(
            {
                "person_id": pd.Series(dtype=object),
                "custody_start": pd.Series(dtype="datetime64[ns]"),
                "custody_end": pd.Series(dtype="datetime64[ns]"),
            }
        )
    prev = df.groupby("person_id")["e"].cummax().groupby(df["person_id"]).shift()
    block = (prev.isna() | (df["s"] > prev)).cumsum()
    out = df.groupby(block).agg(
        person_id=("person_id", "first"), custody_start=("s", "min"), custody_end=("e", "max")
    )
    return out.reset_index(drop=True)


def _overlap_days(a0, a1, b0, b1) -> np.ndarray:
    lo = np.maximum(a0, b0)
    hi = np.minimum(a1, b1)
    return np.clip((hi - lo) / np.timedelta64(1, "D"), 0, None)


def referral_windows(
    persons: pd.DataFrame,
    events: pd.DataFrame,
    missing: pd.DataFrame,
    *,
    window_months: int = 12,
    start: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Outcome counts and observed days in equal windows before and after referral.

    Parameters
    ----------
    persons, events, missing
        Police extracts with the contract's columns. Only engagers (``group == "Engager"``)
        with a referral date are used. Not modified.
    window_months
        Length of each window in calendar months (default 12).
    start
        First day of the data's coverage (default: first day of the month of the earliest
        event or missing-episode report, as in
        :func:`socdata.derive.panel.person_month_panel`).

    Returns
    -------
    pandas.DataFrame
        One row per engager and window (``window`` is ``"before"`` or ``"after"``):
        ``person_id``, ``area``, ``police_force``, ``referral_date``, ``window``,
        ``window_start``, ``window_end`` (exclusive), ``observed_days`` (inside the coverage,
        custody excluded), ``custody_days``, ``full`` (window entirely inside the coverage),
        ``arrests``, ``offences``, ``drug_arrests``, ``missing_episodes`` and one
        ``offences: <category>`` and ``arrests: <category>`` column per harmonised
        category present in the events.
    """
    if int(window_months) != window_months or window_months < 1:
        raise SocdataError(
            f"referral_windows(): window_months={window_months!r} breaks the rule 'a whole "
            "number of months >= 1'; pass e.g. window_months=12."
        )
    _check_persons(persons)
    ev_date = pd.to_datetime(events["event_date"])
    ms_date = pd.to_datetime(missing["reported_datetime"])
    start_ts = coverage_start(start, ev_date, ms_date, "referral_windows")
    win, obs0, obs1 = _windows(persons, events, start_ts, int(window_months))
    return _window_counts(win, obs0, obs1, events, ev_date, missing, ms_date)


def coverage_start(start, ev_date: pd.Series, ms_date: pd.Series, caller: str) -> pd.Timestamp:
    """First day the police data cover: ``start``, else the month of the earliest record.

    The one rule for :func:`referral_windows` and
    :func:`socdata.derive.panel.person_month_panel`.
    """
    if start is not None:
        return pd.Timestamp(start).normalize()
    firsts = [d.min() for d in (ev_date, ms_date) if d.notna().any()]
    if not firsts:
        raise SocdataError(
            f"{caller}(): no dated events or missing episodes to infer the data's coverage "
            "start from; pass start='YYYY-MM-DD'."
        )
    return month_start(min(firsts))


def _check_persons(persons: pd.DataFrame) -> None:
    need = ("person_id", "group", "area", "police_force", "referral_date", "extract_date")
    miss_cols = [c for c in need if c not in persons.columns]
    if miss_cols:
        raise SocdataError(
            f"referral_windows(): police_persons has no column(s) {miss_cols}; read it with "
            "socdata.read_extract(path, 'police_persons')."
        )
    dup = persons["person_id"].astype(str).duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise SocdataError(
            f"referral_windows(): police_persons has {int(dup.sum())} duplicated person_id "
            f"value(s) (first at row {row + 2} counting the header as row 1); the rule is one "
            "row per person. Remove or merge the duplicates."
        )


def _windows(persons, events, start_ts: pd.Timestamp, window_months: int):
    """One row per engager and window with observed and custody days; the observed bounds."""
    eng = persons.loc[persons["group"].astype(str) == "Engager"].copy()
    eng["person_id"] = eng["person_id"].astype(str)
    eng["referral_date"] = pd.to_datetime(eng["referral_date"]).dt.normalize()
    eng["extract_date"] = pd.to_datetime(eng["extract_date"]).dt.normalize()
    eng = eng.dropna(subset=["referral_date"])
    off = pd.DateOffset(months=window_months)
    r = eng["referral_date"]
    frames = []
    for name, w0, w1 in (("before", r - off, r), ("after", r, r + off)):
        frames.append(
            pd.DataFrame(
                {
                    "person_id": eng["person_id"].to_numpy(),
                    "area": eng["area"].astype(str).to_numpy(),
                    "police_force": eng["police_force"].astype(str).to_numpy(),
                    "referral_date": r.to_numpy(),
                    "window": name,
                    "window_start": w0.to_numpy(),
                    "window_end": w1.to_numpy(),
                    "_obs_end": (eng["extract_date"] + pd.Timedelta(days=1)).to_numpy(),
                }
            )
        )
    win = pd.concat(frames, ignore_index=True)
    w0, w1, end = (win[c].to_numpy() for c in ("window_start", "window_end", "_obs_end"))
    obs0 = np.maximum(w0, np.datetime64(start_ts))
    obs1 = np.minimum(w1, end)
    in_cov = _overlap_days(w0, w1, np.datetime64(start_ts), end)
    win["full"] = (win["window_start"] >= start_ts) & (win["window_end"] <= win["_obs_end"])
    # custody days inside the observed part of each window
    spells = custody_spells(persons, events)
    cust = np.zeros(len(win))
    if not spells.empty:
        j = win[["person_id"]].reset_index().merge(spells, on="person_id")
        d = _overlap_days(
            obs0[j["index"]],
            obs1[j["index"]],
            j["custody_start"].to_numpy(),
            j["custody_end"].to_numpy(),
        )
        cust = np.bincount(j["index"].to_numpy(), weights=d, minlength=len(win))
    win["custody_days"] = cust.astype(np.int64)
    win["observed_days"] = (in_cov - cust).astype(np.int64)
    return win.drop(columns="_obs_end"), obs0, obs1


def _window_counts(win, obs0, obs1, events, ev_date, missing, ms_date) -> pd.DataFrame:
    """Outcome counts per window (records must fall inside the window's observed part)."""
    key = win[["person_id", "window"]].reset_index()
    pos = {
        w: pd.Series(
            key.loc[key["window"] == w, "index"].to_numpy(),
            index=key.loc[key["window"] == w, "person_id"].to_numpy(),
        )
        for w in ("before", "after")
    }

    def assign(pid: pd.Series, dates: pd.Series) -> np.ndarray:
        ids = pid.astype(str).to_numpy()
        b = pos["before"].reindex(ids).to_numpy()
        a = pos["after"].reindex(ids).to_numpy()
        d = dates.dt.normalize().to_numpy()
        row = np.full(ids.size, -1, np.int64)
        known = ~np.isnan(b)
        bi = np.where(known, b, 0).astype(np.int64)
        ai = np.where(known, a, 0).astype(np.int64)
        in_b = known & (d >= obs0[bi]) & (d < obs1[bi])
        in_a = known & (d >= obs0[ai]) & (d < obs1[ai])
        row[in_b] = bi[in_b]
        row[in_a] = ai[in_a]
        return row

    win = win.copy()
    etype = events["event_type"].astype(str).to_numpy()
    cat = events["offence_category"].astype(str).to_numpy()
    er = assign(events["person_id"], ev_date)
    n = len(win)

    def count(mask: np.ndarray) -> np.ndarray:
        rows = er[mask & (er >= 0)]
        return np.bincount(rows, minlength=n).astype(np.int64)

    arrest = etype == "Arrest"
    offence = etype == "Offence"
    win["arrests"] = count(arrest)
    win["offences"] = count(offence)
    win["drug_arrests"] = count(arrest & (cat == "Drug offences"))
    mr = assign(missing["person_id"], ms_date)
    win["missing_episodes"] = np.bincount(mr[mr >= 0], minlength=n).astype(np.int64)
    for c in sorted(set(cat[offence | arrest])):
        win[f"offences: {c}"] = count(offence & (cat == c))
        win[f"arrests: {c}"] = count(arrest & (cat == c))
    return win
