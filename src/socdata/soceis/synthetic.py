"""Seeded synthetic SOCEIS extracts calibrated to the June 2023 evaluation report.

:func:`generate` returns the three extract kinds the report's descriptive analysis uses:

``service``
    223 referral episodes in Cardiff (84), Edinburgh (58), Newcastle (71) and Dundee (10)
    that reproduce Table 3 (age and gender), Table 4 (referral source, case status, closure
    reason), the section 3.2 referral reasons and closure detail, the section 3.3 duration
    statistic (closed cases starting in the first six months of each area's service:
    n = 45, 2 to 30 months), the two Newcastle re-referrals, and the section 5.1 Cardiff
    outcomes *where they agree with Table 4* (see below).
``plans``
    40 intervention plans (Cardiff 13, Edinburgh 12, Newcastle 10, Dundee 5) reproducing
    Table 5 cell by cell; Cardiff's form has no field for the eight starred domains, which
    are ``"Not on form"`` (not ``"No"``).
``participants``
    interview participants of the four evaluation phases; phase 3 reproduces Tables 1-2.

Every identifier starts with ``SYN-``; no real person is represented. Category counts are
exact (they are the report's numbers); who gets which category, dates, and the remaining
attributes are drawn from the seeded generator.

**Which published figure each extract honours when the figures disagree:**

* Table 4 over section 5.1: Cardiff has 57 closed cases of which 31 declined support, so
  26 closed cases where the young person engaged (the schema's definition of *engaged*);
  section 5.1 says thirty. The extract keeps Table 4 and the 5.1 *counts* (23, 20, 19, 12,
  19 of 26), so the 5.1 closed-case percentages cannot match.
* Section 5.1 open cases: 16 of the 18 open Cardiff cases have their outcomes recorded
  (the base the printed percentages imply: 10/16 = 62.5% -> 63%); 13 of 16 reduced
  offending is 81%, not the printed 82% (no base gives 13/n = 82%).
* Table 3 Dundee 66% male: 7 of Dundee's 10 referrals are male (70%), the value the
  Overall 94% requires ((77 + 58 + 67 + 7) / 223 = 93.7%); no count out of 10 rounds to 66%.
* Table 3 ages: Dundee rows carry an age (the schema requires one) but come from case files
  (``record_source = "Case file"``); the table builder follows the report and computes age
  from service data only.
* Referral reasons (section 3.2): the six printed counts sum to 223, not the printed 222;
  the extract keeps the counts (every referral has a reason).
* The two Newcastle re-referrals are referral episodes among Newcastle's 71, so the 223
  referrals are 221 distinct young people.

The explanation page ``docs/explanation/synthetic-data.md`` lists every decision.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socdata.schemas import load_spec

__all__ = [
    "AREAS",
    "DEFAULT_SEED",
    "EXTRACT_DATES",
    "NATIONS",
    "generate",
]

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

# ---- Table 4 ------------------------------------------------------------------------
_SOURCES = list(load_spec("service").column("referral_source").allowed)
_SOURCE_N = {
    "Cardiff": [42, 7, 33, 1, 1, 0, 0, 0],
    "Edinburgh": [38, 9, 1, 3, 0, 2, 4, 1],
    "Newcastle": [11, 24, 4, 3, 0, 29, 0, 0],
    "Dundee": [5, 3, 0, 0, 0, 0, 0, 2],
}
_STATUS = ["Open", "Closed", "Not allocated", "Not started", "Unknown"]
_STATUS_N = {
    "Cardiff": [18, 57, 4, 4, 1],
    "Edinburgh": [25, 33, 0, 0, 0],
    "Newcastle": [27, 40, 0, 4, 0],
    "Dundee": [7, 3, 0, 0, 0],
}
_CLOSURE = ["Intervention completed", "Support from other services", "Other", "Declined support"]
_CLOSURE_N = {
    "Cardiff": [16, 0, 10, 31],
    "Edinburgh": [19, 3, 2, 9],
    "Newcastle": [12, 21, 3, 4],
    "Dundee": [0, 0, 1, 2],
}
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
# ---- section 3.2 referral reasons (counts sum to 223) ---------------------------------
_REASON_N = {
    "Criminal exploitation": 154,
    "At risk of criminal exploitation (school)": 28,
    "Association with SOC group or gang": 16,
    "Repeated offending": 12,
    "Drug dealing": 5,
    "Other": 8,
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
_CLOSED_YES = [23, 20, 19, 12, 19]  # of the engaged closed cases (26 in this extract)
_OPEN_YES = [13, 10, 10, 11, 10]  # of 16 open cases with outcomes recorded
_OPEN_RECORDED = 16
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
_PLANS_N = {"Cardiff": 13, "Edinburgh": 12, "Newcastle": 10, "Dundee": 5}
# Yes counts per domain, columns Cardiff, Edinburgh, Newcastle, Dundee (None = not on form)
_DOMAIN_YES = {
    "domain_emotional_regulation": [12, 4, 10, 5],
    "domain_self_esteem": [12, 0, 6, 5],
    "domain_relationships": [13, 2, 5, 5],
    "domain_thinking_and_behaviour": [13, 4, 9, 4],
    "domain_caregiver_support": [10, 0, 6, 3],
    "domain_family_support": [7, 2, 3, 3],
    "domain_risky_situations": [12, 0, 0, 2],
    "domain_exploitation": [12, 3, 0, 5],
    "domain_safety_planning": [9, 1, 1, 2],
    "domain_peer_mapping": [11, 0, 2, 5],
    "domain_offending": [None, 8, 0, 2],
    "domain_peer_mentor": [None, 4, 0, 0],
    "domain_contextual_safeguarding": [None, 10, 0, 5],
    "domain_education_employability": [None, 9, 4, 3],
    "domain_identity_work": [None, 1, 2, 1],
    "domain_substance_misuse": [None, 3, 2, 3],
    "domain_daily_routine": [None, 0, 2, 1],
    "domain_housing": [None, 1, 0, 0],
}

# ---- Tables 1-2 and sections 2.1.1-2.1.2 ----------------------------------------------
_PARTICIPANT_AREAS = ("Cardiff", "Dundee", "Edinburgh", "Newcastle")  # Tables 1-2 order
_PHASE3 = {
    # Table 1
    "Young people": [3, 3, 2, 3],
    "Parents": [1, 1, 7, 4],
    "Foster carers": [0, 0, 0, 1],
    "Kinship carers": [1, 3, 0, 0],
    # Table 2
    "Managers": [0, 1, 0, 0],
    "Partner organisations": [1, 4, 4, 1],
    "Practitioners": [0, 1, 0, 0],
    "Peer mentors": [1, 0, 0, 1],
}
_TABLE1_ROLES = ("Young people", "Parents", "Foster carers", "Kinship carers")
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


def _service(rng: np.random.Generator) -> pd.DataFrame:
    rows: list[dict] = []
    for area in AREAS:
        n = sum(_SOURCE_N[area])
        ext = EXTRACT_DATES[area]
        s0 = _FIRST_START[area]
        w_end = _add_months(s0, 6)
        status = _counts_to_list(_STATUS, _STATUS_N[area])
        closure = _counts_to_list(_CLOSURE, _CLOSURE_N[area])
        rng.shuffle(closure)
        subs = list(_SUB_REASONS[area])
        recs = []
        for st in status:
            rec = {"area": area, "case_status": st}
            if st == "Closed":
                rec["closure_reason"] = closure.pop()
                if rec["closure_reason"] == "Other":
                    rec["closure_sub_reason"] = subs.pop()
            recs.append(rec)
        # ---- dates
        closed_idx = [i for i, r in enumerate(recs) if r["case_status"] == "Closed"]
        n_early = _EARLY_CLOSED.get(area, 0)
        if area == "Dundee":
            n_early = 0
        # early closed: not the declined-after-0-months kind; choose among closed cases
        early = (
            set(rng.choice(closed_idx, size=n_early, replace=False).tolist()) if n_early else set()
        )
        forced_min = min(early) if early and area == "Cardiff" else None
        forced_max = min(early) if early and area == "Edinburgh" else None
        for i, r in enumerate(recs):
            st = r["case_status"]
            if area == "Dundee" or st not in ("Open", "Closed"):
                # case-file records (Dundee) carry no intervention dates; not started etc.
                if st in ("Open", "Closed"):
                    ref = _rand_day(s0, ext - pd.Timedelta(days=200), rng)
                    r["referral_date"] = ref
                    if st == "Closed":
                        # closed cases carry an end date (schema R09); Dundee's case files
                        # give no start date, so no spell can be formed
                        r["intervention_end_date"] = _rand_day(
                            ref + pd.Timedelta(days=60), ext, rng
                        )
                else:
                    r["referral_date"] = _rand_day(ext - pd.Timedelta(days=120), ext, rng)
                continue
            if st == "Closed":
                lo_m, hi_m = _duration_range(r["closure_reason"])
                if i in early:
                    start = _rand_day(s0, w_end - pd.Timedelta(days=1), rng)
                    if i == forced_min:
                        m = _EARLY_MIN
                    elif i == forced_max:
                        m = _EARLY_MAX
                    else:
                        m = int(rng.integers(max(lo_m, _EARLY_MIN), max(hi_m, _EARLY_MIN) + 1))
                        if rng.random() < 0.25 and r["closure_reason"] != "Declined support":
                            m = int(rng.integers(12, 27))  # some long engagements
                    if i == forced_min and area == "Cardiff":
                        start = s0 + pd.Timedelta(days=10)
                    if i == forced_max:
                        start = s0 + pd.Timedelta(days=14)
                else:
                    m = int(rng.integers(lo_m, hi_m + 1))
                    latest_start = _add_months(ext, -(m + 1))
                    start = _rand_day(w_end, max(latest_start, w_end), rng)
                # never beyond the extract date (the forced 2 and 30 always fit)
                m = min(m, _months_between(start, ext))
                r["intervention_start_date"] = start
                r["intervention_end_date"] = _end_for(start, m, rng, ext)
            else:  # Open
                start = _rand_day(s0 + pd.Timedelta(days=30), ext - pd.Timedelta(days=20), rng)
                r["intervention_start_date"] = start
            back = int(rng.integers(3, 35))
            r["referral_date"] = max(
                r["intervention_start_date"] - pd.Timedelta(days=back), s0 - pd.Timedelta(days=21)
            )
        # the first spell of the area starts exactly on the service's first start date
        opened = [r for r in recs if "intervention_start_date" in r]
        if opened:
            first = min(opened, key=lambda r: r["intervention_start_date"])
            if first["intervention_start_date"] > s0:
                shift = first["intervention_start_date"] - s0
                first["intervention_start_date"] = s0
                first["referral_date"] = first["referral_date"] - shift
                if "intervention_end_date" in first:
                    # keep its duration in full months
                    m = _months_between(s0 + shift, first["intervention_end_date"])
                    first["intervention_end_date"] = _end_for(s0, m, rng, ext)
        # ---- referral source, gender, ages
        src = _counts_to_list(_SOURCES, _SOURCE_N[area])
        rng.shuffle(src)
        gender = ["Male"] * _MALE_N[area] + ["Female"] * (n - _MALE_N[area])
        rng.shuffle(gender)
        ages = _counts_to_list(range(11, 19), _AGE_N[area])
        rng.shuffle(ages)
        for r, s, g, a in zip(recs, src, gender, ages, strict=True):
            r["referral_source"] = s
            r["gender"] = g
            r["age_at_referral"] = int(a)
        rows += recs
    df = pd.DataFrame(rows)
    df = df.sort_values(["area", "referral_date"], kind="mergesort").reset_index(drop=True)
    df = _make_rereferrals(df, rng)
    df = _assign_people(df, rng)
    df = _referral_reasons(df, rng)
    df = _outcomes(df, rng)
    df = _other_columns(df, rng)
    return _order_service(df)


def _make_rereferrals(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Link two pairs of Newcastle episodes into re-referred young people (section 3.3).

    Person A: closed (intervention completed) then re-referred and open.
    Person B: closed (support from other services) then re-referred and closed (completed).
    Dates are set so the second referral follows the first closure by 3-4 months.
    """
    df = df.copy()
    df["_pair"] = pd.NA
    ncl = df[df["area"] == "Newcastle"]
    ext = EXTRACT_DATES["Newcastle"]
    w_end = _add_months(_FIRST_START["Newcastle"], 6)

    def late(mask):
        cand = ncl[mask & (ncl["intervention_start_date"] >= w_end)]
        return cand.index[0]

    a1 = late(ncl["closure_reason"] == "Intervention completed")
    a2 = ncl[(ncl["case_status"] == "Open")].index[-1]
    b1 = late(ncl["closure_reason"] == "Support from other services")
    b2 = ncl[
        (ncl["closure_reason"] == "Intervention completed")
        & (ncl.index != a1)
        & (ncl["intervention_start_date"] >= w_end)
    ].index[-1]
    plan = [
        (a1, a2, pd.Timestamp("2021-03-01"), 5, pd.Timestamp("2021-11-15"), None),
        (b1, b2, pd.Timestamp("2021-05-10"), 2, pd.Timestamp("2022-01-17"), 7),
    ]
    for k, (i1, i2, s1, m1, s2, m2) in enumerate(plan):
        s1 = s1 + pd.Timedelta(days=int(rng.integers(0, 10)))
        df.loc[i1, "intervention_start_date"] = s1
        df.loc[i1, "referral_date"] = s1 - pd.Timedelta(days=14)
        df.loc[i1, "intervention_end_date"] = _end_for(s1, m1, rng, ext)
        df.loc[i2, "intervention_start_date"] = s2
        df.loc[i2, "referral_date"] = s2 - pd.Timedelta(days=10)
        if m2 is not None:
            df.loc[i2, "intervention_end_date"] = _end_for(s2, m2, rng, ext)
        # same person: same gender (male), same age at both referrals
        for i in (i1, i2):
            df.loc[i, "_pair"] = k
        df.loc[i2, "gender"] = "Male"
        df.loc[i1, "gender"] = "Male"
        df.loc[i2, "age_at_referral"] = df.loc[i1, "age_at_referral"]
    # restore the exact male count and age vector of Newcastle: swap with other rows
    df = _rebalance(df, "Newcastle")
    return df


