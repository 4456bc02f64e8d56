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

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from socdata.datasets._police_model import (
    AREAS,
    CATEGORIES,
    DEFAULT_REFERRALS,
    EXTRACT_DATES,
    _latent,
    _Population,
    _population,
    _refer,
    _Referral,
    _treat,
)
from socdata.datasets._police_rows import _custody_rows, _missing_rows, _offence_rows
from socdata.errors import SocdataError

__all__ = [
    "AREAS",
    "CATEGORIES",
    "DEFAULT_REFERRALS",
    "EXTRACT_DATES",
    "built_in_truth",
    "generate",
    "referred_list",
]


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise SocdataError(
            f"generate(): {name}={value!r} breaks the rule '{name} must be a positive, finite "
            f"number'; pass e.g. {name}=0.75 (a rate ratio) or {name}=1.0 (no effect)."
        )
    return value


def _check_arguments(
    scale: float,
    true_effect: float,
    missing_effect: float | None,
    found_rate: float,
    referrals: Mapping[str, int] | None,
) -> tuple[float, float, float, dict[str, int]]:
    """:func:`generate`'s checked scale, effects and referrals by area (defaults filled in)."""
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
    return scale, true_effect, missing_effect, referrals


def _truth(true_effect: float, missing_effect: float) -> pd.DataFrame:
    """The true rate ratio (and its log) after referral of each outcome :func:`generate`
    draws: offences, and so arrests and drug arrests, by ``true_effect``; missing episodes
    by ``missing_effect``."""
    return pd.DataFrame(
        {
            "outcome": ["arrests", "offences", "drug_arrests", "missing_episodes"],
            "rate_ratio": [true_effect, true_effect, true_effect, missing_effect],
        }
    ).assign(log_rate_ratio=lambda d: np.log(d["rate_ratio"]))


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
    referral_hazard: tuple[float, float, float, float] = (0.12, 3.0, 1.2, 0.8),
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
    referral_hazard
        Relative monthly referral hazard: a base, then the increments for an arrest in the
        month before, an arrest two months before and a missing episode in the month before
        (all non-negative, the base positive). ``(0.12, 3.0, 0.0, 0.0)`` makes referral
        depend only on being arrested in the month before, which the SOCEIS design matches
        exactly: the design's identifying assumption then holds by construction (see
        ``docs/explanation/simulation.md``).

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
    scale, true_effect, missing_effect, referrals = _check_arguments(
        scale, true_effect, missing_effect, found_rate, referrals
    )
    hazard = _check_hazard(referral_hazard)
    trends = {a: AREAS[a].trend for a in AREAS} | dict(area_trends or {})
    rng = np.random.default_rng(seed)
    k_ref = {a: max(1, round(referrals[a] * scale)) for a in referrals}
    pop = _population(rng, k_ref, population_per_referral, comparators_per_engager, trends)
    lat = _latent(rng, pop, spell_enter, spell_exit, spell_effect, arrest_probability)
    ref = _refer(rng, pop, lat, k_ref, hazard)
    seg = _treat(rng, lat, ref, true_effect, missing_effect, arrest_probability)
    drug_trend = np.array([AREAS[a].drug_trend for a in pop.area_names])[pop.area_idx]
    events = _offence_rows(rng, seg, pop.month_ns, pop.years, drug_trend, CATEGORIES)
    misses = _missing_rows(rng, seg, pop.month_ns)
    custody = _custody_rows(lat.spells, pop.month_ns, pop.extract.to_numpy())
    has_record = np.zeros(pop.n, bool)
    for frame in (events, misses, custody):
        has_record[frame["_i"].to_numpy()] = True
    found, reason, comparators = _select(
        rng, pop, ref, has_record, k_ref, found_rate, comparators_per_engager
    )
    out = _frames(pop, ref, found, reason, comparators, pd.concat([events, custody]), misses)
    return {**out, "truth": _truth(true_effect, missing_effect)}


def built_in_truth(data_dir) -> dict[str, float] | None:
    """The built-in rate ratio per outcome of synthetic extracts drawn by
    :func:`generate` (read from their ``manifest.json``); ``None``
    for any other data (never for real data)."""
    import json
    from pathlib import Path

    path = Path(data_dir) / "manifest.json"
    if not path.exists():
        return None
    manifest = json.loads(path.read_text())
    if manifest.get("generators", {}).get("police_persons") != "socdata.datasets.police.generate":
        return None
    t = generate(manifest["seed"])["truth"]
    return dict(zip(t["outcome"], t["rate_ratio"], strict=True))


