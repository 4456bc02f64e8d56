"""The latent monthly process behind :func:`socdata.datasets.police.generate`.

Areas, calendar and offence categories, then the stages of the simulation: the people
(:func:`_population`), the latent risk spells, custody and untreated counts
(:func:`_latent`), referral on observed history (:func:`_refer`) and the treated outcomes
split into month segments (:func:`_treat`). The model is described in the docstring of
:mod:`socdata.datasets.police`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from socdata.datasets._police_rows import _free_days
from socdata.dates import DAYS_PER_YEAR, age_years, month_start


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


def _month_starts(last: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(_DATA_START, month_start(last), freq="MS")


@dataclass(frozen=True)
class _Population:
    """Everyone simulated: the service areas' populations, then the comparator populations."""

    area_names: list[str]
    area_of: np.ndarray
    eligible: np.ndarray  # in a service population (can be referred)
    area_idx: np.ndarray
    force_of: np.ndarray
    extract: pd.DatetimeIndex
    months: pd.DatetimeIndex
    month_ns: np.ndarray
    last_t: np.ndarray  # month index of each person's extract date
    extract_day: np.ndarray  # days observed in the extract month (date included)
    male: np.ndarray
    birth: np.ndarray
    dep: np.ndarray
    eth: np.ndarray
    base_off: np.ndarray
    base_miss: np.ndarray
    trend_off: np.ndarray
    trend_miss: np.ndarray
    years: np.ndarray  # years since 2021 of each month

    @property
    def n(self) -> int:
        return self.area_of.size


def _population(rng, k_ref, population_per_referral, comparators_per_engager, trends):
    area_names = list(k_ref)
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
    month_ns = months.to_numpy()
    male = rng.random(n) < 0.82
    age_mid = rng.normal(15.0, 1.5, n).clip(10.5, 19.0)  # age in the middle of the window
    to_birth = pd.to_timedelta(age_mid * DAYS_PER_YEAR, unit="D")
    birth = (pd.Timestamp("2021-10-15") - to_birth).to_numpy()
    dep = np.minimum(rng.geometric(0.27, n), 10)  # about half of engagers in deciles 1-2
    eth = rng.choice(
        np.array(["White", "Mixed", "Black", "Asian", "Other", "Not known"], dtype=object),
        size=n,
        p=[0.80, 0.07, 0.05, 0.04, 0.02, 0.02],
    )
    frailty = rng.normal(0.0, 0.8, n)
    frailty_m = 0.6 * frailty + rng.normal(0.0, 0.7, n)
    return _Population(
        area_names=area_names,
        area_of=area_of,
        eligible=eligible,
        area_idx=area_idx,
        force_of=force_of,
        extract=extract,
        months=months,
        month_ns=month_ns,
        last_t=np.searchsorted(month_ns, month_start(extract).to_numpy()),
        extract_day=extract.day.to_numpy(),
        male=male,
        birth=birth,
        dep=dep,
        eth=eth,
        base_off=-2.7 + frailty + np.where(male, 0.5, 0.0) - 0.06 * (dep - 1),
        base_miss=(
            -2.68
            + np.where(area_of == "Cardiff", 0.3, 0.0)
            + frailty_m
            + np.where(male, 0.0, 0.35)
            - 0.04 * (dep - 1)
        ),
        trend_off=np.array([trends[a] for a in area_names])[area_idx],
        trend_miss=np.array([AREAS[a].missing_trend for a in area_names])[area_idx],
        years=(months.year + (months.month - 1) / 12 - 2021.0).to_numpy(),
    )


@dataclass(frozen=True)
class _Latent:
    """Untreated monthly rates, custody days and the drawn counts of the latent process."""

    lam_off: np.ndarray  # untreated expected offences in the observed free days
    lam_miss: np.ndarray
    cust_lo: np.ndarray  # custody days [lo, hi) of the month (day offsets)
    cust_hi: np.ndarray
    end_day: np.ndarray  # observed days of the month are [0, end_day)
    spells: list
    off: np.ndarray
    arr: np.ndarray
    miss: np.ndarray


def _latent(rng, pop: _Population, spell_enter, spell_exit, spell_effect, arrest_probability):
    n, T = pop.n, pop.months.size
    ndays = pop.months.days_in_month.to_numpy()
    lam_off = np.zeros((n, T))
    lam_miss = np.zeros((n, T))
    cust_lo = np.zeros((n, T), np.int16)
    cust_hi = np.zeros((n, T), np.int16)
    end_day = np.zeros((n, T), np.int16)
    spells: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] = []
    s = rng.random(n) < spell_enter / (spell_enter + spell_exit)
    cust_left = np.zeros(n, np.int64)
    for t in range(T):
        nd = int(ndays[t])
        if t > 0:
            u = rng.random(n)
            s = np.where(s, u >= spell_exit, u < spell_enter)
        age = age_years(pop.birth, pop.month_ns[t])
        age_curve = -0.5 * ((age - 16.5) / 2.5) ** 2
        end = np.where(t < pop.last_t, nd, np.where(t == pop.last_t, pop.extract_day, 0))
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
            np.exp(pop.base_off + age_curve + pop.trend_off * pop.years[t] + spell_effect * s)
            * free
            * (age >= 10)
        )
        lam_miss[:, t] = (
            np.exp(
                pop.base_miss
                + 0.5 * age_curve
                + pop.trend_miss * pop.years[t]
                + 0.75 * spell_effect * s
            )
            * free
        )
    off = rng.poisson(lam_off)
    arr = rng.binomial(off, arrest_probability)
    miss = rng.poisson(lam_miss)
    return _Latent(lam_off, lam_miss, cust_lo, cust_hi, end_day, spells, off, arr, miss)


