"""The police statements of the March 2024 summary (and Action for Children's), regenerated.

:func:`police_statements` regenerates every quantitative or directional claim of the police
section of the March 2024 executive summary ("Rates of offending and missing episodes"),
plus the Action for Children Cardiff missing-incident figures, and says whether police
extracts reproduce each one.

The printed figures are not written here: each claim (:data:`CLAIMS`) points at its row of
``data/published/soceis_march2024.csv`` or ``aff_submission_2024.csv``, and its printed
value, denominator and wording come from there. Fraction words ("most", "around half",
"three quarters", "over 70%") are read with :func:`socdata.words.word_interval`, the one
vocabulary :mod:`socdata.review` also checks printed words with.

Examples
--------
>>> from socdata.soceis.police_statements import printed_figure
>>> printed_figure("march2024_police", "Identified in police data", "pct").value
'77'
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pandas as pd

from socdata.dates import completed_years
from socdata.describe.police import ALL_AREAS, BeforeAfterResult, before_after
from socdata.errors import SocdataError
from socdata.paths import published_dir
from socdata.review import read_published
from socdata.words import WordMeaning, word_interval

__all__ = ["CLAIMS", "STATEMENT_COLUMNS", "Claim", "police_statements", "printed_figure"]

#: Columns of the statements table, in order.
STATEMENT_COLUMNS: tuple[str, ...] = (
    "statement_id",
    "statement",
    "source",
    "printed",
    "regenerated",
    "status",
    "rule",
    "note",
)

_SOURCE_MARCH = "March 2024 executive summary, Outcomes: Rates of offending and missing episodes"
_SOURCE_AFC = "Action for Children submission (missing children in Wales, 2024)"
_FILES = {"march2024": "soceis_march2024.csv", "aff": "aff_submission_2024.csv"}

#: "In their mid-teens": a median age at referral of 14, 15 or 16 completed years.
MID_TEENS = (14, 16)
#: The harmonised offence categories of "violence, public order, drug offences or
#: possession of a weapon".
MAIN_OFFENCES = frozenset(
    {"Violence against the person", "Public order", "Drug offences", "Possession of weapons"}
)


# --------------------------------------------------------------------------------------
# the printed figures
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Printed:
    """One printed figure: ``value`` and ``denominator`` as printed (text), its locator."""

    value: str
    denominator: str
    locator: str

    @property
    def number(self) -> int:
        """The value as a whole number (counts and percentages)."""
        return int(float(self.value.replace(",", "")))

    @property
    def base(self) -> int:
        """The printed denominator as a whole number."""
        return int(float(self.denominator.replace(",", "")))


@functools.lru_cache(maxsize=1)
def _published() -> pd.DataFrame:
    files = [read_published(published_dir() / f) for f in _FILES.values()]
    return pd.concat(files, ignore_index=True)


def printed_figure(table_id: str, row_label: str, measure: str) -> Printed:
    """The printed figure of ``data/published`` at ``table_id``, ``row_label``, ``measure``.

    Raises
    ------
    SocdataError
        No such figure, or more than one.
    """
    pub = _published()
    hit = pub[
        (pub["table_id"] == table_id)
        & (pub["row_label"] == row_label)
        & (pub["measure"] == measure)
    ]
    if len(hit) != 1:
        raise SocdataError(
            f"data/published: {len(hit)} rows for table_id={table_id!r}, "
            f"row_label={row_label!r}, measure={measure!r}; the police statements need exactly "
            "one (check the transcription in data/published)"
        )
    r = hit.iloc[0]
    return Printed(str(r["value"]), str(r["denominator_as_printed"]), str(r["locator"]))


# --------------------------------------------------------------------------------------
# the claims
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Claim:
    """One claim of the printed text and where its printed figure is.

    ``figure`` is ``(table_id, row_label, measure)`` of its row in ``data/published``
    (``None`` for a claim that prints no figure, e.g. "a reduction"); ``statement`` and
    ``printed_as`` are filled with that row's ``{value}`` and ``{denominator}`` (and
    ``{pct}``, the row of the same label with measure ``pct``). ``kind`` says how the claim
    is regenerated.
    """

    statement_id: str
    statement: str
    figure: tuple[str, str, str] | None
    kind: str
    printed_as: str = "{value}"
    source: str = _SOURCE_MARCH

    def printed(self) -> Printed:
        """The printed figure (raises :class:`SocdataError` for a claim without one)."""
        if self.figure is None:
            raise SocdataError(f"{self.statement_id}: this claim prints no figure")
        return printed_figure(*self.figure)

    def _fill(self, template: str) -> str:
        if self.figure is None:
            return template
        p = self.printed()
        pct = (
            printed_figure(self.figure[0], self.figure[1], "pct").value
            if "{pct}" in template
            else ""
        )
        return template.format(value=p.value, denominator=p.denominator, pct=pct)

    def text(self) -> str:
        """The statement, with the printed figures in it."""
        return self._fill(self.statement)

    def printed_text(self) -> str:
        """What the claim prints, in lower case (``"most"``, ``"77% (190/248)"``)."""
        return self._fill(self.printed_as).lower()


_M = "march2024_police"
_AFC = "aff_cardiff_missing"
_WHO = (_M, "White, male and in their mid-teens", "fraction")
_DOWN = (_M, "Areas with fewer young people arrested and fewer offences after referral", "n")
_DRUGS = (_M, "Areas with a decline in drug-offence arrests", "n")
_AREAS = "{value} of {denominator} areas"

#: Every claim of the police section, in print order, then Action for Children's.
CLAIMS: tuple[Claim, ...] = (
    Claim("S01", "Most young people referred to the Service were white", _WHO, "white"),
    Claim("S02", "Most young people referred to the Service were male", _WHO, "male"),
    Claim("S03", "Young people referred were in their mid-teens", _WHO, "mid_teens",
          "mid-teens"),
    Claim("S04", "Around half were living in the most deprived areas of each city",
          (_M, "Living in the most deprived areas", "fraction"), "deprived"),
    Claim("S05", "Seventy-seven percent ({value}/{denominator}) of young people referred to "
          "the Service were identified in police administrative data",
          (_M, "Identified in police data", "n"), "found", "{pct}% ({value}/{denominator})"),
    Claim("S06", "Most young people were referred to the Service following arrest",
          (_M, "Referred following arrest", "fraction"), "after_arrest"),
    Claim("S07", "Over 70% of young people had multiple arrests recorded",
          (_M, "Multiple arrests recorded", "fraction"), "multiple_arrests"),
    Claim("S08", "The main offences were for violence, public order, drug offences or "
          "possession of a weapon", None, "offences", "violence, public order, drugs, weapons"),
    Claim("S09", "Following referral there was a reduction in the number of young people "
          "arrested for three of the four areas", _DOWN, "people_arrested_down", _AREAS),
    Claim("S10", "Following referral there was a reduction in the number of offences for "
          "three of the four areas", _DOWN, "offences_down", _AREAS),
    Claim("S11", "There was an increase in the number of arrests for one area",
          (_M, "Areas with an increase in arrests", "n"), "arrests_up", _AREAS),
    Claim("S12", "In two areas there was a decline in the number of arrests for drug offences",
          _DRUGS, "drug_arrests_down", _AREAS),
    Claim("S13", "In two areas there was a decline in the number of young people arrested "
          "for drug offences", _DRUGS, "people_drug_down", _AREAS),
    Claim("S14", "Reductions were also noted in the number of arrests for other types of "
          "offences", None, "other_arrests_down", "reduction"),
    Claim("S15", "Most young people had missing episodes prior to referral",
          (_M, "Missing episodes before referral", "fraction"), "missing_before"),
    Claim("S16", "Three quarters of young people had multiple missing episodes",
          (_M, "Multiple missing episodes", "fraction"), "multiple_missing"),
    Claim("S17", "Following engagement with the Service there was a reduction in the number "
          "of missing episodes", None, "missing_down", "reduction"),
    Claim("A01", "Cardiff: {value} missing incidents before referral to the service",
          (_AFC, "Missing incidents before referral", "n"), "cardiff_before",
          source=_SOURCE_AFC),
    Claim("A02", "Cardiff: {value} missing incidents after referral to the service",
          (_AFC, "Missing incidents after referral", "n"), "cardiff_after",
          source=_SOURCE_AFC),
    Claim("A03", "Cardiff: {value} young people supported from 2020 to 2023",
          (_AFC, "Young people supported 2020-2023", "n"), "cardiff_supported",
          source=_SOURCE_AFC),
    Claim("A04", "Cardiff: {value}% of the {denominator} young people had missing concerns "
          "noted", (_AFC, "Missing episodes noted", "pct"), "cardiff_concerns", "{value}%",
          source=_SOURCE_AFC),
)  # fmt: skip


# --------------------------------------------------------------------------------------
# the data the claims are regenerated from
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Data:
    """Engagers found in police data, their arrests and missing episodes, and the
    before/after table: everything a claim is computed from."""

    eng: pd.DataFrame
    arrests: pd.DataFrame
    missing: pd.DataFrame
    table: pd.DataFrame
    referred: pd.DataFrame | None
    window_months: int
    fc: Callable[[float], str]
    lookback_days: int

    @property
    def n(self) -> int:
        return len(self.eng)

    @property
    def windows(self) -> str:
        return f"{self.window_months}-month windows before vs after referral"


def _data(persons, events, missing, res, referred, fc, lookback_days) -> _Data:
    eng = persons.loc[persons["group"].astype(str) == "Engager"].copy()
    eng["person_id"] = eng["person_id"].astype(str)
    ref_date = pd.to_datetime(eng.set_index("person_id")["referral_date"])
    ev = events.assign(
        person_id=events["person_id"].astype(str), event_date=pd.to_datetime(events["event_date"])
    )
    ev = ev[ev["person_id"].isin(eng["person_id"]) & (ev["event_type"].astype(str) == "Arrest")]
    ms = missing.assign(
        person_id=missing["person_id"].astype(str),
        reported_datetime=pd.to_datetime(missing["reported_datetime"]),
    )
    ms = ms[ms["person_id"].isin(eng["person_id"])]
    ev = ev.assign(referral_date=ref_date.reindex(ev["person_id"]).to_numpy())
    ms = ms.assign(referral_date=ref_date.reindex(ms["person_id"]).to_numpy())
    ref = None if referred is None else referred.drop_duplicates("person_id")
    return _Data(eng, ev, ms, res.table, ref, res.window_months, fc, lookback_days)


def age_at_referral(persons: pd.DataFrame) -> pd.Series | None:
    """Age at referral in completed years (:func:`socdata.dates.completed_years`).

    From ``date_of_birth``, else from ``birth_month`` taken as the 15th of that month (the
    middle: at most half a month out, as in :mod:`socdata.matching`). ``None`` when neither
    column holds a date.
    """
    if "date_of_birth" in persons and persons["date_of_birth"].notna().any():
        dob = pd.to_datetime(persons["date_of_birth"])
    elif "birth_month" in persons and persons["birth_month"].notna().any():
        month = pd.to_datetime(
            persons["birth_month"].astype("string"), format="%Y-%m", errors="coerce"
        )
        dob = month + pd.Timedelta(days=14)
    else:
        return None
    return completed_years(dob, pd.to_datetime(persons["referral_date"]))


# --------------------------------------------------------------------------------------
# regenerating each kind of claim
# --------------------------------------------------------------------------------------


def _pct(k: float, n: float) -> float:
    return 100.0 * k / n if n else np.nan


def _fmt_pct(k: int, n: int, fc: Callable[[float], str] = str) -> str:
    """``"81% (153/190)"``; under a count formatter that rounds, the counts are the
    released ones and the percentage is computed from them (never from the exact counts,
    which the percentage would otherwise give back)."""
    if not n:
        return "no one to count"
    if fc is str:
        return f"{_pct(k, n):.0f}% ({k}/{n})"
    rk, rn = fc(k), fc(n)
    if not (rk.isdigit() and rn.isdigit()) or int(rn) == 0:
        return f"share not shown (n={rn})"
    return f"{_pct(int(rk), int(rn)):.0f}% ({rk}/{rn})"


def _count_formatter(small_count: int | None) -> Callable[[float], str]:
    """Write counts 1 to small_count - 1 as '<small_count' (disclosure control of text)."""

    def fc(v) -> str:
        v = int(v)
        if small_count and 0 < v < small_count:
            return f"<{small_count}"
        return str(v)

    return fc


#: A regenerated claim: (regenerated text, status, rule, note).
Outcome = tuple[str, str, str, str]
_NOTREP = "not reproducible"


def _share(d: _Data, claim: Claim, k: int, n: int, subject: str, note: str = "") -> Outcome:
    """A share judged by the printed word's interval (:func:`socdata.words.word_interval`)."""
    word = claim.printed().value
    meaning: WordMeaning | None = word_interval(word)
    if meaning is None:  # a vocabulary gap is a programming error, not user input
        raise SocdataError(f"{claim.statement_id}: no meaning for the printed word {word!r}")
    rule = f"share {subject}: {meaning.rule}"
    if n == 0:
        return "no engagers in police data", _NOTREP, rule, note
    ok = meaning.contains(Fraction(100 * k, n))
    return _fmt_pct(k, n, d.fc), "match" if ok else "differs", rule, note