def _check_hazard(referral_hazard) -> tuple[float, ...]:
    """``referral_hazard`` as four floats, checked."""
    hazard = tuple(float(v) for v in referral_hazard)
    if len(hazard) != 4 or hazard[0] <= 0 or min(hazard) < 0:
        raise SocdataError(
            f"generate(): referral_hazard={referral_hazard!r} breaks the rule 'four "
            "non-negative numbers, the first positive'; pass e.g. (0.12, 3.0, 1.2, 0.8)."
        )
    return hazard


def _select(rng, pop, ref: _Referral, has_record, k_ref, found_rate, comparators_per_engager):
    """Who is in the extracts: referred people the force found, and the comparator pool."""
    referred = ref.referred
    found = np.zeros(pop.n, bool)
    reason = np.full(pop.n, None, object)
    for a in pop.area_names:
        ref_a = referred[pop.area_of[referred] == a]
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
    for a in pop.area_names:
        cand = np.flatnonzero((pop.area_of == a) & ~pop.eligible & has_record)
        pools.append(rng.permutation(cand)[: round(k_ref[a] * comparators_per_engager)])
    return found, reason, np.sort(np.concatenate(pools))


def _frames(pop: _Population, ref: _Referral, found, reason, comparators, events, misses):
    """The extracts (persons, events, missing) and the list of referred young people."""
    referred = ref.referred
    engagers = np.flatnonzero(found)
    ids = np.full(pop.n, None, object)
    ids[referred] = [f"SYN-P-{k:06d}" for k in range(1, referred.size + 1)]
    ids[comparators] = [f"SYN-PC-{k:06d}" for k in range(1, comparators.size + 1)]
    in_extract = np.zeros(pop.n, bool)
    in_extract[engagers] = True
    in_extract[comparators] = True
    ref_full = np.full(pop.n, np.datetime64("NaT", "ns"), "datetime64[ns]")
    ref_full[referred] = ref.ref_date
    order = np.concatenate([engagers, comparators])
    police_persons = pd.DataFrame(
        {
            "person_id": ids[order],
            "group": np.where(ref.ref_t[order] >= 0, "Engager", "Comparator"),
            "police_force": pop.force_of[order],
            "area": pop.area_of[order],
            "birth_month": pd.DatetimeIndex(pop.birth[order]).strftime("%Y-%m"),
            "gender": np.where(pop.male[order], "Male", "Female"),
            "ethnicity": pop.eth[order],
            "deprivation_decile": pop.dep[order].astype("int64"),
            "deprivation_index": [AREAS[a].index for a in pop.area_of[order]],
            "referral_date": pd.to_datetime(ref_full[order]),
            "extract_date": pop.extract[order],
        }
    )
    ev = events.reset_index(drop=True)
    ev = ev[in_extract[ev["_i"].to_numpy()]]
    ev = ev.assign(person_id=ids[ev["_i"].to_numpy()])
    ev = ev.sort_values(["person_id", "event_date", "_order"], kind="stable", ignore_index=True)
    scot = pop.force_of[ev["_i"].to_numpy()] == "Police Scotland"
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
            "area": pop.area_of[referred],
            "police_force": pop.force_of[referred],
            "referral_date": pd.to_datetime(ref.ref_date),
            "found_in_police_data": found[referred],
            "reason_not_found": reason[referred],
        }
    )
    return {
        "police_persons": police_persons,
        "police_events": police_events.reset_index(drop=True),
        "police_missing": police_missing.reset_index(drop=True),
        "referred": referred_list,
    }


def referred_list(
    data_dir: str | Path,
    persons: pd.DataFrame,
    *,
    referred_file: str | Path | None = None,
    synthetic: bool = False,
) -> pd.DataFrame | None:
    """The list of referred young people (``person_id``, ``area``) for a data folder.

    In order: ``referred_file``; ``police_referred.csv`` in ``data_dir``; for synthetic
    extracts made by :func:`generate` (``synthetic=True`` and the folder's
    ``manifest.json`` names this generator and its seed), the list regenerated from that
    seed, used only if its young people found in police data are exactly the engagers of
    ``persons``. ``None`` when there is none (the flow then starts at the engagers found).
    """
    data_dir = Path(data_dir)
    if referred_file is not None:
        return pd.read_csv(referred_file, dtype={"person_id": str})
    if (data_dir / "police_referred.csv").exists():
        return pd.read_csv(data_dir / "police_referred.csv", dtype={"person_id": str})
    manifest = data_dir / "manifest.json"
    if not synthetic or not manifest.exists():
        return None
    meta = json.loads(manifest.read_text(encoding="utf-8"))
    if meta.get("generators", {}).get("police_persons") != "socdata.datasets.police.generate":
        return None
    regen = generate(meta["seed"])["referred"]
    engagers = set(persons.loc[persons["group"].astype(str) == "Engager", "person_id"].astype(str))
    if set(regen.loc[regen["found_in_police_data"], "person_id"]) != engagers:
        return None
    return regen[["person_id", "area"]]
