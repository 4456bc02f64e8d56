"""Benchmark: two-way fixed effects with person-clustered SEs, socdata vs pyfixest ``feols``.

Run from the repository root::

    python -m benchmarks.bench_twfe                      # 10k, 100k, 1M people x 48 months
    python -m benchmarks.bench_twfe --sizes 10000 --no-peer

Each case runs in its own subprocess (peak memory includes the data frame); see
``benchmarks/README.md`` for the recorded figures.
"""

from __future__ import annotations

import argparse
import json
import warnings

from benchmarks._common import format_table, machine_description, make_panel, run_case, timed

COLUMNS = ["person_id", "month", "treatment", "y"]


def case_socdata(n_people: int, balanced: bool = True) -> dict:
    """socdata.did.twfe on a (balanced or unbalanced) panel sorted by person and month."""
    import socdata.did as did

    frame = make_panel(n_people, balanced=balanced, columns=COLUMNS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm = make_panel(50, 6, columns=COLUMNS)  # imports, first-call costs
        did.twfe(warm, outcome="y", unit="person_id", time="month", treatment="treatment")
        res, seconds = timed(
            lambda: did.twfe(
                frame, outcome="y", unit="person_id", time="month", treatment="treatment"
            )
        )
    return {
        "seconds": seconds,
        "rows": len(frame),
        "estimate": float(res.coef[0]),
        "std_error": float(res.std_errors[0]),
    }


def case_pyfixest(n_people: int, balanced: bool = True) -> dict:
    """pyfixest.feols with ``| person_id + month`` and CRV1 by person (its defaults)."""
    import pyfixest as pf

    frame = make_panel(n_people, balanced=balanced, columns=COLUMNS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm = make_panel(50, 6, columns=COLUMNS)  # imports, numba JIT compilation
        pf.feols("y ~ treatment | person_id + month", data=warm, vcov={"CRV1": "person_id"})
        fit, seconds = timed(
            lambda: pf.feols(
                "y ~ treatment | person_id + month", data=frame, vcov={"CRV1": "person_id"}
            )
        )
    return {
        "seconds": seconds,
        "rows": len(frame),
        "estimate": float(fit.coef().iloc[0]),
        "std_error": float(fit.se().iloc[0]),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--no-peer", action="store_true", help="skip pyfixest")
    ap.add_argument("--unbalanced", action="store_true", help="also time unbalanced panels")
    ap.add_argument("--json", help="write the records to this file")
    args = ap.parse_args(argv)
    print(machine_description())
    records = []
    for n in args.sizes:
        cases = [("socdata", "benchmarks.bench_twfe:case_socdata", True)]
        if args.unbalanced:
            cases.append(
                (
                    "socdata (unbalanced, 10% cells missing)",
                    "benchmarks.bench_twfe:case_socdata",
                    False,
                )
            )
        if not args.no_peer:
            cases.append(("pyfixest feols", "benchmarks.bench_twfe:case_pyfixest", True))
        for name, target, balanced in cases:
            rec = run_case(target, timeout=1800, n_people=n, balanced=balanced)
            rec["implementation"] = name
            records.append(rec)
            print(json.dumps(rec, default=str), flush=True)
        ours = next(r for r in records if r["n_people"] == n and r["implementation"] == "socdata")
        peer = [r for r in records if r["n_people"] == n and r["implementation"].startswith("pyf")]
        if peer and peer[0].get("ok") and ours.get("ok"):
            ours["speedup_vs_pyfixest"] = peer[0]["seconds"] / ours["seconds"]
            ours["abs_diff_estimate"] = abs(peer[0]["estimate"] - ours["estimate"])
            ours["rel_diff_se"] = abs(peer[0]["std_error"] / ours["std_error"] - 1)
    print(machine_description())
    print(
        format_table(
            records,
            [
                "implementation",
                "n_people",
                "rows",
                "seconds",
                "peak_gb",
                "estimate",
                "speedup_vs_pyfixest",
                "abs_diff_estimate",
                "rel_diff_se",
            ],
        )
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(records, fh, indent=1, default=str)
    return records


if __name__ == "__main__":
    main()