def _demographic(d: _Data, claim: Claim, column: str, value: str) -> Outcome:
    subject = f"{value} among engagers found in police data"
    if column not in d.eng:
        return f"no {column}", _NOTREP, f"share {subject} as the word says", ""
    k = int((d.eng[column].astype(str) == value).sum())
    return _share(d, claim, k, d.n, subject)


def _mid_teens(d: _Data, claim: Claim) -> Outcome:
    lo, hi = MID_TEENS
    rule = f"median age at referral (completed years) between {lo} and {hi}"
    age = age_at_referral(d.eng)
    if age is None or age.notna().sum() == 0:
        return "no birth date or birth month", _NOTREP, rule, ""
    med = float(age.dropna().astype(float).median())
    text = f"median age {med:g} (n={d.fc(age.notna().sum())})"
    return text, "match" if lo <= med <= hi else "differs", rule, ""


def _deprived(d: _Data, claim: Claim) -> Outcome:
    subject = "in the most deprived fifth (deciles 1-2 of the nation's index)"
    if "deprivation_decile" not in d.eng or d.eng["deprivation_decile"].isna().all():
        return "no deprivation decile", _NOTREP, f"share {subject} as the word says", ""
    dec = pd.to_numeric(d.eng["deprivation_decile"], errors="coerce")
    note = "'most deprived areas' is read as the most deprived fifth of areas"
    return _share(d, claim, int((dec <= 2).sum()), int(dec.notna().sum()), subject, note)


