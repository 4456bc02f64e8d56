"""Police side of the linked synthetic cohort: identifiers, arrest outcomes and the linkage truth.

Each child of the cohort register found in police data (77%, March 2024's 190/248) gets a
police record with its own id; a comparator pool of children never referred is added. The
police copy of a child's identifiers carries realistic recording differences, so that the
linkage rules have something to miss and something to get wrong:

* the unique child identifier is held by the police for 60% of records, with a transposition
  of two digits in 3% of those held;
* the date of birth has day and month swapped (when both are 12 or less) in 3% of records;
* gender is "Not known" in 2% of police records;
* 15 comparators share date of birth, gender and area with a referred child who is *not* in
  police data (different children with the same characteristics: the fallback rule links
  them falsely) and 5 share them with a child who *is* (the fallback key is then not unique
  and the rule refuses to link).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socdata.dates import DAYS_PER_YEAR

__all__ = [
    "EXTRACT_DATE",
    "FORCES",
    "arrest_rows",
    "found_count",
    "generate_police_side",
    "police_records",
    "truth_pairs",
]

#: Follow-up end of every force in the linked cohort.
EXTRACT_DATE = pd.Timestamp("2024-03-31")
#: Police force of each area.
FORCES = {
    "Cardiff": "South Wales Police",
    "Flintshire": "North Wales Police",
    "Newcastle": "Northumbria Police",
    "Edinburgh": "Police Scotland",
    "Dundee": "Police Scotland",
}
_CLASSIFICATION = {"Police Scotland": "Scottish Crime Recording"}
_START = pd.Timestamp("2019-01-01")
_OFFENCES = np.array(
    [
        "Violence against the person",
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
)
_OFFENCE_P = np.array([0.22, 0.06, 0.14, 0.08, 0.08, 0.18, 0.10, 0.08, 0.04, 0.02])
_OUTCOMES = np.array(
    ["Charge", "Caution", "Community resolution", "Diversion", "No further action"]
)
_OUTCOME_P = np.array([0.32, 0.10, 0.16, 0.10, 0.32])


def _uci(rng: np.random.Generator, n: int) -> np.ndarray:
    nums = rng.choice(10**9, size=n, replace=False)
    return np.array([f"U{x:09d}" for x in nums])


def _transpose(s: str, rng: np.random.Generator) -> str:
    i = int(rng.integers(1, len(s) - 1))
    chars = list(s)
    chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars) if chars != list(s) else s[:-1] + str((int(s[-1]) + 1) % 10)


def _swap_day_month(d: pd.Timestamp) -> pd.Timestamp:
    if d.day <= 12 and d.day != d.month:
        return pd.Timestamp(year=d.year, month=d.day, day=d.month)
    return d + pd.Timedelta(days=1)


def _police_copy(found: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(found)
    uci = found["child_identifier"].to_numpy(dtype=object).copy()
    held = rng.random(n) < 0.60
    typo = held & (rng.random(n) < 0.03)
    for i in np.flatnonzero(typo):
        uci[i] = _transpose(str(uci[i]), rng)
    uci[~held] = None
    dob = found["date_of_birth"].copy()
    swap = rng.random(n) < 0.03
    dob[swap] = [_swap_day_month(d) for d in dob[swap]]
    gender = found["gender"].to_numpy(dtype=object).copy()
    gender[rng.random(n) < 0.02] = "Not known"
    return pd.DataFrame(
        {
            "child_identifier": uci,
            "date_of_birth": dob.to_numpy(),
            "gender": gender,
            "area": found["area"].to_numpy(),
            "service_id": found["person_id"].to_numpy(),
        }
    )


def _comparators(
    register: pd.DataFrame, found_ids: set[str], n: int, rng: np.random.Generator
) -> pd.DataFrame:
    areas = register["area"].to_numpy()
    area = rng.choice(areas, size=n)
    dob = pd.Timestamp("2003-01-01") + pd.to_timedelta(rng.integers(0, 9 * 365, size=n), "D")
    gender = np.where(rng.random(n) < 0.8, "Male", "Female").astype(object)
    uci = np.where(rng.random(n) < 0.5, _uci(rng, n), None)
    out = pd.DataFrame(
        {
            "child_identifier": uci,
            "date_of_birth": dob,
            "gender": gender,
            "area": area,
            "service_id": None,
        }
    )
    not_found = register[~register["person_id"].isin(found_ids)]
    found = register[register["person_id"].isin(found_ids)]
    twins = pd.concat(
        [
            not_found.sample(15, random_state=rng.integers(2**31)),
            found.sample(5, random_state=rng.integers(2**31)),
        ]
    )
    for j, (_, row) in enumerate(twins.iterrows()):
        out.loc[j, ["date_of_birth", "gender", "area", "child_identifier"]] = [
            row["date_of_birth"],
            row["gender"],
            row["area"],
            None,
        ]
    return out


def arrest_rows(people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Arrests with outcomes for police records with an index date and an after-index rate ratio.

    ``people`` has ``police_id, police_force, index_date, rate_before, ratio_after``; arrests
    fall between 2019-01-01 and :data:`EXTRACT_DATE` at ``rate_before`` a year before the index
    date and ``rate_before * ratio_after`` after it.
    """
    rows = []
    for p in people.itertuples(index=False):
        for lo, hi, rate in (
            (_START, p.index_date, p.rate_before),
            (p.index_date, EXTRACT_DATE, p.rate_before * p.ratio_after),
        ):
            days = (hi - lo).days
            if days <= 0:
                continue
            k = rng.poisson(rate * days / DAYS_PER_YEAR)
            for d in np.sort(rng.integers(0, days, size=k)):
                rows.append((p.police_id, p.police_force, lo + pd.Timedelta(days=int(d))))
    df = pd.DataFrame(rows, columns=["person_id", "police_force", "arrest_date"])
    n = len(df)
    df["offence_category"] = rng.choice(_OFFENCES, size=n, p=_OFFENCE_P)
    df["source_classification"] = df["police_force"].map(_CLASSIFICATION).fillna("Home Office")
    outcome = rng.choice(_OUTCOMES, size=n, p=_OUTCOME_P).astype(object)
    delay = pd.to_timedelta(rng.integers(0, 90, size=n), unit="D")
    odate = df["arrest_date"] + delay
    pending = (odate > EXTRACT_DATE).to_numpy()
    outcome[pending] = "Pending"
    df["outcome"] = outcome
    df["outcome_date"] = odate.where(~pending)
    sref = rng.random(n) < 0.30
    sdate = df["arrest_date"] + pd.to_timedelta(rng.integers(0, 4, size=n), unit="D")
    sdate = sdate.where(sdate <= EXTRACT_DATE, EXTRACT_DATE)
    df["safeguarding_referral"] = np.where(sref, "Yes", "No")
    df["safeguarding_referral_date"] = sdate.where(sref)
    df["extract_date"] = EXTRACT_DATE
    df = df.sort_values(["arrest_date", "person_id"], kind="stable").reset_index(drop=True)
    df.insert(0, "arrest_id", [f"SYN-A-{i + 1:06d}" for i in range(len(df))])
    return df


