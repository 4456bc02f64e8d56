"""Case-file kinds of the linked synthetic cohort: vulnerability, NRM, missing episodes, Stars.

Each function takes the cohort register of :func:`socdata.datasets.linked.cohort_register`
and a random generator and returns a canonical frame of one extract kind. The published
figures the cohort must reproduce are read from ``data/published/aff_submission_2024.csv``
(Flintshire's percentages) or are the submission's printed counts (Cardiff 119, 70%, 140, 85).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socdata.minimum_dataset import PROFILE_ITEMS, code_cce_indicator
from socdata.paths import published_dir
from socdata.rounding import round_half_up

__all__ = [
    "CARDIFF_EPISODES",
    "JUSTICE_STAR_DOMAINS",
    "assessments",
    "flintshire_counts",
    "missing_detail",
    "nrm",
    "vulnerability",
]

#: Cardiff missing incidents before and after referral among the 119 supported 2020-2023,
#: and the share with missing concerns (Action for Children submission, seed line 5).
CARDIFF_EPISODES = {"supported": 119, "concerns_pct": 70, "before": 140, "after": 85}
#: Follow-up end of the Cardiff missing-episode counts ("2020-2023").
CARDIFF_AFTER_END = pd.Timestamp("2023-12-31 23:59")
#: Domains of the Justice Star.
JUSTICE_STAR_DOMAINS: tuple[str, ...] = (
    "Accommodation",
    "Living skills and self-care",
    "Mental health and well-being",
    "Friends and community",
    "Relationships and family",
    "Parenting and caring",
    "Drugs and alcohol",
    "Positive use of time",
    "Managing strong feelings",
    "A crime-free life",
)
_YN = np.array(["Yes", "No"], dtype=object)
_TYPES = np.array(
    [
        "County lines",
        "Other drug supply",
        "Acquisitive crime",
        "Violence or weapons",
        "Sexual",
        "Financial",
        "Other criminal",
    ]
)
_TYPE_P = np.array([0.35, 0.25, 0.15, 0.15, 0.03, 0.04, 0.03])


def flintshire_counts(n: int = 15) -> dict[str, tuple[str, str, int]]:
    """Counts out of ``n`` nearest each printed Flintshire percentage.

    Returns ``{printed label: (column, value, k)}`` with ``k`` the whole number of children
    whose share of ``n``, rounded half up, is nearest the printed percentage (ties to the
    lower count). Printed percentages that no count gives are findings, not bent.
    """
    pub = pd.read_csv(published_dir() / "aff_submission_2024.csv", dtype=str)
    rows = pub[(pub["table_id"] == "aff_flintshire") & (pub["measure"] == "pct")]
    printed = dict(zip(rows["row_label"], rows["value"].astype(float), strict=True))
    out = {}
    for label, (col, value) in PROFILE_ITEMS.items():
        pct = printed[label]
        k = min(range(n + 1), key=lambda j: (abs(round_half_up(100 * j / n) - pct), j))
        out[label] = (col, value, k)
    return out


def _flag(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    return np.where(rng.random(n) < p, "Yes", "No").astype(object)


def _exact(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    out = np.full(n, "No", dtype=object)
    out[rng.choice(n, size=k, replace=False)] = "Yes"
    return out


def _flintshire(block: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(block)
    edu = None
    for _label, (col, value, k) in flintshire_counts(n).items():
        if col == "education_status":
            if edu is None:
                edu = np.full(n, "Not known", dtype=object)
                free = list(rng.permutation(n))
            take, free = free[:k], free[k:]
            edu[take] = value
        else:
            block[col] = _exact(rng, n, k)
    block["education_status"] = edu
    return block


def vulnerability(register: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One case-file profile per child, at referral (Flintshire: the counts printed)."""
    n = len(register)
    df = register[["person_id", "area", "nation", "deprivation_decile", "deprivation_index"]].copy()
    df["profile_date"] = register["referral_date"]
    for col, p in (
        ("missing_episodes", 0.45),
        ("school_exclusion", 0.55),
        ("care_experienced", 0.25),
        ("substance_misuse", 0.50),
        ("county_lines_indicators", 0.35),
        ("relationship_difficulties", 0.70),
        ("aggression", 0.50),
        ("poor_engagement_with_services", 0.45),
        ("witnessed_domestic_violence", 0.40),
        ("carries_weapons", 0.30),
        ("unexplained_money_or_drugs", 0.40),
        ("parent_in_prison", 0.20),
    ):
        df[col] = _flag(rng, n, p)
    df["education_status"] = rng.choice(
        np.array(["Mainstream school", "Alternative education", "NEET", "Not known"]),
        size=n,
        p=[0.45, 0.25, 0.25, 0.05],
    ).astype(object)
    cardiff = (df["area"] == "Cardiff").to_numpy()
    k = CARDIFF_EPISODES["supported"] * CARDIFF_EPISODES["concerns_pct"] // 100
    df.loc[cardiff, "missing_episodes"] = _exact(rng, int(cardiff.sum()), k)
    fl = (df["area"] == "Flintshire").to_numpy()
    df.loc[fl] = _flintshire(df.loc[fl].copy(), rng)
    df["exploiter_recorded"] = rng.choice(
        np.array(["Yes", "No", "Not known"]), size=n, p=[0.6, 0.2, 0.2]
    ).astype(object)
    df["criminal_activity_recorded"] = rng.choice(
        np.array(["Yes", "No", "Not known"]), size=n, p=[0.75, 0.15, 0.10]
    ).astype(object)
    df["cce_indicator"] = code_cce_indicator(
        df["exploiter_recorded"], df["criminal_activity_recorded"]
    ).to_numpy()
    types = rng.choice(_TYPES, size=n, p=_TYPE_P).astype(object)
    df["exploitation_type"] = np.where(df["cce_indicator"] == "No", "None recorded", types)
    df.loc[df["exploitation_type"] == "County lines", "county_lines_indicators"] = "Yes"
    flint_idx = df["area"] == "Flintshire"
    df.loc[flint_idx, "deprivation_decile"] = rng.integers(1, 6, size=int(flint_idx.sum()))
    df["deprivation_decile"] = df["deprivation_decile"].astype("Int64")
    return df.reset_index(drop=True)