def _found(d: _Data, claim: Claim) -> Outcome:
    p = claim.printed()
    rule = f"numerator and denominator equal {p.value} and {p.denominator}"
    if d.referred is None:
        note = "pass referred= (the service extract) to count the referred young people"
        return f"{d.fc(d.n)} engagers found; referred list not given", _NOTREP, rule, note
    k = int(d.referred["person_id"].astype(str).isin(d.eng["person_id"]).sum())
    n = len(d.referred)
    ok = k == p.number and n == p.base
    return _fmt_pct(k, n, d.fc), "match" if ok else "differs", rule, ""


def _after_arrest(d: _Data, claim: Claim) -> Outcome:
    a = d.arrests
    lb = pd.Timedelta(days=d.lookback_days)
    recent = a[
        (a["event_date"] < a["referral_date"]) & (a["event_date"] >= a["referral_date"] - lb)
    ]
    subject = f"of engagers with an arrest in the {d.lookback_days} days before referral"
    return _share(d, claim, int(recent["person_id"].nunique()), d.n, subject)


def _per_engager(frame: pd.DataFrame, d: _Data) -> pd.Series:
    return frame.groupby("person_id").size().reindex(d.eng["person_id"]).fillna(0)


def _multiple_arrests(d: _Data, claim: Claim) -> Outcome:
    k = int((_per_engager(d.arrests, d) >= 2).sum())
    return _share(d, claim, k, d.n, "of engagers with 2 or more arrests in the whole extract")


