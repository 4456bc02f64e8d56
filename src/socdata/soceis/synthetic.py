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

from socdata.soceis._synthetic_base import (
    _DOMAIN_YES,
    _PARTICIPANT_AREAS,
    _PHASE1,
    _PHASE2,
    _PHASE3,
    _PLANS_N,
    _TABLE1_ROLES,
    AREAS,
    DEFAULT_SEED,
    DOMAINS,
    EXTRACT_DATES,
    NATIONS,
    _rand_day,
)
from socdata.soceis._synthetic_service import _service

__all__ = [
    "AREAS",
    "DEFAULT_SEED",
    "DOMAINS",
    "EXTRACT_DATES",
    "NATIONS",
    "generate",
]


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
