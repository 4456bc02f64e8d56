"""Seeded synthetic police extracts: engagers of four SOCEIS areas and a comparator pool.

:func:`generate` draws the three police extract kinds of the data contract
(``police_persons``, ``police_events``, ``police_missing``) from one latent monthly risk
process, with a *known* service effect and *arrest-triggered* referral, so that

* the naive before/after change around referral overstates the effect (young people are
  referred during a transient high-risk spell, just after an arrest, so their arrests were
  about to fall anyway: regression to the mean), and
* a comparator design that matches on the recent observed history recovers it.

The model (one row per person x calendar month ``t``, all people simulated together):

``s[i, t]``
    latent high-risk spell, a two-state Markov chain (enter with probability
    ``spell_enter``, leave with ``spell_exit`` each month; mean spell 1/``spell_exit``
    months). Never observed.
offences
    Poisson with monthly rate ``exp(b0 + frailty_i + male + deprivation + age curve +
    area trend * years since 2021 + spell_effect * s[i, t])`` times the share of the
    month not in custody, times ``true_effect`` on every day after referral.
arrests
    each offence leads to an arrest (same day) with probability ``arrest_probability``.
missing episodes
    Poisson with a correlated frailty, the same spell and ``missing_effect`` after referral.
custody
    spells start with a monthly hazard that rises in a high-risk spell; no offences or
    missing episodes are drawn for days in custody.
referral
    only people of the service areas' population can be referred, between July 2020 and
    January 2023, aged 11-17. The monthly hazard depends **only on observed history**: it
    jumps after an arrest in the previous month (and less after one two months before, or a
    missing episode in the previous month). Its scale is set so that exactly the requested
    number of young people is referred per area.
found in police data
    a referred young person is in the police extract if they have any police record in the
    extract period and the force matched them (``found_rate`` of the referred list, 190/248
    by default, reached by simulated matching failures among those with records).
comparators
    a separate population per force and area (no service available to them) following the
    same latent process without referral or treatment, of similar ages and deprivation;
    those with at least one police record form the comparator pool.

Calendar: police data from January 2018 to each force's extract date; referrals July 2020
to January 2023 (the evaluation's 248 young people). The default referral counts per area
(Cardiff 86, Newcastle 62, Edinburgh 54, Dundee 46) are synthetic: the reports give only
the total.

Calibration targets (March 2024 executive summary, "Rates of offending and missing
episodes"; Action for Children Cardiff submission): about 77% (190/248) of referred young
people found in police data; over 70% of them with several arrests; most referred after an
arrest; violence, public order, drugs and weapons the main offence groups; fewer people
arrested and fewer offences in the 12 months after referral than before in three areas and
more in one (Dundee, through an area-wide upward trend that comparators share); drug-offence
arrests down in two areas (Cardiff, Newcastle); most engagers with missing episodes before
referral, about three quarters with several, fewer after; Cardiff engagers' missing episodes
in the 12 months before/after referral near 140/85. These hold in expectation, not exactly
in every draw (except the 248 referred and the found count, which are exact).

All identifiers are synthetic (``SYN-P-...``); no real person is represented.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from socdata.errors import SocdataError

__all__ = [
    "AREAS",
    "CATEGORIES",
    "DEFAULT_REFERRALS",
    "EXTRACT_DATES",
    "generate",
]


@dataclass(frozen=True)
class _Area:
    name: str
    force: str
    nation: str
    index: str  # deprivation index
    trend: float  # log-rate change per year (offending), shared with comparators
    missing_trend: float
    drug_trend: float  # change per year in the log-odds of an offence being a drug offence


#: The four evaluation areas with their police force, nation and deprivation index.
AREAS: dict[str, _Area] = {
    a.name: a
    for a in (
        _Area("Cardiff", "South Wales Police", "Wales", "WIMD", -0.05, -0.05, -0.35),
        _Area("Newcastle", "Northumbria Police", "England", "IMD", -0.05, -0.10, -0.35),
        _Area("Edinburgh", "Police Scotland", "Scotland", "SIMD", -0.10, -0.10, 1.00),
        _Area("Dundee", "Police Scotland", "Scotland", "SIMD", 0.80, 0.00, 0.25),
    )
}

#: Synthetic split of the 248 referred young people (July 2020 - January 2023) by area.
DEFAULT_REFERRALS: dict[str, int] = {"Cardiff": 86, "Newcastle": 62, "Edinburgh": 54, "Dundee": 46}

#: Follow-up end (extract date) of each force's data.
EXTRACT_DATES: dict[str, pd.Timestamp] = {
    "South Wales Police": pd.Timestamp("2023-07-14"),
    "Northumbria Police": pd.Timestamp("2023-09-29"),
    "Police Scotland": pd.Timestamp("2023-08-31"),
}

_DATA_START = pd.Timestamp("2018-01-01")
_REFERRAL_FIRST = pd.Timestamp("2020-07-01")
_REFERRAL_LAST = pd.Timestamp("2023-01-31")

#: Harmonised offence categories with their baseline shares of offences.
CATEGORIES: dict[str, float] = {
    "Violence against the person": 0.30,
    "Public order": 0.15,
    "Drug offences": 0.15,
    "Possession of weapons": 0.11,
    "Theft": 0.08,
    "Criminal damage": 0.07,
    "Burglary": 0.04,
    "Robbery": 0.04,
    "Vehicle offences": 0.03,
    "Miscellaneous": 0.02,
    "Sexual offences": 0.01,
}
_DRUG = list(CATEGORIES).index("Drug offences")


def _month_starts(last: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(_DATA_START, last.to_period("M").to_timestamp(), freq="MS")


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise SocdataError(
            f"generate(): {name}={value!r} breaks the rule '{name} must be a positive, finite "
            f"number'; pass e.g. {name}=0.75 (a rate ratio) or {name}=1.0 (no effect)."
        )
    return value


def generate(
    seed: int = 20240301,
    *,
    scale: float = 1.0,
    true_effect: float = 0.75,
    missing_effect: float | None = None,
    referrals: Mapping[str, int] | None = None,
    comparators_per_engager: float = 4.0,
    found_rate: float = 190 / 248,
    population_per_referral: float = 8.0,
    spell_enter: float = 0.05,
    spell_exit: float = 0.30,
    spell_effect: float = 1.6,
    arrest_probability: float = 0.7,
    area_trends: Mapping[str, float] | None = None,
) -> dict[str, pd.DataFrame]:
    """Draw synthetic police extracts for engagers and comparators with a known effect.

    Parameters
    ----------
    seed
        Seed of the random generator; the same seed and parameters give identical frames.
    scale
        Multiplies the number of referred young people per area (and so every population and
        pool). ``scale=10`` gives 2,480 referred young people and 9,920 comparators.
    true_effect
        Rate ratio applied to offences (and so arrests) on every day after referral: the
        service effect the analysis should recover. ``1.0`` means no effect.
    missing_effect
        Rate ratio for missing episodes after referral (default: ``true_effect``).
    referrals
        Number of referred young people per area before ``scale`` (default
        :data:`DEFAULT_REFERRALS`, 248 in all). Keys must be among :data:`AREAS`.
    comparators_per_engager
        Target size of each area's comparator pool per referred young person of that area.
    found_rate
        Share of referred young people the force finds in its data (77%, 190/248). Not found
        are those with no police record, plus simulated matching failures up to this share.
    population_per_referral
        Size of each area's service-eligible population per referral. Larger values make
        referral rarer and the selection on recent arrests sharper.
    spell_enter, spell_exit, spell_effect
        Monthly probabilities of entering and leaving a latent high-risk spell, and its
        effect on the log offence rate (missing episodes: 0.75 of it).
    arrest_probability
        Probability that a recorded offence leads to an arrest.
    area_trends
        Log-rate change per year of offending by area, overriding the defaults in
        :data:`AREAS` (Dundee +0.80, others slightly negative). Comparators share them.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``police_persons``, ``police_events``, ``police_missing`` (contract columns);
        ``referred``: the list of referred young people sent to the forces (``person_id``,
        ``area``, ``police_force``, ``referral_date``, ``found_in_police_data``, ``reason``
        when not found); ``truth``: one row per outcome (``arrests``, ``offences``,
        ``drug_arrests``, ``missing_episodes``) with the true ``rate_ratio`` and
        ``log_rate_ratio`` after referral.

    Raises
    ------
    socdata.errors.SocdataError
        For non-positive effects or scale, unknown areas, or ``found_rate`` outside (0, 1].

    Examples
    --------
    >>> from socdata.datasets.police import generate
    >>> data = generate(1, scale=0.5)
    >>> sorted(data)
    ['police_events', 'police_missing', 'police_persons', 'referred', 'truth']
    """
    scale = _check_positive("scale", scale)
    true_effect = _check_positive("true_effect", true_effect)
    missing_effect = _check_positive(
        "missing_effect", true_effect if missing_effect is None else missing_effect
    )
    if not 0 < found_rate <= 1:
        raise SocdataError(
            f"generate(): found_rate={found_rate!r} breaks the rule '0 < found_rate <= 1'; "
            "pass the share of referred young people found in police data, e.g. 190/248."
        )
    referrals = dict(DEFAULT_REFERRALS if referrals is None else referrals)
    unknown = sorted(set(referrals) - set(AREAS))
    if unknown:
        raise SocdataError(
            f"generate(): referrals has unknown area(s) {unknown}; allowed areas are "
            f"{sorted(AREAS)}."
        )
    trends = {a: AREAS[a].trend for a in AREAS} | dict(area_trends or {})
    rng = np.random.default_rng(seed)

    # ---- people ---------------------------------------------------------------------------
    area_names = list(referrals)
    k_ref = {a: max(1, round(referrals[a] * scale)) for a in area_names}
    n_pop = {a: int(np.ceil(k_ref[a] * population_per_referral)) for a in area_names}
    # comparators need at least one police record: draw a generous pool, trimmed later
    n_cmp = {a: int(np.ceil(k_ref[a] * comparators_per_engager * 1.4)) + 5 for a in area_names}
    area_of = np.concatenate(
        [np.full(n_pop[a], a, dtype=object) for a in area_names]
        + [np.full(n_cmp[a], a, dtype=object) for a in area_names]
    )
    eligible = np.concatenate(
        [np.ones(n_pop[a], bool) for a in area_names]
        + [np.zeros(n_cmp[a], bool) for a in area_names]
    )
    n = area_of.size
    area_idx = np.array([area_names.index(a) for a in area_of])
    force_of = np.array([AREAS[a].force for a in area_of], dtype=object)
    extract = pd.DatetimeIndex([EXTRACT_DATES[f] for f in force_of])
    months = _month_starts(extract.max())
    T = months.size
    ndays = months.days_in_month.to_numpy()
    month_ns = months.to_numpy()
    last_t = np.searchsorted(month_ns, extract.to_period("M").to_timestamp().to_numpy())
    extract_day = extract.day.to_numpy()  # days observed in the extract month (date included)

    male = rng.random(n) < 0.82
    age_mid = rng.normal(15.0, 1.5, n).clip(10.5, 19.0)  # age in the middle of the window
    birth = (pd.Timestamp("2021-10-15") - pd.to_timedelta(age_mid * 365.25, unit="D")).to_numpy()
    dep = np.minimum(rng.geometric(0.27, n), 10)  # about half of engagers in deciles 1-2
    eth = rng.choice(
        np.array(["White", "Mixed", "Black", "Asian", "Other", "Not known"], dtype=object),
        size=n,
        p=[0.80, 0.07, 0.05, 0.04, 0.02, 0.02],
    )
    frailty = rng.normal(0.0, 0.8, n)
    frailty_m = 0.6 * frailty + rng.normal(0.0, 0.7, n)
    base_off = -2.7 + frailty + np.where(male, 0.5, 0.0) - 0.06 * (dep - 1)
    base_miss = (
        -2.68
        + np.where(area_of == "Cardiff", 0.3, 0.0)
        + frailty_m
        + np.where(male, 0.0, 0.35)
        - 0.04 * (dep - 1)
    )
    trend_off = np.array([trends[a] for a in area_names])[area_idx]
    trend_miss = np.array([AREAS[a].missing_trend for a in area_names])[area_idx]

    # ---- latent process, month by month ---------------------------------------------------
    lam_off = np.zeros((n, T))  # untreated expected offences in the observed free days
    lam_miss = np.zeros((n, T))
    cust_lo = np.zeros((n, T), np.int16)  # custody days [lo, hi) of the month (day offsets)
    cust_hi = np.zeros((n, T), np.int16)
    end_day = np.zeros((n, T), np.int16)  # observed days of the month are [0, end_day)
    spells: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] = []
    s = rng.random(n) < spell_enter / (spell_enter + spell_exit)
    cust_left = np.zeros(n, np.int64)
    years = (months.year + (months.month - 1) / 12 - 2021.0).to_numpy()
    for t in range(T):
        nd = int(ndays[t])
        if t > 0:
            u = rng.random(n)
            s = np.where(s, u >= spell_exit, u < spell_enter)
        age = (month_ns[t] - birth) / np.timedelta64(1, "D") / 365.25
        age_curve = -0.5 * ((age - 16.5) / 2.5) ** 2
        end = np.where(t < last_t, nd, np.where(t == last_t, extract_day, 0))
        # custody: a continuing spell occupies the start of the month; a new one starts on a
        # random observed day (hazard higher in a high-risk spell)
        hi = np.minimum(cust_left, nd)
        cust_left = cust_left - hi
        start_day = (rng.random(n) * np.maximum(end, 1)).astype(np.int64)
        new = (hi == 0) & (age >= 12) & (end > 0) & (rng.random(n) < 0.006 * np.exp(1.5 * s))
        dur = 14 + rng.geometric(1 / 75, n)
        lo = np.where(new, start_day, 0)
        hi = np.where(new, np.minimum(start_day + dur, nd), hi)
        cust_left = np.where(new, start_day + dur - hi, cust_left)
        if new.any():
            idx = np.flatnonzero(new)
            spells.append((idx, t, start_day[idx], dur[idx]))
        cust_lo[:, t], cust_hi[:, t], end_day[:, t] = lo, hi, end
        free = (end - (np.minimum(hi, end) - np.minimum(lo, end))) / nd
        lam_off[:, t] = (
            np.exp(base_off + age_curve + trend_off * years[t] + spell_effect * s)
            * free
            * (age >= 10)
        )
        lam_miss[:, t] = (
            np.exp(base_miss + 0.5 * age_curve + trend_miss * years[t] + 0.75 * spell_effect * s)
            * free
        )
    off = rng.poisson(lam_off)
    arr = rng.binomial(off, arrest_probability)
    miss = rng.poisson(lam_miss)

    # ---- referral: the hazard depends on observed history only ----------------------------
    in_window = np.asarray((months >= _REFERRAL_FIRST) & (months <= _REFERRAL_LAST))
    lag1 = np.zeros((n, T), bool)
    lag1[:, 1:] = arr[:, :-1] > 0
    lag2 = np.zeros((n, T), bool)
    lag2[:, 2:] = arr[:, :-2] > 0
    miss1 = np.zeros((n, T), bool)
    miss1[:, 1:] = miss[:, :-1] > 0
    age_m = (month_ns[None, :] - birth[:, None]) / np.timedelta64(1, "D") / 365.25
    can_refer = in_window[None, :] & (age_m >= 11) & (age_m < 18) & eligible[:, None]
    haz = (0.12 + 3.0 * lag1 + 1.2 * lag2 + 0.8 * miss1) * can_refer
    with np.errstate(divide="ignore"):
        ratio = np.where(haz > 0, rng.random((n, T)) / np.where(haz > 0, haz, 1.0), np.inf)
    c_i = ratio.min(axis=1)  # referred iff the hazard scale reaches c_i (monotone in scale)
    ref_t = np.full(n, -1)
    for j, a in enumerate(area_names):
        members = np.flatnonzero((area_idx == j) & eligible & np.isfinite(c_i))
        if members.size == 0:
            continue
        c = np.sort(c_i[members])[min(k_ref[a], members.size) - 1]
        chosen = members[c_i[members] <= c]
        ref_t[chosen] = np.argmax(ratio[chosen] <= c, axis=1)
    referred = np.flatnonzero(ref_t >= 0)
    t0 = ref_t[referred]
    ref_day = (rng.random(referred.size) * end_day[referred, t0]).astype(np.int64)
    ref_date = month_ns[t0] + ref_day.astype("timedelta64[D]")

    # ---- treated outcomes from the referral date on ---------------------------------------
    # months after the referral month: redraw with the rate ratio
    after = np.arange(T)[None, :] > t0[:, None]
    sub_off = rng.poisson(lam_off[referred] * true_effect)
    sub_miss = rng.poisson(lam_miss[referred] * missing_effect)
    off[referred] = np.where(after, sub_off, off[referred])
    miss[referred] = np.where(after, sub_miss, miss[referred])
    arr[referred] = np.where(after, rng.binomial(off[referred], arrest_probability), arr[referred])
    # the referral month is split at the referral day into two segments
    lo_r, hi_r, end_r = cust_lo[referred, t0], cust_hi[referred, t0], end_day[referred, t0]
    free_pre = _free_days(0, ref_day, lo_r, hi_r)
    free_post = _free_days(ref_day, end_r, lo_r, hi_r)
    total = np.maximum(free_pre + free_post, 1)
    lam_o, lam_m = lam_off[referred, t0], lam_miss[referred, t0]
    o_pre = rng.poisson(lam_o * free_pre / total)
    o_post = rng.poisson(lam_o * free_post / total * true_effect)
    m_pre = rng.poisson(lam_m * free_pre / total)
    m_post = rng.poisson(lam_m * free_post / total * missing_effect)
    a_pre = rng.binomial(o_pre, arrest_probability)
    a_post = rng.binomial(o_post, arrest_probability)
    off[referred, t0] = 0  # replaced by the two segments below
    arr[referred, t0] = 0
    miss[referred, t0] = 0

    # ---- segments -> event rows -----------------------------------------------------------
    si, st = np.nonzero((off > 0) | (miss > 0))
    seg = {
        "i": np.concatenate([si, referred, referred]),
        "t": np.concatenate([st, t0, t0]),
        "a": np.concatenate(
            [np.zeros(si.size, np.int64), np.zeros(referred.size, np.int64), ref_day]
        ),
        "b": np.concatenate([end_day[si, st].astype(np.int64), ref_day, end_r.astype(np.int64)]),
        "off": np.concatenate([off[si, st], o_pre, o_post]),
        "arr": np.concatenate([arr[si, st], a_pre, a_post]),
        "miss": np.concatenate([miss[si, st], m_pre, m_post]),
    }
    seg["lo"] = cust_lo[seg["i"], seg["t"]].astype(np.int64)
    seg["hi"] = cust_hi[seg["i"], seg["t"]].astype(np.int64)
    events = _offence_rows(rng, seg, month_ns, years, area_idx, area_names)
    misses = _missing_rows(rng, seg, month_ns)
    custody = _custody_rows(spells, month_ns, extract.to_numpy())

    has_record = np.zeros(n, bool)
    for frame in (events, misses, custody):
        has_record[frame["_i"].to_numpy()] = True

    # ---- who is in the extracts -----------------------------------------------------------
    found = np.zeros(n, bool)
    reason = np.full(n, None, object)
    for a in area_names:
        ref_a = referred[area_of[referred] == a]
        with_rec = ref_a[has_record[ref_a]]
        reason[ref_a[~has_record[ref_a]]] = "no police record in the extract period"
        target = round(found_rate * ref_a.size)
        if with_rec.size > target:
            keep = rng.choice(with_rec, size=target, replace=False)
            reason[np.setdiff1d(with_rec, keep)] = "not matched by the force"
            found[keep] = True
        else:
            found[with_rec] = True
    pools = []
    for a in area_names:
        cand = np.flatnonzero((area_of == a) & ~eligible & has_record)
        pools.append(rng.permutation(cand)[: round(k_ref[a] * comparators_per_engager)])
    comparators = np.sort(np.concatenate(pools))
    engagers = np.flatnonzero(found)

    ids = np.full(n, None, object)
    ids[referred] = [f"SYN-P-{k:06d}" for k in range(1, referred.size + 1)]
    ids[comparators] = [f"SYN-PC-{k:06d}" for k in range(1, comparators.size + 1)]
    in_extract = np.zeros(n, bool)
    in_extract[engagers] = True
    in_extract[comparators] = True

    ref_full = np.full(n, np.datetime64("NaT", "ns"), "datetime64[ns]")
    ref_full[referred] = ref_date
    order = np.concatenate([engagers, comparators])
    police_persons = pd.DataFrame(
        {
            "person_id": ids[order],
            "group": np.where(ref_t[order] >= 0, "Engager", "Comparator"),
            "police_force": force_of[order],
            "area": area_of[order],
            "birth_month": pd.DatetimeIndex(birth[order]).strftime("%Y-%m"),
            "gender": np.where(male[order], "Male", "Female"),
            "ethnicity": eth[order],
            "deprivation_decile": dep[order].astype("int64"),
            "deprivation_index": [AREAS[a].index for a in area_of[order]],
            "referral_date": pd.to_datetime(ref_full[order]),
            "extract_date": extract[order],
        }
    )

    ev = pd.concat([events, custody], ignore_index=True)
    ev = ev[in_extract[ev["_i"].to_numpy()]]
    ev = ev.assign(person_id=ids[ev["_i"].to_numpy()])
    ev = ev.sort_values(["person_id", "event_date", "_order"], kind="stable", ignore_index=True)
    scot = force_of[ev["_i"].to_numpy()] == "Police Scotland"
    ev["source_classification"] = np.where(
        ev["event_type"].to_numpy() == "Custody",
        None,
        np.where(scot, "Scottish Crime Recording", "Home Office"),
    )
    ev.insert(0, "event_id", [f"SYN-E-{k:07d}" for k in range(1, len(ev) + 1)])
    police_events = ev[
        [
            "event_id",
            "person_id",
            "event_date",
            "event_type",
            "offence_category",
            "source_classification",
            "custody_end_date",
        ]
    ]

    ms = misses[in_extract[misses["_i"].to_numpy()]]
    ms = ms.assign(person_id=ids[ms["_i"].to_numpy()])
    ms = ms.sort_values(["person_id", "reported_datetime"], kind="stable", ignore_index=True)
    ms.insert(0, "episode_id", [f"SYN-M-{k:07d}" for k in range(1, len(ms) + 1)])
    police_missing = ms[["episode_id", "person_id", "reported_datetime", "found_datetime"]]

    referred_list = pd.DataFrame(
        {
            "person_id": ids[referred],
            "area": area_of[referred],
            "police_force": force_of[referred],
            "referral_date": pd.to_datetime(ref_date),
            "found_in_police_data": found[referred],
            "reason_not_found": reason[referred],
        }
    )
    truth = pd.DataFrame(
        {
            "outcome": ["arrests", "offences", "drug_arrests", "missing_episodes"],
            "rate_ratio": [true_effect, true_effect, true_effect, missing_effect],
        }
    ).assign(log_rate_ratio=lambda d: np.log(d["rate_ratio"]))
    return {
        "police_persons": police_persons,
        "police_events": police_events.reset_index(drop=True),
        "police_missing": police_missing.reset_index(drop=True),
        "referred": referred_list,
        "truth": truth,
    }


def _free_days(a, b, lo, hi):
    """Days in [a, b) that are not in custody [lo, hi)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    overlap = np.clip(np.minimum(b, hi) - np.maximum(a, lo), 0, None)
    return np.clip(b - a, 0, None) - overlap