def _rates(police: pd.DataFrame, register: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    reg = register.set_index("person_id")
    linked = police["service_id"].notna().to_numpy()
    n = len(police)
    rate = rng.gamma(2.0, 0.5, size=n) * np.where(linked, 1.6, 1.0)
    index = pd.Series(pd.NaT, index=police.index, dtype="datetime64[ns]")
    ratio = np.full(n, 0.9)
    for i in np.flatnonzero(linked):
        r = reg.loc[police.at[i, "service_id"]]
        index.iat[i] = r["referral_date"]
        start, end = r["intervention_start_date"], r["intervention_end_date"]
        declined = str(r["closure_reason"]) == "Declined support"  # NA-safe (pandas 3 str)
        if pd.isna(start) or declined:
            ratio[i] = 1.0
        else:
            # engagement length in average months (a rate parameter, not the report's
            # full-months rule, which socdata.derive.spells.full_months implements)
            months = ((EXTRACT_DATE if pd.isna(end) else end) - start).days / 30.4375
            ratio[i] = float(np.exp(-0.06 * min(months, 18.0)))
    by_area = register.groupby("area")["referral_date"]
    for i in np.flatnonzero(~linked):
        dates = by_area.get_group(police.at[i, "area"]).to_numpy()
        index.iat[i] = pd.Timestamp(rng.choice(dates))
    return police.assign(index_date=index, rate_before=rate, ratio_after=ratio)


def police_records(
    register: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cohort with its child identifiers, and its police records (each child found plus
    comparators) in police-id order: the first draws of :func:`generate_police_side`.

    Which police record is which child is fixed here (:func:`truth_pairs`); the later draws
    (rates, arrests) do not change it.
    """
    reg = register.copy()
    n = len(reg)
    uci = _uci(rng, n).astype(object)
    reg["child_identifier"] = np.where(rng.random(n) < 0.90, uci, None)
    found_ids: set[str] = set()
    for _, group in reg.groupby("in_service_extract", sort=True):
        ids = group["person_id"].to_numpy()
        found_ids |= set(rng.choice(ids, size=found_count(len(ids)), replace=False))
    k = len(found_ids)
    found = reg[reg["person_id"].isin(found_ids)].copy()
    found["child_identifier"] = uci[reg["person_id"].isin(found_ids).to_numpy()]
    police = pd.concat(
        [_police_copy(found, rng), _comparators(reg, found_ids, 4 * k, rng)],
        ignore_index=True,
    )
    police = police.iloc[rng.permutation(len(police))].reset_index(drop=True)
    police["police_id"] = [f"SYN-LP-{i + 1:05d}" for i in range(len(police))]
    police["police_force"] = police["area"].map(FORCES)
    return reg, police


def truth_pairs(police: pd.DataFrame) -> pd.DataFrame:
    """``service_id, police_id`` of the police records that are children of the cohort."""
    truth = police.loc[police["service_id"].notna(), ["service_id", "police_id"]]
    return truth.sort_values("service_id").reset_index(drop=True)


def generate_police_side(
    register: pd.DataFrame, rng: np.random.Generator
) -> dict[str, pd.DataFrame]:
    """Police records, both sides' linkage identifiers, arrests and the truth.

    Returns
    -------
    dict
        ``linkage_identifiers`` (service rows then police rows), ``arrest_outcomes`` and
        ``truth`` (``service_id, police_id``, one row per linked pair).
    """
    reg, police = police_records(register, rng)
    police = _rates(police, reg, rng)
    arrests = arrest_rows(police, rng)
    service_rows = pd.DataFrame(
        {
            "source": "Service",
            "record_id": reg["person_id"],
            "child_identifier": reg["child_identifier"],
            "date_of_birth": reg["date_of_birth"],
            "gender": reg["gender"],
            "area": reg["area"],
        }
    )
    police_rows = pd.DataFrame(
        {
            "source": "Police",
            "record_id": police["police_id"],
            "child_identifier": police["child_identifier"],
            "date_of_birth": pd.to_datetime(police["date_of_birth"]),
            "gender": police["gender"],
            "area": police["area"],
        }
    )
    ids = pd.concat([service_rows, police_rows], ignore_index=True)
    return {
        "linkage_identifiers": ids,
        "arrest_outcomes": arrests,
        "truth": truth_pairs(police),
        "police_records": police,
    }


def found_count(n: int) -> int:
    """Children found in police data out of ``n``, so that the printed 77% (190/248) holds.

    The count nearest ``n * 190 / 248`` whose share of ``n``, rounded half up, is 77%; when no
    count out of ``n`` gives 77% (e.g. 50: 38 is 76%, 39 is 78%), ``n * 190 / 248`` rounded
    half up. For 221 children: 170 (76.9%), not 169 (76.5%, printed as 76%).
    """
    target = n * 190 / 248
    ok = [k for k in range(n + 1) if np.floor(100 * k / n + 0.5) == 77] if n else []
    if ok:
        return min(ok, key=lambda k: (abs(k - target), k))
    return int(np.floor(target + 0.5))