def _rebalance(df: pd.DataFrame, area: str) -> pd.DataFrame:
    """Restore exact gender and age counts after forcing re-referral attributes."""
    idx = df.index[df["area"] == area]
    paired = df.index[df["_pair"].notna()]
    free = [i for i in idx if i not in set(paired)]
    # gender: adjust free rows to reach the target male count
    target = _MALE_N[area]
    diff = int((df.loc[idx, "gender"] == "Male").sum()) - target
    for i in free:
        if diff == 0:
            break
        if diff > 0 and df.loc[i, "gender"] == "Male":
            df.loc[i, "gender"] = "Female"
            diff -= 1
        elif diff < 0 and df.loc[i, "gender"] == "Female":
            df.loc[i, "gender"] = "Male"
            diff += 1
    # ages: make the multiset equal to the target by editing free rows
    want = pd.Series(_counts_to_list(range(11, 19), _AGE_N[area])).value_counts()
    have = df.loc[idx, "age_at_referral"].value_counts()
    surplus = (have.sub(want, fill_value=0)).astype(int)
    extra_ages = [a for a, k in surplus.items() if k > 0 for _ in range(k)]
    short_ages = [a for a, k in surplus.items() if k < 0 for _ in range(-k)]
    for a_from, a_to in zip(extra_ages, short_ages, strict=True):
        i = next(i for i in free if df.loc[i, "age_at_referral"] == a_from)
        df.loc[i, "age_at_referral"] = a_to
    return df