def _draw_days(rng, seg, counts):
    """A uniform observed, non-custody day offset in each segment, repeated by ``counts``."""
    rep = lambda x: np.repeat(x, counts)  # noqa: E731
    a, b, lo, hi = rep(seg["a"]), rep(seg["b"]), rep(seg["lo"]), rep(seg["hi"])
    has_c = hi > lo
    first_len = np.where(has_c, np.clip(np.minimum(b, lo) - a, 0, None), b - a)
    free = _free_days(a, b, lo, hi)
    u = (rng.random(free.size) * np.maximum(free, 1)).astype(np.int64)
    second_start = np.where(has_c, np.maximum(a, hi), a + first_len)
    return np.where(u < first_len, a + u, second_start + (u - first_len))


def _offence_rows(rng, seg, month_ns, years, area_idx, area_names):
    counts = seg["off"]
    i = np.repeat(seg["i"], counts)
    t = np.repeat(seg["t"], counts)
    day = _draw_days(rng, seg, counts)
    # the first `arr` offences of each segment led to an arrest (offences are exchangeable)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    rank = np.arange(counts.sum()) - start
    arrested = rank < np.repeat(seg["arr"], counts)
    # category: baseline shares, drug share with an area-specific calendar trend
    base = np.log(np.array(list(CATEGORIES.values())))
    drug_trend = np.array([AREAS[a].drug_trend for a in area_names])[area_idx[i]]
    logits = np.broadcast_to(base, (i.size, base.size)).copy()
    logits[:, _DRUG] += drug_trend * years[t]
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    cat = (rng.random(i.size)[:, None] > np.cumsum(prob, axis=1)).sum(axis=1)
    cat = np.minimum(cat, base.size - 1)
    names = np.array(list(CATEGORIES), dtype=object)[cat]
    date = month_ns[t] + day.astype("timedelta64[D]")
    offences = pd.DataFrame(
        {
            "_i": i,
            "event_date": date,
            "event_type": "Offence",
            "offence_category": names,
            "_order": 0,
        }
    )
    arrests = offences[arrested].assign(event_type="Arrest", _order=1)
    out = pd.concat([offences, arrests], ignore_index=True)
    out["custody_end_date"] = pd.NaT
    return out


