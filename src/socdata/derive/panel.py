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

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pandera.pandas as pa

from socdata.errors import ExcludedRowsWarning, ExtractValidationError, SocdataError
from socdata.paths import schemas_dir
from socdata.provenance import FlowLog, Provenance
from socdata.schemas.spec import TEXT_DTYPE

__all__ = [
    "PANEL_COLUMNS",
    "PANEL_SCHEMA_FILE",
    "PERSON_MONTH_PANEL_SCHEMA",
    "person_month_panel",
    "validate_panel",
]

#: Columns of the person-month panel, in order.
PANEL_COLUMNS: tuple[str, ...] = (
    "person_id",
    "group",
    "area",
    "police_force",
    "month",
    "cohort",
    "months_since_referral",
    "post",
    "treated",
    "exposure_days",
    "arrests",
    "offences",
    "missing_episodes",
    "drug_arrests",
)

#: The panel's schema in the YAML format of ``data/schemas`` (columns, types, ranges and the
#: rules that format can express; :data:`PERSON_MONTH_PANEL_SCHEMA` adds the rest).
PANEL_SCHEMA_FILE = schemas_dir() / "person_month_panel.yaml"

_COUNTS = ("arrests", "offences", "missing_episodes", "drug_arrests")
_PERSON_COLS = ("person_id", "group", "area", "police_force", "referral_date", "extract_date")
_GROUPS = ("Engager", "Comparator")


def _panel_checks() -> list[pa.Check]:
    def post_rule(df: pd.DataFrame) -> pd.Series:
        msr = df["months_since_referral"]
        expected = (msr.fillna(-1) >= 0).astype("int64")
        return (df["post"].astype("int64") == expected) & (msr.isna() == df["cohort"].isna())

    def msr_rule(df: pd.DataFrame) -> pd.Series:
        m, c = df["month"], df["cohort"]
        diff = (m.dt.year - c.dt.year) * 12 + (m.dt.month - c.dt.month)
        return df["cohort"].isna() | (diff == df["months_since_referral"])

    def exposure_rule(df: pd.DataFrame) -> pd.Series:
        return df["exposure_days"] <= df["month"].dt.days_in_month

    def drug_rule(df: pd.DataFrame) -> pd.Series:
        return df["drug_arrests"] <= df["arrests"]

    def scalar_if_ok(rule):
        # a scalar True when every row passes spares pandera a pass over the whole frame
        def check(df: pd.DataFrame):
            ok = rule(df).fillna(False).astype(bool)
            return True if ok.all() else ok

        check.__name__ = rule.__name__
        return check

    post_rule, msr_rule, exposure_rule, drug_rule = (
        scalar_if_ok(r) for r in (post_rule, msr_rule, exposure_rule, drug_rule)
    )
    return [
        pa.Check(
            post_rule,
            error="post is 1 exactly when months_since_referral >= 0, and "
            "months_since_referral is missing exactly when cohort is missing",
        ),
        pa.Check(msr_rule, error="months_since_referral equals month minus cohort in months"),
        pa.Check(exposure_rule, error="exposure_days is at most the days in the month"),
        pa.Check(drug_rule, error="drug_arrests is at most arrests"),
    ]


_count = pa.Column("int64", pa.Check.ge(0), nullable=False)


def _text(*checks: pa.Check) -> pa.Column:
    """A column of Python strings (checked in C: pandera's ``str`` maps every value)."""
    is_text = pa.Check(
        lambda s: pd.api.types.infer_dtype(s, skipna=False) == "string",
        error="every value is a text string",
    )
    return pa.Column(TEXT_DTYPE, [is_text, *checks], nullable=False)  # object or str (pandas 3)