def _offences(d: _Data, claim: Claim) -> Outcome:
    cats = d.arrests["offence_category"].astype(str)
    cats = cats[cats != "Not applicable"].value_counts()
    top = ", ".join(f"{c} ({d.fc(v)})" for c, v in cats.head(4).items()) or "no arrests"
    ok = set(cats.index[:4]) == MAIN_OFFENCES
    rule = "the four most frequent harmonised categories of engagers' arrests are these four"
    return top, "match" if ok else "differs", rule, ""


#: Directional claims by area: (measure, kind of row, direction, what is counted).
_DIRECTIONS = {
    "people_arrested_down": ("people arrested", "people", "down", "fewer people arrested"),
    "offences_down": ("offences", "count", "down", "fewer offences"),
    "arrests_up": ("arrests", "count", "up", "more arrests"),
    "drug_arrests_down": ("drug_arrests", "count", "down", "fewer drug-offence arrests"),
    "people_drug_down": (
        "people arrested for drug offences",
        "people",
        "down",
        "fewer people arrested for drug offences",
    ),
}


def _direction(d: _Data, claim: Claim) -> Outcome:
    measure, kind, want, what = _DIRECTIONS[claim.kind]
    p = claim.printed()
    rule = f"areas with {what} after than before ({d.windows}) = {p.value} of {p.denominator}"
    tab = d.table
    t = tab[(tab["measure"] == measure) & (tab["kind"] == kind) & (tab["area"] != ALL_AREAS)]
    if t.empty or t["n_people"].sum() == 0:
        return "no engagers analysed", _NOTREP, rule, ""
    sel = t[(t["after"] < t["before"]) if want == "down" else (t["after"] > t["before"])]
    fc = d.fc
    detail = "; ".join(f"{r.area} {fc(r.before)}->{fc(r.after)}" for r in t.itertuples())
    ok = len(sel) == p.number and len(t) == p.base
    return f"{len(sel)} of {len(t)} areas ({detail})", "match" if ok else "differs", rule, ""


