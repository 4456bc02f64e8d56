"""Person-month panels from police extracts.

:func:`person_month_panel` turns the three police extract kinds (``police_persons``,
``police_events``, ``police_missing``) into one row per person x calendar month observed,
with outcome counts, days observed outside custody, and the timing of referral. The panel
is the input of the before/after summaries, risk-set matching and difference-in-differences.

**Observation window.**
A person is observed from ``start`` (default: the first day of the month of the earliest
event or missing-episode report in the extracts, i.e. the start of the data's coverage) to
their force's ``extract_date`` (inclusive), or to ``end`` when that is earlier. Police data
cover everybody in the force area for the whole period, so a month without records is a
month with zero counts, not a missing month: people with no events at all, and people whose
first record comes after referral, are present with zeros for every month before. Calendar
months at the edges are partial: ``exposure_days`` counts only the days inside the window.

**Custody.**
Custody rows of ``police_events`` (``event_type == "Custody"``) cover the days from
``event_date`` up to the day before ``custody_end_date`` (the release day is observed); an
open spell (no end date) lasts to the end of the window. Overlapping spells are merged.
Custody days are subtracted from ``exposure_days``; events recorded during custody are still
counted (an offence recorded in custody is a record like any other).

**Referral timing.**
``cohort`` is the month of the referral date for engagers, the month of the index date for
people listed in ``index_dates`` (e.g. matched comparators, given their engager's referral
month), and NaT otherwise. ``months_since_referral`` is 0 in that month, negative before;
``post`` is 1 from that month on (the referral month holds both pre- and post-referral days;
drop or down-weight event time 0 when that matters).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from socdata.dates import day_number, month_index, month_start
from socdata.derive.panel_schema import (
    _COUNTS,
    _GROUPS,
    PANEL_COLUMNS,
    PANEL_SCHEMA_FILE,
    PERSON_MONTH_PANEL_SCHEMA,
    validate_panel,
)
from socdata.derive.police import coverage_start, custody_spells
from socdata.errors import ExcludedRowsWarning, SocdataError
from socdata.provenance import FlowLog, Provenance

__all__ = [
    "PANEL_COLUMNS",
    "PANEL_SCHEMA_FILE",
    "PERSON_MONTH_PANEL_SCHEMA",
    "person_month_panel",
    "validate_panel",
]

#: Columns of the person-month panel, in order.
_PERSON_COLS = ("person_id", "group", "area", "police_force", "referral_date", "extract_date")


def _require(frame: pd.DataFrame, cols: tuple[str, ...], kind: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SocdataError(
            f"person_month_panel(): the {kind} extract has no column(s) {missing}; its columns "
            f"are {list(frame.columns)[:20]}. Read it with socdata.read_extract(path, {kind!r}), "
            "which maps supplier column names to the canonical ones."
        )


def _dates(series: pd.Series, kind: str, col: str) -> pd.Series:
    try:
        return pd.to_datetime(series)
    except (ValueError, TypeError) as exc:
        raise SocdataError(
            f"person_month_panel(): {kind}.{col} has values that are not dates ({exc}); "
            "use ISO dates (YYYY-MM-DD) or read the extract with socdata.read_extract()."
        ) from None


def person_month_panel(
    persons: pd.DataFrame,
    events: pd.DataFrame,
    missing: pd.DataFrame,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    index_dates: Mapping[str, object] | pd.Series | None = None,
    validate: bool = True,
) -> pd.DataFrame:
    """Build the person-month panel from police extracts.

    Parameters
    ----------
    persons, events, missing
        ``police_persons``, ``police_events`` and ``police_missing`` extracts with the
        contract's column names (see ``docs/explanation/architecture.md``). Not modified.
    start
        First day observed for everyone (default: first day of the month of the earliest
        event date or missing-episode report). Pass the police data's coverage start when
        known: a person with no records early on is then correctly counted as zero.
    end
        Last day observed (default: each person's ``extract_date``; an earlier ``end`` cuts
        every person there).
    index_dates
        Index dates (any day; its month becomes the ``cohort``), e.g. a matched comparator's
        engager's referral date. Either a mapping ``person_id -> date``, or a frame with
        ``person_id``, ``index_date`` and optionally ``unit_id``, one row per use: a person
        matched to several engagers (matching with replacement) then appears once per row,
        under its ``unit_id`` (default ``"<person_id>#<k>"`` when the person repeats) in the
        panel's ``person_id`` column, with the same records. An index date overrides an
        engager's referral month. Unknown identifiers raise an error.
    validate
        Validate the result against :data:`PERSON_MONTH_PANEL_SCHEMA` (default True).

    Returns
    -------
    pandas.DataFrame
        One row per person x calendar month observed, columns :data:`PANEL_COLUMNS`, sorted
        by person then month. ``panel.attrs["provenance"]`` holds a
        :class:`socdata.provenance.Provenance` with the flow of records used and excluded.

    Warns
    -----
    socdata.errors.ExcludedRowsWarning
        When event or missing-episode rows are not counted (no such person, no date, outside
        the observation window), with counts by reason.

    Raises
    ------
    socdata.errors.SocdataError
        On missing columns, duplicated persons, engagers without a referral date,
        comparators with one, unknown ``group`` labels, or unknown ``index_dates`` ids.

    Examples
    --------
    >>> from socdata.datasets.police import generate
    >>> d = generate(1, scale=0.2)
    >>> panel = person_month_panel(d["police_persons"], d["police_events"], d["police_missing"])
    >>> panel.columns[:5].tolist()
    ['person_id', 'group', 'area', 'police_force', 'month']
    """
    _require(persons, _PERSON_COLS, "police_persons")
    _require(events, ("person_id", "event_date", "event_type", "offence_category"), "police_events")
    _require(missing, ("person_id", "reported_datetime"), "police_missing")
    pid, group, referral, extract = _check_persons(persons)
    ev_date = _dates(events["event_date"], "police_events", "event_date")
    ms_date = _dates(missing["reported_datetime"], "police_missing", "reported_datetime")
    grid = _Grid.build(*_window(extract, start, end, ev_date, ms_date))
    pos = _Positions(pid)
    counts, flow, notes = _record_counts(events, missing, ev_date, ms_date, grid, pos)
    exposure = grid.observed - _custody_days(persons, events, pos, grid)[grid.flat_of_row]
    cohort = month_start(referral).where(pd.Series(group == "Engager"), pd.NaT)
    units = _units(index_dates, pid, pos, cohort.reset_index(drop=True))
    panel = _assemble(persons, group, grid, units, counts, exposure)
    n, n_units = pid.size, units[0].size
    flow = flow.add("person-months", n, n, unit="people")
    if n_units != n:
        notes.append(
            f"{n_units} panel units from {n} people: people given several index dates appear "
            "once per index date under their unit_id"
        )
    panel.attrs["provenance"] = Provenance.build(
        "socdata.derive.panel.person_month_panel",
        parameters={
            "start": str(grid.start.date()),
            "end": None if end is None else str(end),
            "index_dates": None if index_dates is None else f"{len(index_dates)} entries",
        },
        frames={"persons": persons, "events": events, "missing": missing},
        n_in=n,
        n_out=len(panel),
        flow=flow,
        notes=(
            "observation window: start to extract_date (inclusive), custody days excluded "
            "from exposure_days; post = 1 from the referral (index) month on",
            *notes,
        ),
    )
    if validate:
        validate_panel(panel)
    return panel


def _first_bad_row(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_persons(persons: pd.DataFrame):
    """Identifiers, groups, referral and extract dates, after the person-level rules."""
    pid = persons["person_id"].astype(str).to_numpy()
    dup = pd.Series(pid).duplicated().to_numpy()
    if dup.any():
        raise SocdataError(
            f"person_month_panel(): police_persons has {int(dup.sum())} duplicated person_id "
            f"value(s) (first at row {_first_bad_row(dup) + 2} counting the header as row 1); "
            "the rule is one row per person. Remove or merge the duplicates."
        )
    group = persons["group"].astype(str).to_numpy()
    bad = ~np.isin(group, _GROUPS)
    if bad.any():
        row = _first_bad_row(bad)
        raise SocdataError(
            f"person_month_panel(): police_persons.group has value {group[row]!r} at row "
            f"{row + 2}; allowed values are {list(_GROUPS)}."
        )
    referral = _dates(persons["referral_date"], "police_persons", "referral_date")
    extract = _dates(persons["extract_date"], "police_persons", "extract_date")
    for mask, rule in (
        ((group == "Engager") & referral.isna().to_numpy(), "an Engager has a referral_date"),
        (
            (group == "Comparator") & referral.notna().to_numpy(),
            "a Comparator carries no referral_date (give index dates via index_dates=)",
        ),
        (extract.isna().to_numpy(), "every person has an extract_date"),
    ):
        if mask.any():
            row = _first_bad_row(mask)
            raise SocdataError(
                f"person_month_panel(): police_persons breaks the rule '{rule}' in "
                f"{int(mask.sum())} row(s), first at row {row + 2} (group {group[row]!r}). "
                "Fix the extract or validate it with socdata.validate_extract()."
            )
    return pid, group, referral, extract


def _window(extract: pd.Series, start, end, ev_date, ms_date) -> tuple[pd.Timestamp, pd.Series]:
    """The window's start and each person's last observed day (extract date, or ``end``)."""
    start_ts = coverage_start(start, ev_date, ms_date, "person_month_panel")
    end_p = extract.dt.normalize()
    if end is not None:
        end_p = end_p.clip(upper=pd.Timestamp(end).normalize())
    empty = (end_p < start_ts).to_numpy()
    if empty.any():
        row = _first_bad_row(empty)
        raise SocdataError(
            f"person_month_panel(): the observation window is empty for "
            f"{int(empty.sum())} person(s) (first at row {row + 2}): extract_date "
            f"(or end) {end_p.iloc[row].date()} is before start {start_ts.date()}. Pass an "
            "earlier start or a later end."
        )
    return start_ts, end_p


@dataclasses.dataclass(frozen=True)
class _Grid:
    """The person x month rows of the panel and the day numbers of their windows."""

    start: pd.Timestamp
    origin: pd.Timestamp
    n: int
    n_months: int
    lengths: np.ndarray  # months observed per person
    person_of_row: np.ndarray
    month_of_row: np.ndarray
    flat_of_row: np.ndarray  # person * n_months + month
    month_starts: pd.DatetimeIndex
    ms_day: np.ndarray  # first day of each month
    me_day: np.ndarray  # first day of the next month
    obs_lo: int  # first day observed (everyone)
    obs_hi: np.ndarray  # first day after the window, per person
    observed: np.ndarray  # days observed per row

    @classmethod
    def build(cls, start_ts: pd.Timestamp, end_p: pd.Series) -> _Grid:
        origin = month_start(start_ts)
        last_idx = month_index(end_p, origin)
        n, n_months = last_idx.size, int(last_idx.max()) + 1
        lengths = last_idx + 1
        person_of_row = np.repeat(np.arange(n), lengths)
        month_of_row = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        month_starts = pd.date_range(origin, periods=n_months, freq="MS")
        ms_day = day_number(month_starts)
        me_day = ms_day + month_starts.days_in_month.to_numpy()
        obs_lo = int(day_number([start_ts])[0])
        obs_hi = day_number(end_p) + 1
        lo = np.maximum(ms_day[month_of_row], obs_lo)
        hi = np.minimum(me_day[month_of_row], obs_hi[person_of_row])
        return cls(
            start=start_ts,
            origin=origin,
            n=n,
            n_months=n_months,
            lengths=lengths,
            person_of_row=person_of_row,
            month_of_row=month_of_row,
            flat_of_row=person_of_row * n_months + month_of_row,
            month_starts=month_starts,
            ms_day=ms_day,
            me_day=me_day,
            obs_lo=obs_lo,
            obs_hi=obs_hi,
            observed=np.clip(hi - lo, 0, None),
        )


def _locate(grid: _Grid, pos, ids: pd.Series, dates: pd.Series, what: str, flow: FlowLog):
    """Person and month of each record, whether it is counted, and the flow with exclusions."""
    p = pos.get(ids.astype(str).to_numpy())
    known = p >= 0
    dated = dates.notna().to_numpy()
    pi = np.where(known, p, 0).astype(np.int64)
    day = np.where(dated, day_number(dates.fillna(grid.start)), 0)
    inside = known & dated & (day >= grid.obs_lo) & (day < grid.obs_hi[pi])
    excl = {
        "person_id not in police_persons": int((~known).sum()),
        "no date": int((known & ~dated).sum()),
        "outside the observation window": int((known & dated & ~inside).sum()),
    }
    flow = flow.add(f"{what} counted", len(ids), int(inside.sum()), excl)
    if sum(excl.values()):
        detail = "; ".join(f"{k}: {v}" for k, v in excl.items() if v)
        warnings.warn(
            f"person_month_panel(): {sum(excl.values())} of {len(ids)} {what} rows not "
            f"counted ({detail}). The window is {grid.start.date()} to each person's "
            "extract_date (or end).",
            ExcludedRowsWarning,
            stacklevel=4,
        )
    m = month_index(pd.DatetimeIndex(dates.fillna(grid.start)), grid.origin)
    return inside, pi * grid.n_months + m, flow


def _record_counts(events, missing, ev_date, ms_date, grid: _Grid, pos):
    """Arrests, offences, drug arrests and missing episodes per (person, month)."""
    size = grid.n * grid.n_months
    etype = events["event_type"].astype(str).to_numpy()
    inside_e, flat_e, flow = _locate(grid, pos, events["person_id"], ev_date, "event", FlowLog())
    arrest = inside_e & (etype == "Arrest")
    drug = arrest & (events["offence_category"].astype(str).to_numpy() == "Drug offences")
    inside_m, flat_m, flow = _locate(
        grid, pos, missing["person_id"], ms_date, "missing episode", flow
    )
    counts = {
        "arrests": np.bincount(flat_e[arrest], minlength=size),
        "offences": np.bincount(flat_e[inside_e & (etype == "Offence")], minlength=size),
        "drug_arrests": np.bincount(flat_e[drug], minlength=size),
        "missing_episodes": np.bincount(flat_m[inside_m], minlength=size),
    }
    unknown_type = ~np.isin(etype, ("Arrest", "Offence", "Custody"))
    notes = []
    if unknown_type.any():
        notes.append(
            f"{int(unknown_type.sum())} event rows with event_type other than "
            "Arrest, Offence or Custody were not counted"
        )
    return counts, flow, notes


def _assemble(persons, group, grid: _Grid, units, counts, exposure) -> pd.DataFrame:
    """The panel, unit by unit (a person given several index dates is several units)."""
    unit_src, unit_ids, unit_cohort = units
    n_units = unit_src.size
    row_start = np.cumsum(grid.lengths) - grid.lengths
    if n_units == grid.n and np.array_equal(unit_src, np.arange(grid.n)):
        src_row = None  # every person once: rows are already in place
        unit_of_row = grid.person_of_row
    else:
        unit_len = grid.lengths[unit_src]
        unit_of_row = np.repeat(np.arange(n_units), unit_len)
        within = np.arange(unit_len.sum()) - np.repeat(np.cumsum(unit_len) - unit_len, unit_len)
        src_row = row_start[unit_src][unit_of_row] + within

    def take(a: np.ndarray) -> np.ndarray:
        return a if src_row is None else a[src_row]

    src_of_row = unit_src[unit_of_row]
    month_u = take(grid.month_of_row)
    has_cohort = unit_cohort.notna().to_numpy()
    cohort_idx = np.where(has_cohort, month_index(unit_cohort.fillna(grid.origin), grid.origin), 0)
    msr = month_u - cohort_idx[unit_of_row]
    has_row = has_cohort[unit_of_row]
    # assemble column by column (no block consolidation of the string columns)
    panel = pd.DataFrame({"person_id": unit_ids.take(unit_of_row)})
    panel["group"] = group.astype(object).take(src_of_row)
    for c in ("area", "police_force"):
        panel[c] = persons[c].astype(str).to_numpy(dtype=object).take(src_of_row)
    panel["month"] = grid.month_starts.to_numpy().astype("datetime64[ns]")[month_u]
    panel["cohort"] = unit_cohort.to_numpy().astype("datetime64[ns]")[unit_of_row]
    panel["months_since_referral"] = pd.arrays.IntegerArray(
        np.where(has_row, msr, 0).astype("int64"), ~has_row
    )
    panel["post"] = (has_row & (msr >= 0)).astype("int64")
    panel["treated"] = (group == "Engager").astype("int64")[src_of_row]
    panel["exposure_days"] = take(exposure).astype("int64")
    flat_u = take(grid.flat_of_row)
    for c in _COUNTS:
        panel[c] = counts[c][flat_u].astype("int64")
    return panel


class _Positions:
    """Row position of each person_id (one hash table, -1 when unknown)."""

    def __init__(self, ids: np.ndarray) -> None:
        self._index = pd.Index(ids)

    def get(self, ids: np.ndarray) -> np.ndarray:
        return self._index.get_indexer(ids)


def _units(index_dates, pid: np.ndarray, pos: _Positions, cohort: pd.Series):
    """Source person, unit id and cohort of each panel unit."""
    n = pid.size
    src = np.arange(n)
    ids = pid.astype(object)
    cohort = cohort.copy()
    if index_dates is None:
        return src, ids, cohort
    if isinstance(index_dates, pd.DataFrame):
        need = [c for c in ("person_id", "index_date") if c not in index_dates.columns]
        if need:
            raise SocdataError(
                f"person_month_panel(): index_dates has no column(s) {need}; pass a frame with "
                "person_id, index_date and optionally unit_id (one row per matched use), or a "
                "mapping person_id -> index date."
            )
        frame = index_dates
    else:
        ser = pd.Series(index_dates)
        frame = pd.DataFrame({"person_id": ser.index.astype(str), "index_date": ser.to_numpy()})
    who = frame["person_id"].astype(str).to_numpy()
    at = pos.get(who)
    if (at < 0).any():
        raise SocdataError(
            f"person_month_panel(): index_dates has {int((at < 0).sum())} person_id(s) not in "
            "police_persons; index dates are for people in the extract."
        )
    months = _dates(frame["index_date"], "index_dates", "index_date")
    months = months.dt.to_period("M").dt.to_timestamp().to_numpy()
    repeats = pd.Series(who).duplicated(keep=False).to_numpy()
    if "unit_id" in frame.columns:
        unit = frame["unit_id"].astype(str).to_numpy(dtype=object)
    else:
        k = pd.Series(who).groupby(who).cumcount().to_numpy() + 1
        unit = np.where(repeats, [f"{w}#{j}" for w, j in zip(who, k, strict=True)], who)
        unit = unit.astype(object)
    listed = np.zeros(n, bool)
    listed[at] = True
    keep = np.flatnonzero(~listed)
    all_ids = np.concatenate([ids[keep], unit])
    dup = pd.Series(all_ids).duplicated()
    if dup.any():
        raise SocdataError(
            f"person_month_panel(): {int(dup.sum())} unit id(s) in index_dates repeat a "
            "person_id or another unit_id; give each matched use its own unit_id."
        )
    src = np.concatenate([keep, at])
    coh = pd.Series(np.concatenate([cohort.to_numpy()[keep], months]), dtype="datetime64[ns]")
    order = np.argsort(src, kind="stable")  # keep the persons' order
    return src[order], all_ids[order], coh.iloc[order].reset_index(drop=True)


def _custody_days(persons: pd.DataFrame, events: pd.DataFrame, pos, grid: _Grid) -> np.ndarray:
    """Custody days per (person, month), flat array of length ``n * n_months``.

    The spells are :func:`socdata.derive.police.custody_spells` (the one merge of
    overlapping and touching spells), clipped to each person's window.
    """
    out = np.zeros(grid.n * grid.n_months, np.int64)
    sp = custody_spells(persons, events)
    if sp.empty:
        return out
    p = pos.get(sp["person_id"].astype(str).to_numpy())
    sp, p = sp[p >= 0], p[p >= 0]
    ss = np.maximum(day_number(sp["custody_start"]), grid.obs_lo)
    es = np.minimum(day_number(sp["custody_end"]), grid.obs_hi[p])
    keep = es > ss
    ps, ss, es = p[keep], ss[keep], es[keep]
    m0 = np.searchsorted(grid.ms_day, ss, side="right") - 1
    m1 = np.searchsorted(grid.ms_day, es - 1, side="right") - 1
    span = m1 - m0 + 1
    rp = np.repeat(np.arange(ps.size), span)
    rm = np.repeat(m0, span) + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))
    days = np.minimum(es[rp], grid.me_day[rm]) - np.maximum(ss[rp], grid.ms_day[rm])
    np.add.at(out, ps[rp] * grid.n_months + rm, days)
    return out