def _assign_people(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    df = df.copy()
    df = df.sort_values(["referral_date", "area"], kind="mergesort").reset_index(drop=True)
    df["referral_id"] = [f"SYN-REF-{i + 1:04d}" for i in range(len(df))]
    pid, k = [], 0
    pair_id: dict[int, str] = {}
    for p in df["_pair"]:
        if pd.notna(p) and int(p) in pair_id:
            pid.append(pair_id[int(p)])
            continue
        k += 1
        this = f"SYN-YP-{k:04d}"
        if pd.notna(p):
            pair_id[int(p)] = this
        pid.append(this)
    df["person_id"] = pid
    # dates of birth consistent with completed years at every referral of the person
    dob = {}
    for person, g in df.groupby("person_id", sort=False):
        age = int(g["age_at_referral"].iloc[0])
        first, last = g["referral_date"].min(), g["referral_date"].max()
        lo = last - pd.DateOffset(years=age + 1) + pd.Timedelta(days=1)
        hi = first - pd.DateOffset(years=age)
        dob[person] = _rand_day(lo, hi, rng)
    df["date_of_birth"] = df["person_id"].map(dob)
    dundee = df["area"] == "Dundee"
    df.loc[dundee, "date_of_birth"] = pd.NaT  # case files: age only
    return df


def _referral_reasons(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    df = df.copy()
    edu = df.index[df["referral_source"] == "Education"].to_numpy()
    school = rng.choice(
        edu, size=_REASON_N["At risk of criminal exploitation (school)"], replace=False
    )
    rest = [i for i in df.index if i not in set(school.tolist())]
    pool = _counts_to_list(
        [k for k in _REASON_N if k != "At risk of criminal exploitation (school)"],
        [v for k, v in _REASON_N.items() if k != "At risk of criminal exploitation (school)"],
    )
    rng.shuffle(pool)
    df["referral_reason"] = pd.Series(dtype="object")
    df.loc[school, "referral_reason"] = "At risk of criminal exploitation (school)"
    df.loc[rest, "referral_reason"] = pool
    return df


def _outcomes(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    df = df.copy()
    for c in [*_OUTCOMES, "outcome_positive_any"]:
        df[c] = "Not recorded"
    df["outcome_positive_any"] = pd.Series(pd.NA, index=df.index, dtype="object")
    card = df["area"] == "Cardiff"
    engaged = df.index[
        card & (df["case_status"] == "Closed") & (df["closure_reason"] != "Declined support")
    ].to_numpy()
    declined = df.index[card & (df["closure_reason"] == "Declined support")]
    for col, yes in zip(_OUTCOMES, _CLOSED_YES, strict=True):
        vals = np.array(["Yes"] * yes + ["No"] * (len(engaged) - yes), dtype=object)
        rng.shuffle(vals)
        df.loc[engaged, col] = vals
    anyyes = (df.loc[engaged, _OUTCOMES] == "Yes").any(axis=1)
    df.loc[engaged, "outcome_positive_any"] = np.where(anyyes, "Yes", "No")
    df.loc[declined, "outcome_positive_any"] = "Not recorded"
    opened = df.index[card & (df["case_status"] == "Open")].to_numpy().copy()
    rng.shuffle(opened)
    rec, unrec = opened[:_OPEN_RECORDED], opened[_OPEN_RECORDED:]
    for col, yes in zip(_OUTCOMES, _OPEN_YES, strict=True):
        vals = np.array(["Yes"] * yes + ["No"] * (len(rec) - yes), dtype=object)
        rng.shuffle(vals)
        df.loc[rec, col] = vals
    df.loc[rec, "outcome_positive_any"] = "Yes"
    df.loc[unrec, "outcome_positive_any"] = "No"
    return df


def _other_columns(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    df = df.copy()
    df["nation"] = df["area"].map(NATIONS)
    df["extract_date"] = df["area"].map(EXTRACT_DATES)
    df["record_source"] = np.where(df["area"] == "Dundee", "Case file", "Service data")
    # person-level attributes drawn once per person
    people = df["person_id"].unique()
    eth = rng.choice(
        ["White", "Mixed", "Black", "Asian", "Other", "Not known"],
        size=len(people),
        p=[0.78, 0.08, 0.06, 0.04, 0.02, 0.02],
    )
    dec = rng.choice(
        np.arange(1, 11),
        size=len(people),
        p=[0.3, 0.22, 0.15, 0.1, 0.07, 0.05, 0.04, 0.03, 0.02, 0.02],
    )
    df["ethnicity"] = df["person_id"].map(dict(zip(people, eth, strict=True)))
    df["deprivation_decile"] = df["person_id"].map(dict(zip(people, dec, strict=True)))
    df["deprivation_index"] = df["nation"].map(_INDEX)
    # sessions attended: declined support 0; engaged closed/open 2-40; others none
    sess = pd.Series(pd.NA, index=df.index, dtype="Int64")
    started = df["intervention_start_date"].notna()
    sess[started] = rng.integers(2, 41, size=int(started.sum()))
    sess[df["closure_reason"] == "Declined support"] = 0
    df["sessions_attended"] = sess
    return df


_SERVICE_ORDER = [
    "person_id",
    "referral_id",
    "area",
    "nation",
    "date_of_birth",
    "age_at_referral",
    "gender",
    "ethnicity",
    "deprivation_decile",
    "deprivation_index",
    "referral_date",
    "referral_source",
    "referral_reason",
    "case_status",
    "intervention_start_date",
    "intervention_end_date",
    "closure_reason",
    "closure_sub_reason",
    "sessions_attended",
    *_OUTCOMES,
    "outcome_positive_any",
    "record_source",
    "extract_date",
]


def _order_service(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in ("closure_reason", "closure_sub_reason"):
        if c not in out.columns:
            out[c] = pd.NA
    for c in (
        "date_of_birth",
        "referral_date",
        "intervention_start_date",
        "intervention_end_date",
        "extract_date",
    ):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    out["age_at_referral"] = out["age_at_referral"].astype("Int64")
    out["deprivation_decile"] = out["deprivation_decile"].astype("Int64")
    for c in ("person_id", "referral_id"):
        out[c] = out[c].astype("string")
    out = out[_SERVICE_ORDER].sort_values("referral_id").reset_index(drop=True)
    return out


def _plans(service: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    k = 0
    for j, area in enumerate(AREAS):
        n = _PLANS_N[area]
        cand = service[
            (service["area"] == area)
            & service["case_status"].isin(["Open", "Closed"])
            & (service["closure_reason"] != "Declined support")
        ]
        cand = cand.drop_duplicates("person_id")
        pick = cand.sample(n=n, random_state=int(rng.integers(0, 2**31 - 1)))
        cols = {}
        for dom in DOMAINS:
            yes = _DOMAIN_YES[dom][j]
            if yes is None:
                cols[dom] = ["Not on form"] * n
            else:
                v = ["Yes"] * yes + ["No"] * (n - yes)
                rng.shuffle(v)
                cols[dom] = v
        for i, (_, r) in enumerate(pick.iterrows()):
            k += 1
            base = r["intervention_start_date"]
            if pd.isna(base):
                base = r["referral_date"]
            plan_date = min(base + pd.Timedelta(days=int(rng.integers(7, 45))), EXTRACT_DATES[area])
            rows.append(
                {
                    "plan_id": f"SYN-PLAN-{k:03d}",
                    "person_id": r["person_id"],
                    "area": area,
                    "plan_date": plan_date,
                    **{d: cols[d][i] for d in DOMAINS},
                }
            )
    out = pd.DataFrame(rows)
    out["plan_date"] = pd.to_datetime(out["plan_date"]).astype("datetime64[ns]")
    for c in ("plan_id", "person_id"):
        out[c] = out[c].astype("string")
    return out


def _participants(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    k = 0
    windows = {
        1: (pd.Timestamp("2021-04-01"), pd.Timestamp("2021-09-30")),
        2: (pd.Timestamp("2021-10-01"), pd.Timestamp("2021-12-17")),
        31: (pd.Timestamp("2022-04-04"), pd.Timestamp("2022-06-30")),  # Table 1
        32: (pd.Timestamp("2022-07-04"), pd.Timestamp("2023-02-24")),  # Table 2
    }
    for phase, spec in ((1, _PHASE1), (2, _PHASE2), (3, _PHASE3)):
        for role, counts in spec.items():
            for area, n in zip(_PARTICIPANT_AREAS, counts, strict=True):
                for _ in range(n):
                    k += 1
                    key = phase if phase < 3 else (31 if role in _TABLE1_ROLES else 32)
                    lo, hi = windows[key]
                    rows.append(
                        {
                            "participant_id": f"SYN-INT-{k:03d}",
                            "area": area,
                            "role": role,
                            "phase": phase,
                            "interview_date": _rand_day(lo, hi, rng),
                        }
                    )
    out = pd.DataFrame(rows)
    out["interview_date"] = pd.to_datetime(out["interview_date"]).astype("datetime64[ns]")
    out["participant_id"] = out["participant_id"].astype("string")
    out["phase"] = out["phase"].astype("int64")
    return out


def generate(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Generate the synthetic ``service``, ``plans`` and ``participants`` extracts.

    Parameters
    ----------
    seed
        Seed of :func:`numpy.random.default_rng`. Every seed gives extracts that reproduce
        the same published cells (the counts are fixed); the seed changes who is in which
        category and the dates.

    Returns
    -------
    dict of str to pandas.DataFrame
        Keys ``"service"``, ``"plans"``, ``"participants"``, columns in the canonical
        names of the data contract. All identifiers start with ``SYN-``.

    Examples
    --------
    >>> from socdata.soceis.synthetic import generate
    >>> data = generate()
    >>> len(data["service"]), len(data["plans"])
    (223, 40)
    """
    rng = np.random.default_rng(seed)
    service = _service(rng)
    plans = _plans(service, rng)
    participants = _participants(rng)
    return {"service": service, "plans": plans, "participants": participants}