def _all_areas(d: _Data) -> pd.DataFrame:
    t = d.table
    return t[(t["area"] == ALL_AREAS) & (t["kind"] == "count")]


def _other_arrests(d: _Data, claim: Claim) -> Outcome:
    allr = _all_areas(d)
    other = allr[
        allr["measure"].str.startswith("arrests: ") & (allr["measure"] != "arrests: Drug offences")
    ]
    rule = (
        f"arrests for categories other than drug offences, all areas, {d.windows}: after < before"
    )
    if other.empty:
        return "no arrests", _NOTREP, rule, ""
    nb, na = int(other["before"].sum()), int(other["after"].sum())
    text = f"{d.fc(nb)} before -> {d.fc(na)} after (all areas)"
    return text, "match" if na < nb else "differs", rule, ""


def _missing_before(d: _Data) -> pd.Series:
    m = d.missing
    return _per_engager(m[m["reported_datetime"] < m["referral_date"]], d)


def _missing_share(d: _Data, claim: Claim) -> Outcome:
    k_min = 1 if claim.kind == "missing_before" else 2
    k = int((_missing_before(d) >= k_min).sum())
    subject = f"of engagers with {k_min} or more missing episodes before referral (whole extract)"
    note = (
        "read as 'multiple missing episodes before referral' among all engagers"
        if k_min == 2
        else ""
    )
    return _share(d, claim, k, d.n, subject, note)


def _missing_down(d: _Data, claim: Claim) -> Outcome:
    allr = _all_areas(d)
    mall = allr[allr["measure"] == "missing_episodes"]
    rule = f"missing episodes, all areas, {d.windows}: after < before"
    if mall.empty or mall["n_people"].iloc[0] == 0:
        return "no engagers analysed", _NOTREP, rule, ""
    r = mall.iloc[0]
    text = f"{d.fc(r.before)} before -> {d.fc(r.after)} after"
    return text, "match" if r.after < r.before else "differs", rule, ""


def _cardiff_missing(d: _Data, claim: Claim) -> Outcome:
    when = "before" if claim.kind == "cardiff_before" else "after"
    note = (
        "AfC counted incidents for its Cardiff service (119 supported 2020-2023; windows "
        f"not stated); regenerated from Cardiff engagers in police data, {d.windows}"
    )
    rule = "count equals the printed number"
    tab = d.table
    card = tab[(tab["area"] == "Cardiff") & (tab["measure"] == "missing_episodes")]
    if card.empty or card["n_people"].iloc[0] == 0:
        return "no Cardiff engagers analysed", _NOTREP, rule, note
    v = int(card[when].iloc[0])
    return d.fc(v), "match" if v == claim.printed().number else "differs", rule, note


def _cardiff_supported(d: _Data, claim: Claim) -> Outcome:
    rule = "referred young people in Cardiff equal the printed number"
    if d.referred is None:
        return "referred list not given", _NOTREP, rule, ""
    n = int((d.referred["area"].astype(str) == "Cardiff").sum())
    note = (
        "the evaluation's referral window (July 2020 - January 2023) is shorter than "
        "AfC's 2020-2023"
    )
    return d.fc(n), "match" if n == claim.printed().number else "differs", rule, note


def _cardiff_concerns(d: _Data, claim: Claim) -> Outcome:
    text = "police data record episodes, not concerns noted in referral information"
    return text, _NOTREP, "needs case-file data on concerns noted", ""


