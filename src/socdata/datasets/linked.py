"""One linked synthetic cohort: the June 2023 service cohort seen from the police side too.

The bundled ``service`` extract (223 referrals, June 2023) and the bundled ``police_*``
extracts (190 of 248 engagers, March 2024) are two disjoint synthetic cohorts, as the two
publications describe different counts for the same period. This module builds one cohort in
which a child's service record, case files and police record belong together, and writes it as
six further extract kinds (``vulnerability``, ``nrm``, ``missing_detail``, ``arrest_outcomes``,
``assessments``, ``linkage_identifiers``). It calls :func:`socdata.soceis.synthetic.generate`
and never changes the six core kinds.

Where the publications can both hold, the cohort satisfies both:

* the service side is the 223 children of the June 2023 report (same person ids and dates);
* 77% of the children are found in police data (190/248 in March 2024), applied to the 221
  children of the 223 referrals: 170 (76.9%, printed 77%; 221 x 190/248 = 169.3 would print
  76%); and to the 50 children added below: 38 (no count out of 50 gives 77%);
* Cardiff has 84 children in the June 2023 extract (to October 2022) and 35 more referred in
  2023, so that Action for Children's "119 supported from 2020-2023" holds; 70% of the 119
  (83 children) have missing concerns, with 140 missing incidents before referral and 85 after;
* Flintshire's current cohort is 15 children profiled from case files (Nov 2023 - Mar 2024);
  the printed percentages that no count out of 15 gives are drawn at the nearest count
  (see ``docs/findings/linked_cohort.md``).

The truth of the linkage (which police record is which child) is returned by
:func:`generate` as ``"truth"``; it is not an extract and is not written to disk.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd

from socdata.datasets import LINKED_KINDS
from socdata.datasets import linked_case_files as case_files
from socdata.datasets import linked_police as police_side
from socdata.paths import synthetic_dir
from socdata.provenance import hash_file

__all__ = [
    "CARDIFF_EXTRA",
    "FLINTSHIRE_N",
    "FOUND_IN_POLICE",
    "LINKED_KINDS",
    "bundled_truth",
    "cohort_register",
    "generate",
]

#: Share of referred children found in police data (March 2024: 190/248).
FOUND_IN_POLICE: tuple[int, int] = (190, 248)
#: Cardiff children referred after the June 2023 extract (84 + 35 = 119 supported 2020-2023).
CARDIFF_EXTRA = 35
#: Flintshire's current cohort (Action for Children submission, line 61).
FLINTSHIRE_N = 15

DEFAULT_SEED = 20230601
_NATION = {"Cardiff": "Wales", "Flintshire": "Wales", "Newcastle": "England"}
_INDEX = {"Wales": "WIMD", "England": "IMD", "Scotland": "SIMD", "Northern Ireland": "NIMDM"}


def _extra_children(
    rng: np.random.Generator, n: int, area: str, prefix: str, lo: str, hi: str
) -> pd.DataFrame:
    start, end = pd.Timestamp(lo), pd.Timestamp(hi)
    days = rng.integers(0, (end - start).days + 1, size=n)
    referral = start + pd.to_timedelta(days, unit="D")
    age = rng.integers(12, 18, size=n)
    dob = referral - pd.to_timedelta(age * 365 + rng.integers(0, 365, size=n), unit="D")
    nation = _NATION.get(area, "Scotland")
    return pd.DataFrame(
        {
            "person_id": [f"{prefix}{i + 1:04d}" for i in range(n)],
            "area": area,
            "nation": nation,
            "date_of_birth": dob.normalize(),
            "gender": np.where(rng.random(n) < 0.9, "Male", "Female"),
            "deprivation_decile": rng.integers(1, 6, size=n),
            "deprivation_index": _INDEX[nation],
            "referral_date": referral.normalize(),
            "case_status": "Open",
            "intervention_start_date": (referral + pd.Timedelta(days=14)).normalize(),
            "intervention_end_date": pd.NaT,
            "closure_reason": pd.NA,
            "in_service_extract": False,
        }
    )


def cohort_register(service: pd.DataFrame, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """One row per child of the linked cohort.

    Parameters
    ----------
    service
        The ``service`` frame of :func:`socdata.soceis.synthetic.generate` (first referral
        of each person is kept).
    seed
        Seed for the children added after the June 2023 extract.

    Returns
    -------
    pandas.DataFrame
        ``person_id, area, nation, date_of_birth, gender, deprivation_decile,
        deprivation_index, referral_date, case_status, intervention_start_date,
        intervention_end_date, closure_reason, in_service_extract``.
    """
    rng = np.random.default_rng([seed, 12])
    cols = [
        "person_id",
        "area",
        "nation",
        "date_of_birth",
        "gender",
        "deprivation_decile",
        "deprivation_index",
        "referral_date",
        "case_status",
        "intervention_start_date",
        "intervention_end_date",
        "closure_reason",
    ]
    first = service.sort_values(["person_id", "referral_date"]).drop_duplicates("person_id")
    base = first[cols].copy()
    base["in_service_extract"] = True
    cardiff = _extra_children(rng, CARDIFF_EXTRA, "Cardiff", "SYN-YP-C", "2023-01-01", "2023-12-15")
    flint = _extra_children(rng, FLINTSHIRE_N, "Flintshire", "SYN-YP-F", "2023-11-01", "2024-03-15")
    out = pd.concat([base, cardiff, flint], ignore_index=True)
    for c in ("date_of_birth", "referral_date", "intervention_start_date", "intervention_end_date"):
        out[c] = pd.to_datetime(out[c])
    out["deprivation_decile"] = out["deprivation_decile"].astype("Int64")
    return out.reset_index(drop=True)


def generate(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Generate the linked cohort's extracts.

    Returns
    -------
    dict
        One canonical frame per kind of :data:`LINKED_KINDS`, plus ``"register"`` (the cohort,
        one row per child) and ``"truth"`` (``service_id, police_id``: which police record is
        which child). Same seed, same frames.
    """
    register, rng = _cohort(seed)
    police = police_side.generate_police_side(register, rng)
    vul = case_files.vulnerability(register, rng)
    frames: dict[str, pd.DataFrame] = {
        "vulnerability": vul,
        "nrm": case_files.nrm(register, rng),
        "missing_detail": case_files.missing_detail(register, rng, vul),
        "arrest_outcomes": police["arrest_outcomes"],
        "assessments": case_files.assessments(register, rng),
        "linkage_identifiers": police["linkage_identifiers"],
        "register": register,
        "truth": police["truth"],
    }
    return frames


