"""Benchmark: risk-set matching of engagers to comparators (``socdata.matching.risk_set_match``).

Target (issue 5): 200,000 engagers against 800,000 comparators in under 30 s.

The data are generated as a user would pass them: a ``police_persons``-like frame (one row
per person: ``person_id`` int64, ``group``, ``police_force`` of four forces, ``gender``,
``date_of_birth``, ``deprivation_decile``, ``referral_date`` for engagers) and a balanced
person-month panel (``person_id``, ``month``, ``arrests``, ``missing_episodes``) over 48
months, i.e. 48 million rows at full size.  Engagers are referred uniformly between months
13 and 48 and have higher arrest and missing rates.  Timing covers the ``risk_set_match``
call only (1:1, without replacement, logit propensity, caliper 0.2 SD), as wall-clock and
as CPU seconds of the process (the latter is the better guide when the machine is shared:
the matching is single-threaded apart from BLAS calls); peak memory includes the data.

Run from the repository root::

    python -m benchmarks.bench_matching                 # full size (200k x 800k)
    python -m benchmarks.bench_matching --engagers 20000 --comparators 80000
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from benchmarks._common import format_table, machine_description, run_case

FORCES = ("Force A", "Force B", "Force C", "Force D")


def make_data(
    n_engagers: int, n_comparators: int, n_months: int = 48, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate (panel, persons) for the benchmark."""
    rng = np.random.default_rng(seed)
    n = n_engagers + n_comparators
    t = n_months
    months = pd.date_range("2019-01-01", periods=t, freq="MS")
    eng = np.zeros(n, bool)
    eng[:n_engagers] = True
    rng.shuffle(eng)
    ref_idx = rng.integers(12, t, n)
    ref = np.where(eng, months.values[ref_idx], np.datetime64("NaT", "ns"))
    dob = np.datetime64("2004-01-01") + rng.integers(0, 6 * 365, n).astype("timedelta64[D]")
    persons = pd.DataFrame(
        {
            "person_id": np.arange(n, dtype=np.int64) * 7 + 100_000,
            "group": np.where(eng, "Engager", "Comparator"),
            "police_force": pd.Categorical.from_codes(rng.integers(0, 4, n), categories=FORCES),
            "gender": np.where(rng.random(n) < 0.8, "Male", "Female"),
            "date_of_birth": dob.astype("datetime64[ns]"),
            "deprivation_decile": rng.integers(1, 11, n),
            "referral_date": pd.to_datetime(ref),
        }
    )
    rate = np.exp(rng.normal(-2.0, 0.7, n)) * np.where(eng, 2.0, 1.0)
    lam = np.repeat(rate, t)
    panel = pd.DataFrame(
        {
            "person_id": np.repeat(persons["person_id"].to_numpy(), t),
            "month": np.tile(months.values, n),
            "arrests": rng.poisson(lam).astype(np.int32),
            "missing_episodes": rng.poisson(0.5 * lam).astype(np.int32),
        },
        copy=False,
    )
    return panel, persons


def case_socdata(n_engagers: int, n_comparators: int) -> dict:
    """Time one risk-set matching run on generated data."""
    from socdata.matching import risk_set_match

    panel, persons = make_data(n_engagers, n_comparators)
    start, cpu0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = risk_set_match(panel, persons, caliper=0.2)
    secs = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    bal = res.balance().set_index("covariate")
    return {
        "seconds": secs,
        "cpu_seconds": cpu,
        "matched": res.n_treated_matched,
        "unmatched": res.n_unmatched,
        "max_abs_smd_after": float(bal["smd_after"].abs().max()),
    }


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engagers", type=int, nargs="+", default=[200_000])
    ap.add_argument("--comparators", type=int, nargs="+", default=[800_000])
    args = ap.parse_args(argv)
    print(machine_description())
    recs = []
    for ne, nc in zip(args.engagers, args.comparators, strict=True):
        rec = run_case("benchmarks.bench_matching:case_socdata", n_engagers=ne, n_comparators=nc)
        recs.append(rec)
        print(rec, flush=True)
    print(
        format_table(
            recs,
            [
                "n_engagers",
                "n_comparators",
                "seconds",
                "cpu_seconds",
                "peak_gb",
                "matched",
                "unmatched",
                "max_abs_smd_after",
                "ok",
            ],
        )
    )


if __name__ == "__main__":
    main()