def _missing_rows(rng, seg, month_ns):
    counts = seg["miss"]
    i = np.repeat(seg["i"], counts)
    t = np.repeat(seg["t"], counts)
    day = _draw_days(rng, seg, counts)
    secs = rng.integers(0, 86400, i.size).astype("timedelta64[s]")
    reported = month_ns[t] + day.astype("timedelta64[D]") + secs
    hours = rng.lognormal(np.log(14.0), 1.0, i.size).clip(0.5, 24 * 30)
    found = reported + (hours * 3600).astype("timedelta64[s]")
    found = np.where(rng.random(i.size) < 0.02, np.datetime64("NaT", "ns"), found)
    return pd.DataFrame(
        {
            "_i": i,
            "reported_datetime": pd.to_datetime(reported).astype("datetime64[ns]"),
            "found_datetime": pd.to_datetime(found).astype("datetime64[ns]"),
        }
    )


def _custody_rows(spells, month_ns, extract):
    if not spells:
        return pd.DataFrame(
            {
                "_i": np.array([], np.int64),
                "event_date": pd.Series([], dtype="datetime64[ns]"),
                "event_type": "Custody",
                "offence_category": "Not applicable",
                "_order": 2,
                "custody_end_date": pd.Series([], dtype="datetime64[ns]"),
            }
        )
    i = np.concatenate([sp[0] for sp in spells])
    start = np.concatenate([month_ns[sp[1]] + sp[2].astype("timedelta64[D]") for sp in spells])
    end = start + np.concatenate([sp[3] for sp in spells]).astype("timedelta64[D]")
    ext = extract[i]
    keep = start <= ext
    end = np.where(end > ext, np.datetime64("NaT", "ns"), end)  # still in custody at the extract
    return pd.DataFrame(
        {
            "_i": i[keep],
            "event_date": pd.to_datetime(start[keep]).astype("datetime64[ns]"),
            "event_type": "Custody",
            "offence_category": "Not applicable",
            "_order": 2,
            "custody_end_date": pd.to_datetime(end[keep]).astype("datetime64[ns]"),
        }
    )