_REGENERATE: dict[str, Callable[[_Data, Claim], Outcome]] = {
    "white": lambda d, c: _demographic(d, c, "ethnicity", "White"),
    "male": lambda d, c: _demographic(d, c, "gender", "Male"),
    "mid_teens": _mid_teens,
    "deprived": _deprived,
    "found": _found,
    "after_arrest": _after_arrest,
    "multiple_arrests": _multiple_arrests,
    "offences": _offences,
    **dict.fromkeys(_DIRECTIONS, _direction),
    "other_arrests_down": _other_arrests,
    "missing_before": _missing_share,
    "multiple_missing": _missing_share,
    "missing_down": _missing_down,
    "cardiff_before": _cardiff_missing,
    "cardiff_after": _cardiff_missing,
    "cardiff_supported": _cardiff_supported,
    "cardiff_concerns": _cardiff_concerns,
}


# --------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------


def _check_referred(referred: pd.DataFrame | None) -> None:
    if referred is None:
        return
    missing = [c for c in ("person_id", "area") if c not in referred.columns]
    if missing:
        raise SocdataError(
            f"police_statements(): referred has no column(s) {missing}; pass the service "
            "extract or a frame with person_id and area of every referred young person."
        )


def police_statements(
    persons: pd.DataFrame,
    events: pd.DataFrame,
    missing: pd.DataFrame,
    *,
    referred: pd.DataFrame | None = None,
    window_months: int = 12,
    full_windows: bool = True,
    arrest_lookback_days: int = 90,
    start: str | pd.Timestamp | None = None,
    result: BeforeAfterResult | None = None,
    small_count: int | None = None,
    count_format: Callable[[float], str] | None = None,
) -> pd.DataFrame:
    """Regenerate the police statements of the March 2024 summary from police extracts.

    Parameters
    ----------
    persons, events, missing
        Police extracts (contract columns). Not modified.
    referred
        The list of referred young people (``person_id``, ``area``): needed for "77%
        (190/248) identified in police data" and the Cardiff count of 119; without it those
        rows are ``not reproducible``.
    window_months, full_windows, start
        Passed to :func:`socdata.describe.police.before_after` (the summary does not state
        its windows; 12 months of equal length is this package's reading).
    arrest_lookback_days
        "Referred following arrest" means an arrest in this many days before the referral
        date (default 90).
    result
        A :func:`~socdata.describe.police.before_after` result to reuse (else computed).
    small_count
        Disclosure control of the text: counts from 1 to ``small_count - 1`` in
        ``regenerated`` are written ``"<small_count"`` and shares with such a numerator (or
        complement) lose their fraction. Statuses are computed on the exact values. Default
        None (no masking; the bundled synthetic data need none).
    count_format
        How counts are written in ``regenerated`` (overrides ``small_count``): on real
        data pass :func:`socdata.report.control.count_formatter` of the run's rule set, so
        that counts are rounded and masked as in the tables and shares are computed from
        the released counts.

    Returns
    -------
    pandas.DataFrame
        One row per claim (:data:`CLAIMS`), columns :data:`STATEMENT_COLUMNS`:
        ``statement_id``, ``statement``, ``source``, ``printed``, ``regenerated``,
        ``status`` (``match``, ``differs`` or ``not reproducible``), ``rule`` (how the claim
        is read and compared), ``note``.

    Notes
    -----
    Printed figures come from ``data/published`` (:func:`printed_figure`). Fraction words
    are read as the intervals of :func:`socdata.words.word_interval` ("most": over 50%;
    "around half": 45-55%; "three quarters": 72.5-77.5%; "over 70%": above 70%) and the
    ``rule`` column states each one. Counts and bases ("77% (190/248)", "three of the four
    areas") match when they equal the printed ones. Personal characteristics are computed
    on engagers found in police data, since the summary's figures come from police data;
    ages are completed years at referral (:func:`age_at_referral`).
    """
    _check_referred(referred)
    fc = count_format or _count_formatter(small_count)
    res = result or before_after(
        persons,
        events,
        missing,
        window_months=window_months,
        full_windows=full_windows,
        referred=referred,
        start=start,
    )
    d = _data(persons, events, missing, res, referred, fc, arrest_lookback_days)
    rows = []
    for claim in CLAIMS:
        regenerated, status, rule, note = _REGENERATE[claim.kind](d, claim)
        rows.append(
            (claim.statement_id, claim.text(), claim.source, claim.printed_text(),
             regenerated, status, rule, note)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(STATEMENT_COLUMNS))