#: Pandera schema of the person-month panel (kind ``person_month_panel``, version 1.0.0).
PERSON_MONTH_PANEL_SCHEMA = pa.DataFrameSchema(
    {
        "person_id": _text(),
        "group": _text(pa.Check.isin(_GROUPS)),
        "area": _text(),
        "police_force": _text(),
        "month": pa.Column(
            "datetime64[ns]",
            pa.Check(lambda s: s.dt.day == 1, error="month is a month start"),
            nullable=False,
        ),
        "cohort": pa.Column(
            "datetime64[ns]",
            pa.Check(lambda s: s.dt.day == 1, error="cohort is a month start", ignore_na=True),
            nullable=True,
        ),
        "months_since_referral": pa.Column("Int64", nullable=True),
        "post": pa.Column("int64", pa.Check.isin([0, 1]), nullable=False),
        "treated": pa.Column("int64", pa.Check.isin([0, 1]), nullable=False),
        "exposure_days": pa.Column("int64", pa.Check.in_range(0, 31), nullable=False),
        **{c: _count for c in _COUNTS},
    },
    checks=_panel_checks(),
    unique=["person_id", "month"],
    strict=True,
    ordered=True,
    name="person_month_panel",
    metadata={"version": "1.0.0"},
)


def validate_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Validate a person-month panel against :data:`PERSON_MONTH_PANEL_SCHEMA`.

    Parameters
    ----------
    panel
        Frame with the columns of :data:`PANEL_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        The panel, unchanged, when it is valid.

    Raises
    ------
    socdata.errors.ExtractValidationError
        Listing every failed rule (lazy validation) with up to five failing rows each.
    """
    try:
        PERSON_MONTH_PANEL_SCHEMA.validate(panel, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        lines = []
        for (col, check), grp in fc.groupby(["column", "check"], dropna=False, sort=False):
            where = "" if pd.isna(col) else f"column {col!r}: "
            rows = grp["index"].dropna().head(5).tolist()
            lines.append(f"- {where}{check} ({len(grp)} failures; first rows {rows})")
        raise ExtractValidationError(
            "person-month panel breaks its schema 'person_month_panel':\n"
            + "\n".join(lines)
            + "\nBuild panels with socdata.derive.panel.person_month_panel(), which "
            "guarantees these rules.",
        ) from None
    return panel


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


def _month_index(dates: pd.Series | pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    d = pd.DatetimeIndex(dates)
    return ((d.year - origin.year) * 12 + (d.month - origin.month)).to_numpy()


def _day_number(dates) -> np.ndarray:
    """Days since 1970-01-01 (int64; NaT -> min int)."""
    return pd.DatetimeIndex(dates).to_numpy().astype("datetime64[D]").astype(np.int64)


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

    pid = persons["person_id"].astype(str).to_numpy()
    dup = pd.Series(pid).duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise SocdataError(
            f"person_month_panel(): police_persons has {int(dup.sum())} duplicated person_id "
            f"value(s) (first at row {row + 2} counting the header as row 1); the rule is one "
            "row per person. Remove or merge the duplicates."
        )
    group = persons["group"].astype(str).to_numpy()
    bad = ~np.isin(group, _GROUPS)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
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
            row = int(np.flatnonzero(mask)[0])
            raise SocdataError(
                f"person_month_panel(): police_persons breaks the rule '{rule}' in "
                f"{int(mask.sum())} row(s), first at row {row + 2} (group {group[row]!r}). "
                "Fix the extract or validate it with socdata.validate_extract()."
            )

    ev_date = _dates(events["event_date"], "police_events", "event_date")
    ms_date = _dates(missing["reported_datetime"], "police_missing", "reported_datetime")
    if start is None:
        firsts = [d.min() for d in (ev_date, ms_date) if d.notna().any()]
        if not firsts:
            raise SocdataError(
                "person_month_panel(): no event or missing-episode dates to infer the start "
                "of the observation window from; pass start='YYYY-MM-DD'."
            )
        start_ts = min(firsts).to_period("M").to_timestamp()
    else:
        start_ts = pd.Timestamp(start).normalize()
    end_p = extract.dt.normalize()
    if end is not None:
        end_p = end_p.clip(upper=pd.Timestamp(end).normalize())
    if (end_p < start_ts).any():
        row = int(np.flatnonzero((end_p < start_ts).to_numpy())[0])
        raise SocdataError(
            f"person_month_panel(): the observation window is empty for "
            f"{int((end_p < start_ts).sum())} person(s) (first at row {row + 2}): extract_date "
            f"(or end) {end_p.iloc[row].date()} is before start {start_ts.date()}. Pass an "
            "earlier start or a later end."
        )

    origin = start_ts.to_period("M").to_timestamp()
    n = pid.size
    last_idx = _month_index(end_p, origin)
    n_months = int(last_idx.max()) + 1
    lengths = last_idx + 1
    person_of_row = np.repeat(np.arange(n), lengths)
    month_of_row = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    flat_of_row = person_of_row * n_months + month_of_row

    month_starts = pd.date_range(origin, periods=n_months, freq="MS")
    ms_day = _day_number(month_starts)
    me_day = ms_day + month_starts.days_in_month.to_numpy()  # exclusive
    obs_lo = _day_number([start_ts])[0]
    obs_hi = _day_number(end_p) + 1  # exclusive, per person

    # observed days per person-month
    lo = np.maximum(ms_day[month_of_row], obs_lo)
    hi = np.minimum(me_day[month_of_row], obs_hi[person_of_row])
    observed = np.clip(hi - lo, 0, None)

    # map events to people and months; count what is excluded and why
    pos = _Positions(pid)
    flow = FlowLog()

    def locate(
        ids: pd.Series, dates: pd.Series, what: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = pos.get(ids.astype(str).to_numpy())
        known = p >= 0
        dated = dates.notna().to_numpy()
        pi = np.where(known, p, 0).astype(np.int64)
        day = np.where(dated, _day_number(dates.fillna(start_ts)), 0)
        inside = known & dated & (day >= obs_lo) & (day < obs_hi[pi])
        excl = {
            "person_id not in police_persons": int((~known).sum()),
            "no date": int((known & ~dated).sum()),
            "outside the observation window": int((known & dated & ~inside).sum()),
        }
        nonlocal flow
        flow = flow.add(f"{what} counted", len(ids), int(inside.sum()), excl)
        if sum(excl.values()):
            detail = "; ".join(f"{k}: {v}" for k, v in excl.items() if v)
            warnings.warn(
                f"person_month_panel(): {sum(excl.values())} of {len(ids)} {what} rows not "
                f"counted ({detail}). The window is {start_ts.date()} to each person's "
                "extract_date (or end).",
                ExcludedRowsWarning,
                stacklevel=3,
            )
        m = _month_index(pd.DatetimeIndex(dates.fillna(start_ts)), origin)
        return inside, pi, m

    etype = events["event_type"].astype(str).to_numpy()
    is_outcome = np.isin(etype, ("Arrest", "Offence"))
    inside_e, pe, me = locate(events["person_id"], ev_date, "event")
    flat_e = pe * n_months + me
    counts = {}
    arrest = inside_e & (etype == "Arrest")
    counts["arrests"] = np.bincount(flat_e[arrest], minlength=n * n_months)
    counts["offences"] = np.bincount(
        flat_e[inside_e & (etype == "Offence")], minlength=n * n_months
    )
    drug = arrest & (events["offence_category"].astype(str).to_numpy() == "Drug offences")
    counts["drug_arrests"] = np.bincount(flat_e[drug], minlength=n * n_months)
    inside_m, pm, mm = locate(missing["person_id"], ms_date, "missing episode")
    counts["missing_episodes"] = np.bincount((pm * n_months + mm)[inside_m], minlength=n * n_months)
    unknown_type = ~is_outcome & (etype != "Custody")
    notes = []
    if unknown_type.any():
        notes.append(
            f"{int(unknown_type.sum())} event rows with event_type other than "
            "Arrest, Offence or Custody were not counted"
        )

    # custody days per person-month
    custody_days = _custody_days(
        events, etype, ev_date, pos, obs_lo, obs_hi, ms_day, me_day, n_months, n
    )
    exposure = observed - custody_days[flat_of_row]

    # cohort / index month, and the units of the panel (copies of re-used comparators)
    cohort = referral.dt.to_period("M").dt.to_timestamp()
    cohort = cohort.where(pd.Series(group == "Engager"), pd.NaT).reset_index(drop=True)
    unit_src, unit_ids, unit_cohort = _units(index_dates, pid, pos, cohort)
    n_units = unit_src.size
    row_start = np.cumsum(lengths) - lengths
    if n_units == n and np.array_equal(unit_src, np.arange(n)):
        src_row = None  # every person once: rows are already in place
        unit_of_row = person_of_row
    else:
        unit_len = lengths[unit_src]
        unit_of_row = np.repeat(np.arange(n_units), unit_len)
        within = np.arange(unit_len.sum()) - np.repeat(np.cumsum(unit_len) - unit_len, unit_len)
        src_row = row_start[unit_src][unit_of_row] + within

    def take(a: np.ndarray) -> np.ndarray:
        return a if src_row is None else a[src_row]

    src_of_row = unit_src[unit_of_row]
    month_u = take(month_of_row)
    has_cohort = unit_cohort.notna().to_numpy()
    cohort_idx = np.where(has_cohort, _month_index(unit_cohort.fillna(origin), origin), 0)
    msr = month_u - cohort_idx[unit_of_row]
    has_row = has_cohort[unit_of_row]

    # assemble column by column (no block consolidation of the string columns)
    is_engager = (group == "Engager").astype("int64")
    panel = pd.DataFrame({"person_id": unit_ids.take(unit_of_row)})
    panel["group"] = group.astype(object).take(src_of_row)
    panel["area"] = persons["area"].astype(str).to_numpy(dtype=object).take(src_of_row)
    panel["police_force"] = (
        persons["police_force"].astype(str).to_numpy(dtype=object).take(src_of_row)
    )
    panel["month"] = month_starts.to_numpy().astype("datetime64[ns]")[month_u]
    panel["cohort"] = unit_cohort.to_numpy().astype("datetime64[ns]")[unit_of_row]
    panel["months_since_referral"] = pd.arrays.IntegerArray(
        np.where(has_row, msr, 0).astype("int64"), ~has_row
    )
    panel["post"] = (has_row & (msr >= 0)).astype("int64")
    panel["treated"] = is_engager[src_of_row]
    panel["exposure_days"] = take(exposure).astype("int64")
    flat_u = take(flat_of_row)
    for c in _COUNTS:
        panel[c] = counts[c][flat_u].astype("int64")
    flow = flow.add("person-months", n, n, unit="people")
    if n_units != n:
        notes.append(
            f"{n_units} panel units from {n} people: people given several index dates appear "
            "once per index date under their unit_id"
        )
    panel.attrs["provenance"] = Provenance.build(
        "socdata.derive.panel.person_month_panel",
        parameters={
            "start": str(start_ts.date()),
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


def _custody_days(events, etype, ev_date, pos, obs_lo, obs_hi, ms_day, me_day, n_months, n):
    """Merged custody days per (person, month), flat array of length n * n_months."""
    out = np.zeros(n * n_months, np.int64)
    cust = etype == "Custody"
    if not cust.any():
        return out
    p = pos.get(events["person_id"].astype(str).to_numpy()[cust]).astype(float)
    p[p < 0] = np.nan
    s = ev_date.to_numpy()[cust]
    if "custody_end_date" in events.columns:
        e = pd.to_datetime(events["custody_end_date"]).to_numpy()[cust]
    else:
        e = np.full(s.size, np.datetime64("NaT", "ns"), "datetime64[ns]")
    ok = ~np.isnan(p) & ~pd.isna(s)
    p = p[ok].astype(np.int64)
    s_day = _day_number(s[ok])
    e_nat = pd.isna(e[ok])
    e_day = np.where(e_nat, obs_hi[p], _day_number(np.where(e_nat, s[ok], e[ok])))
    # clip to the window, drop empty spells
    s_day = np.maximum(s_day, obs_lo)
    e_day = np.minimum(e_day, obs_hi[p])
    keep = e_day > s_day
    if not keep.any():
        return out
    df = pd.DataFrame({"p": p[keep], "s": s_day[keep], "e": e_day[keep]}).sort_values(["p", "s"])
    # merge overlapping spells within person
    prev_end = df.groupby("p")["e"].cummax().groupby(df["p"]).shift()
    block = (prev_end.isna() | (df["s"] > prev_end)).cumsum()
    merged = df.groupby(block).agg(p=("p", "first"), s=("s", "min"), e=("e", "max"))
    ps, ss, es = (merged[c].to_numpy() for c in ("p", "s", "e"))
    m0 = np.searchsorted(ms_day, ss, side="right") - 1
    m1 = np.searchsorted(ms_day, es - 1, side="right") - 1
    span = m1 - m0 + 1
    rp = np.repeat(np.arange(ps.size), span)
    rm = np.repeat(m0, span) + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))
    days = np.minimum(es[rp], me_day[rm]) - np.maximum(ss[rp], ms_day[rm])
    np.add.at(out, ps[rp] * n_months + rm, days)
    return out
