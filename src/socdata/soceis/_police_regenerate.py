"""How each kind of police claim is regenerated from the extracts (for
:func:`socdata.soceis.police_statements.police_statements`).

Every function takes the engagers' data (:class:`_Data`) and a :class:`Claim` and returns
``(regenerated text, status, rule, note)``. Fraction words are judged with
:func:`socdata.words.word_interval`; statuses always use the exact counts, the text the
counts as ``fc`` writes them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pandas as pd

from socdata.dates import completed_years
from socdata.describe.police import ALL_AREAS
from socdata.errors import SocdataError
from socdata.rounding import round_half_up
from socdata.soceis.police_claims import MAIN_OFFENCES, MID_TEENS, Claim
from socdata.words import WordMeaning, word_interval

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


def engager_data(persons, events, missing, res, referred, fc, lookback_days) -> _Data:
    """Engagers of ``persons`` with their arrests and missing episodes (each with the
    person's referral date), and ``res``'s before/after table."""
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


def _pct_text(k: int, n: int) -> str:
    """Whole percent, rounded half up as the reports print (12.5% -> 13%)."""
    return f"{round_half_up(_pct(k, n)):.0f}%"


def _fmt_pct(k: int, n: int, fc: Callable[[float], str] = str) -> str:
    """``"81% (153/190)"``; under a count formatter that rounds, the counts are the
    released ones and the percentage is computed from them (never from the exact counts,
    which the percentage would otherwise give back)."""
    if not n:
        return "no one to count"
    if fc is str:
        return f"{_pct_text(k, n)} ({k}/{n})"
    rk, rn = fc(k), fc(n)
    if not (rk.isdigit() and rn.isdigit()) or int(rn) == 0:
        return f"share not shown (n={rn})"
    return f"{_pct_text(int(rk), int(rn))} ({rk}/{rn})"


def count_formatter(small_count: int | None) -> Callable[[float], str]:
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


#: S01-S03 are one printed sentence, checked one characteristic at a time.
_ONE_SENTENCE = (
    "printed as one sentence ('Most young people referred to the Service were white, male "
    "and in their mid-teens'); each characteristic is checked on its own"
)


def _demographic(d: _Data, claim: Claim, column: str, value: str) -> Outcome:
    subject = f"{value} among engagers found in police data"
    if column not in d.eng:
        return f"no {column}", _NOTREP, f"share {subject} as the word says", _ONE_SENTENCE
    k = int((d.eng[column].astype(str) == value).sum())
    return _share(d, claim, k, d.n, subject, _ONE_SENTENCE)


def _mid_teens(d: _Data, claim: Claim) -> Outcome:
    """ "Most ... in their mid-teens": the share aged 14-16 at referral, in completed years."""
    lo, hi = MID_TEENS
    subject = f"aged {lo}-{hi} at referral (completed years) among engagers found in police data"
    age = age_at_referral(d.eng)
    if age is None or age.notna().sum() == 0:
        return "no birth date or birth month", _NOTREP, f"share {subject}", _ONE_SENTENCE
    known = age.dropna().astype(int)
    k = int(known.between(lo, hi).sum())
    text, status, rule, note = _share(d, claim, k, len(known), subject, _ONE_SENTENCE)
    return f"{text}; median age {float(known.median()):g}", status, rule, note


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


REGENERATE: dict[str, Callable[[_Data, Claim], Outcome]] = {
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
