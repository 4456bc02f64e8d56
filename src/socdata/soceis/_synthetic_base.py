"""Shared settings of the calibrated synthetic generator (:mod:`socdata.soceis.synthetic`).

Printed counts come from ``data/published`` (:func:`socdata.soceis.calibration.june2023_counts`);
the rest (areas' dates, the split of what the report does not print) is synthetic and
documented where it is set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socdata.schemas import load_spec
from socdata.soceis.calibration import june2023_counts

DEFAULT_SEED = 20230601

#: Areas in the order Tables 3-5 print them.
AREAS: tuple[str, ...] = ("Cardiff", "Edinburgh", "Newcastle", "Dundee")
NATIONS = {
    "Cardiff": "Wales",
    "Edinburgh": "Scotland",
    "Newcastle": "England",
    "Dundee": "Scotland",
}
_INDEX = {"Wales": "WIMD", "Scotland": "SIMD", "England": "IMD"}

#: Dates of data collection (section 2.1.4: Cardiff to October 2022, Edinburgh to February
#: 2023, Newcastle to January 2023; Dundee's case files: synthetic date).
EXTRACT_DATES = {
    "Cardiff": pd.Timestamp("2022-10-31"),
    "Edinburgh": pd.Timestamp("2023-02-28"),
    "Newcastle": pd.Timestamp("2023-01-31"),
    "Dundee": pd.Timestamp("2023-03-31"),
}
#: First intervention start per area (service data from June 2020 / July 2020).
_FIRST_START = {
    "Cardiff": pd.Timestamp("2020-06-08"),
    "Edinburgh": pd.Timestamp("2020-07-06"),
    "Newcastle": pd.Timestamp("2020-07-13"),
    "Dundee": pd.Timestamp("2021-01-11"),
}

_C = june2023_counts()

# ---- Table 4 ------------------------------------------------------------------------
_SOURCES = list(load_spec("service").column("referral_source").allowed)
_SOURCE_N = {a: [_C.referral_source[a][s] for s in _SOURCES] for a in AREAS}
_STATUS = list(load_spec("service").column("case_status").allowed)
_STATUS_N = {a: [_C.case_status[a][s] for s in _STATUS] for a in AREAS}
_CLOSURE = ["Intervention completed", "Support from other services", "Other", "Declined support"]
_CLOSURE_N = {a: [_C.closure_reason[a][c] for c in _CLOSURE] for a in AREAS}
# section 3.2: of 16 "Other" closures, 6 custody, 2 transferred to post-18 services, the
# rest moved area or accommodated (split synthetic)
_SUB_REASONS = {
    "Cardiff": ["Custody"] * 4
    + ["Moved area"] * 3
    + ["Accommodated"] * 2
    + ["Transferred to post-18 services"],
    "Edinburgh": ["Custody", "Transferred to post-18 services"],
    "Newcastle": ["Custody", "Moved area", "Accommodated"],
    "Dundee": ["Moved area"],
}
# ---- section 3.2 referral reasons (the printed counts sum to 223) ----------------------
_REASON_N = {
    r: _C.referral_reasons[r] for r in load_spec("service").column("referral_reason").allowed
}
# ---- Table 3: age at referral (completed years) counts, ages 11..18 -------------------
_AGE_N = {
    # mean 1341/84 = 15.96 -> 16, min 11, max 18
    "Cardiff": [1, 1, 3, 8, 14, 22, 25, 10],
    # mean 892/58 = 15.38 -> 15, min 13, max 18
    "Edinburgh": [0, 0, 4, 10, 18, 15, 8, 3],
    # mean 1000/71 = 14.08 -> 14, min 11, max 18
    "Newcastle": [4, 8, 14, 17, 14, 9, 4, 1],
    # case files (not used for Table 3 age); synthetic
    "Dundee": [0, 0, 1, 2, 3, 2, 2, 0],
}
_MALE_N = {"Cardiff": 77, "Edinburgh": 58, "Newcastle": 67, "Dundee": 7}
# ---- section 5.1 (Cardiff) ------------------------------------------------------------
_OUTCOMES = [
    "outcome_reduced_offending",
    "outcome_reduced_exploitation",
    "outcome_decision_making",
    "outcome_ete_engagement",
    "outcome_family_relationships",
]
# of the engaged closed cases (26 in this extract) and of the open cases with outcomes
_CLOSED_YES = [_C.outcomes_closed[c] for c in _OUTCOMES]
_OPEN_YES = [_C.outcomes_open[c] for c in _OUTCOMES]
_OPEN_RECORDED = 16  # the base the open-case percentages imply (10/16 = 62.5% -> 63%)
# ---- section 3.3 duration statistic ---------------------------------------------------
_EARLY_CLOSED = {"Cardiff": 18, "Edinburgh": 12, "Newcastle": 15}  # sum 45
_EARLY_MIN, _EARLY_MAX = 2, 30

# ---- Table 5 --------------------------------------------------------------------------
DOMAINS: tuple[str, ...] = (
    "domain_emotional_regulation",
    "domain_self_esteem",
    "domain_relationships",
    "domain_thinking_and_behaviour",
    "domain_caregiver_support",
    "domain_family_support",
    "domain_risky_situations",
    "domain_exploitation",
    "domain_safety_planning",
    "domain_peer_mapping",
    "domain_offending",
    "domain_peer_mentor",
    "domain_contextual_safeguarding",
    "domain_education_employability",
    "domain_identity_work",
    "domain_substance_misuse",
    "domain_daily_routine",
    "domain_housing",
)
_PLANS_N = {a: _C.plans[a] for a in AREAS}
# Yes counts per domain, columns Cardiff, Edinburgh, Newcastle, Dundee (None = not on form)
_DOMAIN_YES = {d: [_C.domains[d][a] for a in AREAS] for d in DOMAINS}

# ---- Tables 1-2 and sections 2.1.1-2.1.2 ----------------------------------------------
_PARTICIPANT_AREAS = ("Cardiff", "Dundee", "Edinburgh", "Newcastle")  # Tables 1-2 order
_TABLE1_ROLES = ("Young people", "Parents", "Foster carers", "Kinship carers")
_TABLE2_ROLES = ("Managers", "Partner organisations", "Practitioners", "Peer mentors")
_PHASE3 = {
    role: [_C.participants[role][a] for a in _PARTICIPANT_AREAS]
    for role in (*_TABLE1_ROLES, *_TABLE2_ROLES)
}
# phase 1: three of the four managers; phase 2: 11 practitioners, 1 peer mentor, 10
# partners (area split synthetic)
_PHASE1 = {"Managers": [1, 0, 1, 1]}
_PHASE2 = {
    "Practitioners": [3, 2, 3, 3],
    "Peer mentors": [0, 0, 1, 0],
    "Partner organisations": [3, 1, 3, 3],
}


def _counts_to_list(labels, counts) -> list:
    out: list = []
    for lab, n in zip(labels, counts, strict=True):
        out += [lab] * int(n)
    return out


def _add_months(d: pd.Timestamp, m: int) -> pd.Timestamp:
    return d + pd.DateOffset(months=int(m))


def _end_for(
    start: pd.Timestamp, months: int, rng: np.random.Generator, latest: pd.Timestamp
) -> pd.Timestamp:
    """An end date giving exactly ``months`` full months from ``start``, not after ``latest``."""
    lo = _add_months(start, months)
    hi = _add_months(start, months + 1) - pd.Timedelta(days=1)
    hi = min(hi, latest)
    if hi < lo:
        raise RuntimeError("no room for the requested duration")  # pragma: no cover
    return lo + pd.Timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))


def _rand_day(lo: pd.Timestamp, hi: pd.Timestamp, rng: np.random.Generator) -> pd.Timestamp:
    return lo + pd.Timedelta(days=int(rng.integers(0, max((hi - lo).days, 0) + 1)))


def _months_between(a: pd.Timestamp, b: pd.Timestamp) -> int:
    m = (b.year - a.year) * 12 + b.month - a.month
    return m if _add_months(a, m) <= b else m - 1


def _duration_range(reason: str) -> tuple[int, int]:
    return {
        "Intervention completed": (5, 18),
        "Support from other services": (2, 4),
        "Other": (2, 12),
        "Declined support": (0, 3),
    }[reason]
