"""The calibrated synthetic ``service`` extract (see :mod:`socdata.soceis.synthetic`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from socdata.soceis._synthetic_base import (
    _AGE_N,
    _CLOSED_YES,
    _CLOSURE,
    _CLOSURE_N,
    _EARLY_CLOSED,
    _EARLY_MAX,
    _EARLY_MIN,
    _FIRST_START,
    _INDEX,
    _MALE_N,
    _OPEN_RECORDED,
    _OPEN_YES,
    _OUTCOMES,
    _REASON_N,
    _SOURCE_N,
    _SOURCES,
    _STATUS,
    _STATUS_N,
    _SUB_REASONS,
    AREAS,
    EXTRACT_DATES,
    NATIONS,
    _add_months,
    _counts_to_list,
    _duration_range,
    _end_for,
    _months_between,
    _rand_day,
)


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