def _times(rng: np.random.Generator, lo: pd.Timestamp, hi: pd.Timestamp, k: int) -> list:
    span = max(int((hi - lo).total_seconds() // 60), 1)
    mins = np.sort(rng.integers(0, span, size=k))
    return [lo + pd.Timedelta(minutes=int(m)) for m in mins]


def _episode_rows(
    register: pd.DataFrame, people: list[str], before: int, after: int, rng: np.random.Generator
) -> list[tuple]:
    reg = register.set_index("person_id")
    n = len(people)
    k_before = np.ones(n, dtype=int) + rng.multinomial(before - n, np.full(n, 1 / n))
    follow = np.array(
        [max((CARDIFF_AFTER_END - reg.at[p, "referral_date"]).days, 1) for p in people], dtype=float
    )
    k_after = rng.multinomial(after, follow / follow.sum()) if after else np.zeros(n, int)
    rows = []
    for p, kb, ka in zip(people, k_before, k_after, strict=True):
        ref = reg.at[p, "referral_date"]
        lo = max(ref - pd.Timedelta(days=730), pd.Timestamp("2018-01-01"))
        for t in _times(rng, lo, ref - pd.Timedelta(minutes=1), int(kb)):
            rows.append((p, reg.at[p, "area"], ref, t))
        for t in _times(rng, ref, CARDIFF_AFTER_END, int(ka)):
            rows.append((p, reg.at[p, "area"], ref, t))
    return rows


def missing_detail(
    register: pd.DataFrame,
    rng: np.random.Generator,
    vulnerability_frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Missing episodes of Cardiff (140 before, 85 after referral) and Flintshire children."""
    vul = (
        vulnerability_frame
        if vulnerability_frame is not None
        else vulnerability(register, np.random.default_rng(0))
    )
    yes = vul.loc[vul["missing_episodes"] == "Yes", ["person_id", "area", "care_experienced"]]
    cardiff = yes.loc[yes["area"] == "Cardiff", "person_id"].tolist()
    rows = _episode_rows(
        register, cardiff, CARDIFF_EPISODES["before"], CARDIFF_EPISODES["after"], rng
    )
    flint = yes.loc[yes["area"] == "Flintshire", "person_id"].tolist()
    rows += _episode_rows(register, flint, 2 * len(flint), 0, rng)
    df = pd.DataFrame(rows, columns=["person_id", "area", "referral_date", "reported_datetime"])
    n = len(df)
    care = df["person_id"].map(vul.set_index("person_id")["care_experienced"]).eq("Yes")
    from_care = (care & (rng.random(n) < 0.7)).to_numpy()
    df["missing_from"] = np.where(from_care, "Care", "Home")
    home_agency = rng.choice(
        np.array(["Parent or carer", "School", "Children's services", "Police", "Other"]),
        size=n,
        p=[0.75, 0.10, 0.05, 0.05, 0.05],
    )
    care_agency = np.where(rng.random(n) < 0.8, "Care provider", "Police")
    df["reporting_agency"] = np.where(from_care, care_agency, home_agency)
    hours = rng.lognormal(np.log(10), 1.2, size=n)
    found = df["reported_datetime"] + pd.to_timedelta(np.round(hours * 60), unit="min")
    still = rng.random(n) < 0.01
    df["found_datetime"] = found.where(~still)
    offered = np.where(still, "No", np.where(rng.random(n) < 0.75, "Yes", "No"))
    taken = np.where((offered == "Yes") & (rng.random(n) < 0.6), "Yes", "No")
    df["return_interview_offered"] = offered.astype(object)
    df["return_interview_taken"] = taken.astype(object)
    rhi = found.dt.normalize() + pd.to_timedelta(rng.integers(0, 4, size=n), unit="D")
    df["return_interview_date"] = rhi.where(taken == "Yes")
    df = df.sort_values(["reported_datetime", "person_id"], kind="stable").reset_index(drop=True)
    df.insert(0, "episode_id", [f"SYN-MD-{i + 1:05d}" for i in range(len(df))])
    return df


def nrm(
    register: pd.DataFrame, rng: np.random.Generator, extract_date: str = "2024-03-31"
) -> pd.DataFrame:
    """NRM referrals for about 30% of the cohort, with reasonable and conclusive grounds."""
    end = pd.Timestamp(extract_date)
    pick = register[rng.random(len(register)) < 0.30]
    rows = []
    for i, r in enumerate(pick.itertuples(index=False)):
        ref = min(r.referral_date + pd.Timedelta(days=int(rng.integers(-60, 300))), end)
        rg_date = ref + pd.Timedelta(days=int(rng.integers(5, 60)))
        if rg_date > end:
            rg, rg_date = "Pending", pd.NaT
        else:
            rg = str(rng.choice(["Positive", "Negative", "Withdrawn"], p=[0.85, 0.10, 0.05]))
            rg_date = rg_date if rg != "Withdrawn" else pd.NaT
        cg, cg_date = None, pd.NaT
        if rg == "Positive":
            d = rg_date + pd.Timedelta(days=int(rng.integers(100, 600)))
            if d > end:
                cg = "Pending"
            else:
                cg, cg_date = str(rng.choice(["Positive", "Negative"], p=[0.85, 0.15])), d
        rows.append(
            {
                "nrm_referral_id": f"SYN-NRM-{i + 1:04d}",
                "person_id": r.person_id,
                "referral_date": ref,
                "first_responder": str(
                    rng.choice(
                        ["Police", "Local authority", "Youth justice", "Third sector", "Other"],
                        p=[0.40, 0.40, 0.10, 0.08, 0.02],
                    )
                ),
                "exploitation_type": str(
                    rng.choice(["Criminal", "County lines", "Sexual"], p=[0.55, 0.40, 0.05])
                ),
                "reasonable_grounds_decision": rg,
                "reasonable_grounds_date": rg_date,
                "conclusive_grounds_decision": cg,
                "conclusive_grounds_date": cg_date,
                "extract_date": end,
            }
        )
    return pd.DataFrame(rows)


def assessments(
    register: pd.DataFrame, rng: np.random.Generator, extract_date: str = "2022-10-31"
) -> pd.DataFrame:
    """Justice Star readings every three months of support for children who engaged.

    Readings run from the intervention start to its end (open cases: ``extract_date`` for
    the June 2023 children, 2024-03-31 for those referred later); at most six readings.
    Scores start at 2-5 and rise by about half a point a reading, clipped to 1-10.
    """
    rows = []
    for r in register.itertuples(index=False):
        if pd.isna(r.intervention_start_date) or str(r.closure_reason) == "Declined support":
            continue
        stop = r.intervention_end_date
        if pd.isna(stop):
            stop = pd.Timestamp(extract_date if r.in_service_extract else "2024-03-31")
        dates = pd.date_range(r.intervention_start_date, stop, freq="91D")[:6]
        base = rng.integers(2, 6, size=len(JUSTICE_STAR_DOMAINS))
        gain = rng.normal(0.5, 0.4, size=len(JUSTICE_STAR_DOMAINS))
        for j, d in enumerate(dates):
            noise = rng.normal(0, 0.6, size=len(JUSTICE_STAR_DOMAINS))
            score = np.clip(np.round(base + gain * j + noise), 1, 10).astype(int)
            for dom, s in zip(JUSTICE_STAR_DOMAINS, score, strict=True):
                rows.append((r.person_id, r.area, "Justice Star", j + 1, d, dom, int(s)))
    cols = ["person_id", "area", "tool", "reading_number", "assessment_date", "domain", "score"]
    df = pd.DataFrame(rows, columns=cols)
    df["reading_number"] = df["reading_number"].astype("Int64")
    df["score"] = df["score"].astype("Int64")
    return df
