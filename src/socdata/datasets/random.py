"""Seeded random extracts that satisfy every rule of their schema.

These are *not* calibrated to the published tables (``socdata.soceis.synthetic`` and
``socdata.datasets.police`` are); they exist so that tests, property-based tests and
examples have valid data of every kind.  Every frame is canonical and typed exactly like
:func:`socdata.read_extract` output, and validates without errors or warnings.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from socdata.datasets.random_linked import LINKED_GENERATORS
from socdata.errors import SchemaError
from socdata.schemas import KINDS, TEXT_DTYPE, load_spec

__all__ = ["AREAS", "random_extract"]

#: SOCEIS areas: (area, nation, police force, extract date of the service data).
AREAS: tuple[tuple[str, str, str, str], ...] = (
    ("Cardiff", "Wales", "South Wales Police", "2022-10-31"),
    ("Edinburgh", "Scotland", "Police Scotland", "2023-02-28"),
    ("Newcastle", "England", "Northumbria Police", "2023-01-31"),
    ("Dundee", "Scotland", "Police Scotland", "2023-03-31"),
)
_INDEX = {"England": "IMD", "Wales": "WIMD", "Scotland": "SIMD", "Northern Ireland": "NIMDM"}
_FORCE_END = {
    "South Wales Police": "2023-06-30",
    "Northumbria Police": "2023-05-31",
    "Police Scotland": "2023-07-31",
}
_SERVICE_START = pd.Timestamp("2020-06-01")


def _days(rng: np.random.Generator, lo: int, hi: int) -> pd.Timedelta:
    return pd.Timedelta(days=int(rng.integers(lo, hi + 1)))


def _age(dob: pd.Timestamp, at: pd.Timestamp) -> int:
    return at.year - dob.year - ((at.month, at.day) < (dob.month, dob.day))


def _finish(kind: str, rows: list[dict]) -> pd.DataFrame:
    spec = load_spec(kind)
    frame = pd.DataFrame(rows)
    out = {}
    for c in spec.columns:
        s = frame[c.name] if c.name in frame else pd.Series([None] * len(frame))
        if c.pandas_dtype == TEXT_DTYPE:
            s = s.astype(object).where(s.notna(), np.nan)
        out[c.name] = s.astype(c.pandas_dtype)
    return pd.DataFrame(out).reset_index(drop=True)


def _service(n: int, rng: np.random.Generator) -> pd.DataFrame:
    sources = list(load_spec("service").column("referral_source").allowed)
    source_p = np.array([96, 43, 38, 7, 1, 31, 4, 3], dtype=float)
    reasons = [
        "Criminal exploitation",
        "At risk of criminal exploitation (school)",
        "Association with SOC group or gang",
        "Repeated offending",
        "Drug dealing",
        "Other",
    ]
    reason_p = np.array([154, 28, 16, 12, 5, 8], dtype=float)
    closures = [
        "Intervention completed",
        "Support from other services",
        "Other",
        "Declined support",
    ]
    closure_p = np.array([47, 24, 16, 46], dtype=float)
    subs = ["Custody", "Moved area", "Accommodated", "Transferred to post-18 services", "Other"]
    ethnicities = ["White", "Mixed", "Asian", "Black", "Other", "Not known"]
    outcomes = [
        "reduced_offending",
        "reduced_exploitation",
        "decision_making",
        "ete_engagement",
        "family_relationships",
    ]
    rows: list[dict] = []
    p = 0
    while len(rows) < n:
        p += 1
        area, nation, _, extract = AREAS[int(rng.integers(len(AREAS)))]
        extract_date = pd.Timestamp(extract)
        span = (extract_date - _SERVICE_START).days - 60
        episodes = 2 if (rng.random() < 0.08 and n - len(rows) >= 2) else 1
        age0 = int(rng.integers(11, 17 if episodes == 2 else 19))
        first_ref = _SERVICE_START + _days(rng, 0, span // (2 if episodes == 2 else 1))
        dob = first_ref - pd.DateOffset(years=age0) - _days(rng, 1, 360)
        gender = str(
            rng.choice(["Male", "Female", "Other", "Not known"], p=[0.9, 0.08, 0.01, 0.01])
        )
        ethnicity = str(rng.choice(ethnicities)) if rng.random() < 0.85 else None
        decile = int(rng.integers(1, 11)) if rng.random() < 0.8 else None
        give_dob = rng.random() < 0.85
        ref = first_ref
        for e in range(episodes):
            if e == 0 and episodes == 2:
                status = "Closed"
            else:
                status = str(
                    rng.choice(
                        ["Open", "Closed", "Not allocated", "Not started", "Unknown"],
                        p=[0.35, 0.58, 0.02, 0.04, 0.01],
                    )
                )
            start = end = closure = sub = None
            if status in ("Open", "Closed", "Unknown"):
                start = ref + _days(rng, 3, 45)
                if start > extract_date:
                    start = extract_date
            if status == "Closed":
                closure = str(rng.choice(closures, p=closure_p / closure_p.sum()))
                if closure == "Declined support" and rng.random() < 0.3:
                    start = None
                base = start if start is not None else ref
                end = min(base + _days(rng, 14, 540), extract_date)
                if closure == "Other":
                    sub = str(rng.choice(subs))
            engaged = status == "Open" or (status == "Closed" and closure != "Declined support")
            age = _age(dob, ref)
            row = {
                "person_id": f"P{p:05d}",
                "referral_id": f"R{len(rows) + 1:05d}",
                "area": area,
                "nation": nation,
                "date_of_birth": dob if give_dob else None,
                "age_at_referral": age,
                "gender": gender,
                "ethnicity": ethnicity,
                "deprivation_decile": decile,
                "deprivation_index": _INDEX[nation] if decile is not None else None,
                "referral_date": ref,
                "referral_source": str(rng.choice(sources, p=source_p / source_p.sum())),
                "referral_reason": str(rng.choice(reasons, p=reason_p / reason_p.sum())),
                "case_status": status,
                "intervention_start_date": start,
                "intervention_end_date": end,
                "closure_reason": closure,
                "closure_sub_reason": sub,
                "sessions_attended": int(rng.integers(1, 60)) if start is not None else None,
                "record_source": "Service data",
                "extract_date": extract_date,
            }
            for o in outcomes:
                row[f"outcome_{o}"] = (
                    str(rng.choice(["Yes", "No"], p=[0.65, 0.35])) if engaged else "Not recorded"
                )
            row["outcome_positive_any"] = (
                "Yes"
                if any(row[f"outcome_{o}"] == "Yes" for o in outcomes)
                else ("No" if engaged else "Not recorded")
            )
            rows.append(row)
            if e == 0 and episodes == 2:
                ref = end + _days(rng, 1, 60)
                if ref > extract_date - pd.Timedelta(days=1) or _age(dob, ref) > 18:
                    ref = end  # re-referral on the closing day is allowed
    return _finish("service", rows)


_DOMAINS = (
    "emotional_regulation",
    "self_esteem",
    "relationships",
    "thinking_and_behaviour",
    "caregiver_support",
    "family_support",
    "risky_situations",
    "exploitation",
    "safety_planning",
    "peer_mapping",
    "offending",
    "peer_mentor",
    "contextual_safeguarding",
    "education_employability",
    "identity_work",
    "substance_misuse",
    "daily_routine",
    "housing",
)
#: Domains not on Cardiff's plan form (Table 5 footnote).
CARDIFF_NOT_ON_FORM = _DOMAINS[10:]


def _plans(n: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for i in range(n):
        area = AREAS[int(rng.integers(len(AREAS)))][0]
        row = {
            "plan_id": f"PL{i + 1:04d}",
            "person_id": f"P{int(rng.integers(1, 400)):05d}",
            "area": area,
            "plan_date": _SERVICE_START + _days(rng, 0, 800) if rng.random() < 0.9 else None,
        }
        for d in _DOMAINS:
            if area == "Cardiff" and d in CARDIFF_NOT_ON_FORM:
                row[f"domain_{d}"] = "Not on form"
            else:
                row[f"domain_{d}"] = str(rng.choice(["Yes", "No"], p=[0.55, 0.45]))
        rows.append(row)
    return _finish("plans", rows)


def _participants(n: int, rng: np.random.Generator) -> pd.DataFrame:
    roles = [
        "Young people",
        "Parents",
        "Foster carers",
        "Kinship carers",
        "Managers",
        "Partner organisations",
        "Practitioners",
        "Peer mentors",
    ]
    dates = {
        1: ("2021-04-01", 160),
        2: ("2021-10-01", 90),
        3: ("2022-04-01", 90),
        4: ("2023-01-10", 90),
    }
    rows: list[dict] = []
    k = 0
    while len(rows) < n:
        k += 1
        area = AREAS[int(rng.integers(len(AREAS)))][0]
        role = str(rng.choice(roles))
        phases = sorted(
            rng.choice([1, 2, 3, 4], size=1 + int(rng.random() < 0.15), replace=False).tolist()
        )
        for ph in phases[: n - len(rows)]:
            start, width = dates[int(ph)]
            rows.append(
                {
                    "participant_id": f"IP{k:03d}",
                    "area": area,
                    "role": role,
                    "phase": int(ph),
                    "interview_date": pd.Timestamp(start) + _days(rng, 0, width),
                }
            )
    return _finish("participants", rows)


def _police_persons(n: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for i in range(n):
        area, nation, force, _ = AREAS[int(rng.integers(len(AREAS)))]
        end = pd.Timestamp(_FORCE_END[force])
        engager = rng.random() < 0.2
        dob = pd.Timestamp("2002-01-01") + _days(rng, 0, 9 * 365)
        decile = int(rng.integers(1, 11)) if rng.random() < 0.8 else None
        form = rng.random()
        rows.append(
            {
                "person_id": f"N{i + 1:06d}",
                "group": "Engager" if engager else "Comparator",
                "police_force": force,
                "area": area,
                "date_of_birth": dob if form < 0.5 else None,
                "birth_month": dob.strftime("%Y-%m") if form >= 0.3 else None,
                "gender": str(rng.choice(["Male", "Female", "Not known"], p=[0.85, 0.13, 0.02])),
                "ethnicity": str(
                    rng.choice(["White", "Mixed", "Asian", "Black", "Other", "Not known"])
                ),
                "deprivation_decile": decile,
                "deprivation_index": _INDEX[nation] if decile is not None else None,
                "referral_date": (pd.Timestamp("2020-07-01") + _days(rng, 0, 900))
                if engager
                else None,
                "extract_date": end,
            }
        )
    return _finish("police_persons", rows)


_OFFENCES = [
    "Violence against the person",
    "Sexual offences",
    "Robbery",
    "Theft",
    "Burglary",
    "Criminal damage",
    "Drug offences",
    "Possession of weapons",
    "Public order",
    "Vehicle offences",
    "Miscellaneous",
]


def _police_events(n: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    n_people = max(1, n // 6)
    for i in range(n):
        etype = str(rng.choice(["Arrest", "Offence", "Custody"], p=[0.45, 0.45, 0.10]))
        date = pd.Timestamp("2018-01-01") + _days(rng, 0, 5 * 365)
        cat = (
            str(rng.choice(_OFFENCES))
            if etype != "Custody" or rng.random() < 0.5
            else "Not applicable"
        )
        coded = cat != "Not applicable" and rng.random() < 0.8
        rows.append(
            {
                "event_id": f"E{i + 1:07d}",
                "person_id": f"N{int(rng.integers(1, n_people + 1)):06d}",
                "event_date": date,
                "event_type": etype,
                "offence_category": cat,
                "source_offence_code": f"{int(rng.integers(1, 200)):03d}/{int(rng.integers(0, 99)):02d}"
                if coded
                else None,
                "source_classification": str(
                    rng.choice(["Home Office", "Scottish Crime Recording"])
                )
                if coded
                else None,
                "custody_end_date": date + _days(rng, 0, 120) if etype == "Custody" else None,
            }
        )
    return _finish("police_events", rows)


def _police_missing(n: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    n_people = max(1, n // 4)
    for i in range(n):
        reported = pd.Timestamp("2018-01-01") + pd.Timedelta(
            minutes=int(rng.integers(0, 5 * 365 * 24 * 60))
        )
        found = (
            reported + pd.Timedelta(minutes=int(rng.integers(30, 7 * 24 * 60)))
            if rng.random() < 0.95
            else None
        )
        rows.append(
            {
                "episode_id": f"M{i + 1:06d}",
                "person_id": f"N{int(rng.integers(1, n_people + 1)):06d}",
                "reported_datetime": reported.floor("min"),
                "found_datetime": found.floor("min") if found is not None else None,
            }
        )
    return _finish("police_missing", rows)


_GENERATORS: dict[str, Callable[[int, np.random.Generator], pd.DataFrame]] = {
    "service": _service,
    "plans": _plans,
    "participants": _participants,
    "police_persons": _police_persons,
    "police_events": _police_events,
    "police_missing": _police_missing,
}
_GENERATORS.update(LINKED_GENERATORS)


def random_extract(kind: str, n: int = 100, seed: int | None = 0) -> pd.DataFrame:
    """A random, valid extract of one kind.

    Parameters
    ----------
    kind
        Extract kind (a kind of :data:`socdata.schemas.KINDS` with a bundled file).
    n
        Number of rows.
    seed
        Seed of the random generator (same seed, same frame).

    Returns
    -------
    pandas.DataFrame
        Canonical columns in schema order, typed as :func:`socdata.read_extract` returns
        them; passes :func:`socdata.validate.validate_extract` with no errors or warnings.

    Examples
    --------
    >>> from socdata.datasets import random_extract
    >>> random_extract("service", n=5, seed=1).shape
    (5, 27)
    """
    if kind not in _GENERATORS:
        known = ", ".join(k for k in KINDS if k in _GENERATORS)
        raise SchemaError(f"no random generator for extract kind {kind!r}; choose one of: {known}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    if n == 0:
        return load_spec(kind).empty_frame()
    return _GENERATORS[kind](n, rng)