def bundled_truth(identifiers_file: str | Path | None) -> pd.DataFrame | None:
    """``service_id, police_id`` of the true pairs of the bundled cohort, else ``None``.

    The truth is not a file: it is regenerated by :func:`generate` with the seed of the bundled
    manifest, and only when ``identifiers_file`` is byte-for-byte the bundled
    ``linkage_identifiers.csv`` (a real or edited file, or none, has no truth).
    """
    if identifiers_file is None:
        return None
    path = Path(identifiers_file)
    manifest = synthetic_dir() / "manifest.json"
    if not path.is_file() or not manifest.is_file():
        return None
    m = json.loads(manifest.read_text(encoding="utf-8"))
    if m.get("files", {}).get("linkage_identifiers.csv") != hash_file(path):
        return None
    return _truth(int(m["seed"])).copy()


def _cohort(seed: int) -> tuple[pd.DataFrame, np.random.Generator]:
    """The cohort register and the generator of every later draw of :func:`generate`."""
    from socdata.soceis import synthetic

    service = synthetic.generate(seed)["service"]
    return cohort_register(service, seed), np.random.default_rng([seed, 1212])


@functools.cache
def _truth(seed: int) -> pd.DataFrame:
    # generate(seed)["truth"] without the draws after it (rates, arrests, case files)
    register, rng = _cohort(seed)
    return police_side.truth_pairs(police_side.police_records(register, rng)[1])
