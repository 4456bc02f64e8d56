"""Seeded random extracts of the linked-cohort kinds, valid under every rule of their schema.

Like :mod:`socdata.datasets.random` (which dispatches here), these are not calibrated to any
publication; :mod:`socdata.datasets.linked` is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from socdata.minimum_dataset import DEPRIVATION_INDEX, code_cce_indicator
from socdata.schemas import load_spec

__all__ = ["LINKED_GENERATORS"]

_AREAS = (
    ("Cardiff", "Wales"),
    ("Newcastle", "England"),
    ("Edinburgh", "Scotland"),
    ("Belfast", "Northern Ireland"),
    ("Flintshire", "Wales"),
)
_FORCE = {
    "Wales": "South Wales Police",
    "England": "Northumbria Police",
    "Scotland": "Police Scotland",
    "Northern Ireland": "Police Service of Northern Ireland",
}
_CLASS = {
    "Wales": "Home Office",
    "England": "Home Office",
    "Scotland": "Scottish Crime Recording",
    "Northern Ireland": "PSNI",
}
_END = pd.Timestamp("2024-03-31")


def _finish(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    from socdata.datasets.random import _finish as finish  # one typing rule for every kind

    return finish(kind, frame.to_dict("records"))


def _pick(rng: np.random.Generator, values, n: int, p=None) -> np.ndarray:
    return rng.choice(np.array(values, dtype=object), size=n, p=p)


def _day(rng: np.random.Generator, n: int, lo: str = "2019-01-01", hi: str = "2023-12-31"):
    a, b = pd.Timestamp(lo), pd.Timestamp(hi)
    return pd.Series(a + pd.to_timedelta(rng.integers(0, (b - a).days + 1, size=n), unit="D"))


def _vulnerability(n: int, rng: np.random.Generator) -> pd.DataFrame:
    spec = load_spec("vulnerability")
    idx = rng.integers(0, len(_AREAS), size=n)
    nation = np.array([_AREAS[i][1] for i in idx], dtype=object)
    df = pd.DataFrame(
        {
            "person_id": [f"YP{i + 1:05d}" for i in range(n)],
            "area": [_AREAS[i][0] for i in idx],
            "nation": nation,
            "profile_date": _day(rng, n),
        }
    )
    for c in spec.columns:
        if c.allowed == ("Yes", "No", "Not known"):
            df[c.name] = _pick(rng, c.allowed, n, [0.5, 0.4, 0.1])
    df["education_status"] = _pick(rng, spec.column("education_status").allowed, n)
    df["cce_indicator"] = code_cce_indicator(
        df["exploiter_recorded"], df["criminal_activity_recorded"]
    ).to_numpy()
    types = [t for t in spec.column("exploitation_type").allowed if t != "None recorded"]
    df["exploitation_type"] = np.where(
        df["cce_indicator"] == "No", "None recorded", _pick(rng, types, n)
    )
    has = rng.random(n) < 0.9
    df["deprivation_decile"] = pd.array(
        np.where(has, rng.integers(1, 11, size=n), 0), dtype="Int64"
    ).astype("Int64")
    df.loc[~has, "deprivation_decile"] = pd.NA
    df["deprivation_index"] = np.where(has, [DEPRIVATION_INDEX[x] for x in nation], None)
    return _finish("vulnerability", df)


def _nrm(n: int, rng: np.random.Generator) -> pd.DataFrame:
    ref = _day(rng, n, hi="2023-06-30")
    rg = _pick(rng, ["Positive", "Negative", "Pending", "Withdrawn"], n, [0.7, 0.1, 0.1, 0.1])
    rg_date = (ref + pd.to_timedelta(rng.integers(1, 60, size=n), unit="D")).where(
        np.isin(rg, ["Positive", "Negative"])
    )
    cg = np.where(rg == "Positive", _pick(rng, ["Positive", "Negative", "Pending"], n), None)
    cg_date = (rg_date + pd.to_timedelta(rng.integers(30, 250, size=n), unit="D")).where(
        np.isin(cg, ["Positive", "Negative"])
    )
    df = pd.DataFrame(
        {
            "nrm_referral_id": [f"NRM{i + 1:05d}" for i in range(n)],
            "person_id": [f"YP{int(x):05d}" for x in rng.integers(1, max(n, 2), size=n)],
            "referral_date": ref,
            "first_responder": _pick(rng, load_spec("nrm").column("first_responder").allowed, n),
            "exploitation_type": _pick(rng, ["Criminal", "County lines", "Sexual"], n),
            "reasonable_grounds_decision": rg,
            "reasonable_grounds_date": rg_date,
            "conclusive_grounds_decision": cg,
            "conclusive_grounds_date": cg_date,
            "extract_date": _END,
        }
    )
    return _finish("nrm", df)


def _missing_detail(n: int, rng: np.random.Generator) -> pd.DataFrame:
    rep = _day(rng, n) + pd.to_timedelta(rng.integers(0, 1440, size=n), unit="min")
    found = (rep + pd.to_timedelta(rng.integers(30, 4000, size=n), unit="min")).where(
        rng.random(n) < 0.97
    )
    offered = np.where(found.notna(), _pick(rng, ["Yes", "No", "Not known"], n), "No")
    taken = np.where(offered == "Yes", _pick(rng, ["Yes", "No"], n), "No")
    df = pd.DataFrame(
        {
            "episode_id": [f"MD{i + 1:06d}" for i in range(n)],
            "person_id": [f"YP{int(x):05d}" for x in rng.integers(1, max(n // 3, 2), size=n)],
            "area": "Cardiff",
            "referral_date": _day(rng, n, "2020-01-01", "2023-12-31"),
            "missing_from": _pick(rng, ["Home", "Care", "Other", "Not known"], n),
            "reporting_agency": _pick(
                rng, load_spec("missing_detail").column("reporting_agency").allowed, n
            ),
            "reported_datetime": rep,
            "found_datetime": found,
            "return_interview_offered": offered,
            "return_interview_taken": taken,
            "return_interview_date": (found.dt.normalize() + pd.Timedelta(days=1)).where(
                taken == "Yes"
            ),
        }
    )
    return _finish("missing_detail", df)


def _arrest_outcomes(n: int, rng: np.random.Generator) -> pd.DataFrame:
    spec = load_spec("arrest_outcomes")
    nation = _pick(rng, list(_FORCE), n)
    arrest = _day(rng, n)
    outcome = _pick(rng, spec.column("outcome").allowed, n)
    odate = (arrest + pd.to_timedelta(rng.integers(0, 60, size=n), unit="D")).where(
        outcome != "Pending"
    )
    sref = _pick(rng, ["Yes", "No", "Not known"], n)
    df = pd.DataFrame(
        {
            "arrest_id": [f"A{i + 1:06d}" for i in range(n)],
            "person_id": [f"N{int(x):05d}" for x in rng.integers(1, max(n // 3, 2), size=n)],
            "police_force": [_FORCE[x] for x in nation],
            "arrest_date": arrest,
            "offence_category": _pick(rng, spec.column("offence_category").allowed, n),
            "source_classification": [_CLASS[x] for x in nation],
            "outcome": outcome,
            "outcome_date": odate,
            "safeguarding_referral": sref,
            "safeguarding_referral_date": (arrest + pd.Timedelta(days=1)).where(sref == "Yes"),
            "extract_date": _END,
        }
    )
    return _finish("arrest_outcomes", df)


def _assessments(n: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    person, reading = 1, 1
    start = _day(rng, 1).iat[0]
    while len(rows) < n:
        date = start + pd.Timedelta(days=91 * (reading - 1))
        for d in ("Accommodation", "Positive use of time", "A crime-free life"):
            if len(rows) == n:
                break
            rows.append(
                {
                    "person_id": f"YP{person:05d}",
                    "area": "Cardiff",
                    "tool": "Justice Star",
                    "reading_number": reading,
                    "assessment_date": date,
                    "domain": d,
                    "score": int(rng.integers(1, 11)),
                }
            )
        reading += 1
        if reading > int(rng.integers(2, 6)):
            person, reading, start = person + 1, 1, _day(rng, 1).iat[0]
    return _finish("assessments", pd.DataFrame(rows))


def _linkage_identifiers(n: int, rng: np.random.Generator) -> pd.DataFrame:
    source = np.where(np.arange(n) % 2 == 0, "Service", "Police")
    df = pd.DataFrame(
        {
            "source": source,
            "record_id": [f"R{i + 1:06d}" for i in range(n)],
            "child_identifier": np.where(
                rng.random(n) < 0.7, [f"U{int(x):09d}" for x in rng.integers(0, 10**9, n)], None
            ),
            "date_of_birth": _day(rng, n, "2004-01-01", "2012-12-31"),
            "gender": _pick(rng, ["Male", "Female", "Not known"], n, [0.7, 0.25, 0.05]),
            "area": _pick(rng, [a for a, _ in _AREAS], n),
        }
    )
    return _finish("linkage_identifiers", df)


#: Random generator of each linked-cohort kind.
LINKED_GENERATORS: dict[str, Callable[[int, np.random.Generator], pd.DataFrame]] = {
    "vulnerability": _vulnerability,
    "nrm": _nrm,
    "missing_detail": _missing_detail,
    "arrest_outcomes": _arrest_outcomes,
    "assessments": _assessments,
    "linkage_identifiers": _linkage_identifiers,
}