@dataclass(frozen=True)
class _Referral:
    ref_t: np.ndarray  # month index of referral, -1 when never referred
    referred: np.ndarray
    t0: np.ndarray  # referral month of each referred person
    ref_day: np.ndarray
    ref_date: np.ndarray


def _refer(rng, pop: _Population, lat: _Latent, k_ref, hazard=(0.12, 3.0, 1.2, 0.8)) -> _Referral:
    """Referral: the monthly hazard depends on observed history only."""
    h0, h_lag1, h_lag2, h_miss1 = hazard
    n, T = pop.n, pop.months.size
    arr, miss = lat.arr, lat.miss
    in_window = np.asarray((pop.months >= _REFERRAL_FIRST) & (pop.months <= _REFERRAL_LAST))
    lag1 = np.zeros((n, T), bool)
    lag1[:, 1:] = arr[:, :-1] > 0
    lag2 = np.zeros((n, T), bool)
    lag2[:, 2:] = arr[:, :-2] > 0
    miss1 = np.zeros((n, T), bool)
    miss1[:, 1:] = miss[:, :-1] > 0
    age_m = age_years(pop.birth[:, None], pop.month_ns[None, :])
    can_refer = in_window[None, :] & (age_m >= 11) & (age_m < 18) & pop.eligible[:, None]
    haz = (h0 + h_lag1 * lag1 + h_lag2 * lag2 + h_miss1 * miss1) * can_refer
    with np.errstate(divide="ignore"):
        ratio = np.where(haz > 0, rng.random((n, T)) / np.where(haz > 0, haz, 1.0), np.inf)
    c_i = ratio.min(axis=1)  # referred iff the hazard scale reaches c_i (monotone in scale)
    ref_t = np.full(n, -1)
    for j, a in enumerate(pop.area_names):
        members = np.flatnonzero((pop.area_idx == j) & pop.eligible & np.isfinite(c_i))
        if members.size == 0:
            continue
        c = np.sort(c_i[members])[min(k_ref[a], members.size) - 1]
        chosen = members[c_i[members] <= c]
        ref_t[chosen] = np.argmax(ratio[chosen] <= c, axis=1)
    referred = np.flatnonzero(ref_t >= 0)
    t0 = ref_t[referred]
    ref_day = (rng.random(referred.size) * lat.end_day[referred, t0]).astype(np.int64)
    ref_date = pop.month_ns[t0] + ref_day.astype("timedelta64[D]")
    return _Referral(ref_t, referred, t0, ref_day, ref_date)


def _treat(rng, lat: _Latent, ref: _Referral, true_effect, missing_effect, arrest_probability):
    """Treated outcomes from the referral date on; the month-segments of every record."""
    off, arr, miss = lat.off.copy(), lat.arr.copy(), lat.miss.copy()
    referred, t0, ref_day = ref.referred, ref.t0, ref.ref_day
    # months after the referral month: redraw with the rate ratio
    after = np.arange(off.shape[1])[None, :] > t0[:, None]
    sub_off = rng.poisson(lat.lam_off[referred] * true_effect)
    sub_miss = rng.poisson(lat.lam_miss[referred] * missing_effect)
    off[referred] = np.where(after, sub_off, off[referred])
    miss[referred] = np.where(after, sub_miss, miss[referred])
    arr[referred] = np.where(after, rng.binomial(off[referred], arrest_probability), arr[referred])
    # the referral month is split at the referral day into two segments
    lo_r, hi_r = lat.cust_lo[referred, t0], lat.cust_hi[referred, t0]
    end_r = lat.end_day[referred, t0]
    free_pre = _free_days(0, ref_day, lo_r, hi_r)
    free_post = _free_days(ref_day, end_r, lo_r, hi_r)
    total = np.maximum(free_pre + free_post, 1)
    lam_o, lam_m = lat.lam_off[referred, t0], lat.lam_miss[referred, t0]
    o_pre = rng.poisson(lam_o * free_pre / total)
    o_post = rng.poisson(lam_o * free_post / total * true_effect)
    m_pre = rng.poisson(lam_m * free_pre / total)
    m_post = rng.poisson(lam_m * free_post / total * missing_effect)
    a_pre = rng.binomial(o_pre, arrest_probability)
    a_post = rng.binomial(o_post, arrest_probability)
    off[referred, t0] = 0  # replaced by the two segments below
    arr[referred, t0] = 0
    miss[referred, t0] = 0
    si, st = np.nonzero((off > 0) | (miss > 0))
    seg = {
        "i": np.concatenate([si, referred, referred]),
        "t": np.concatenate([st, t0, t0]),
        "a": np.concatenate(
            [np.zeros(si.size, np.int64), np.zeros(referred.size, np.int64), ref_day]
        ),
        "b": np.concatenate(
            [lat.end_day[si, st].astype(np.int64), ref_day, end_r.astype(np.int64)]
        ),
        "off": np.concatenate([off[si, st], o_pre, o_post]),
        "arr": np.concatenate([arr[si, st], a_pre, a_post]),
        "miss": np.concatenate([miss[si, st], m_pre, m_post]),
    }
    seg["lo"] = lat.cust_lo[seg["i"], seg["t"]].astype(np.int64)
    seg["hi"] = lat.cust_hi[seg["i"], seg["t"]].astype(np.int64)
    return seg
