"""Benchmark: Poisson FE (PPML) with person-clustered SEs, socdata vs pyfixest ``fepois``.

Run from the repository root::

    python -m benchmarks.bench_poisson                    # 10k, 100k, 1M people x 48 months
    python -m benchmarks.bench_poisson --sizes 10000 100000 --peer-max 100000

Each case runs in its own subprocess (peak memory includes the data frame); see
``benchmarks/README.md`` for the recorded figures.
"""

from __future__ import annotations

import argparse
import json
import warnings

from benchmarks._common import format_table, machine_description, make_panel, run_case, timed

COLUMNS = ["person_id", "month", "treatment", "arrests"]


def case_socdata(n_people: int) -> dict:
    """socdata.did.poisson_twfe (IRLS, exact weighted demeaning, tol 1e-10)."""
    import socdata.did as did

    frame = make_panel(n_people, columns=COLUMNS)
    kw = dict(outcome="arrests", unit="person_id", time="month", treatment="treatment")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        did.poisson_twfe(make_panel(50, 6, columns=COLUMNS), **kw)  # imports
        res, seconds = timed(lambda: did.poisson_twfe(frame, **kw))
    return {
        "seconds": seconds,
        "rows": len(frame),
        "rows_used": res.n_obs,
        "iterations": res.iterations,
        "estimate": float(res.coef[0]),
        "std_error": float(res.std_errors[0]),
    }


def case_pyfixest(n_people: int) -> dict:
    """pyfixest.fepois with ``| person_id + month``, CRV1 by person (default iwls_tol 1e-8)."""
    import pyfixest as pf

    frame = make_panel(n_people, columns=COLUMNS)
    fml = "arrests ~ treatment | person_id + month"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pf.fepois(fml, data=make_panel(50, 6, columns=COLUMNS), vcov={"CRV1": "person_id"})
        fit, seconds = timed(lambda: pf.fepois(fml, data=frame, vcov={"CRV1": "person_id"}))
    return {
        "seconds": seconds,
        "rows": len(frame),
        "rows_used": int(fit._N),
        "estimate": float(fit.coef().iloc[0]),
        "std_error": float(fit.se().iloc[0]),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--no-peer", action="store_true", help="skip pyfixest")
    ap.add_argument(
        "--peer-max",
        type=int,
        default=10**9,
        help="largest size at which pyfixest is run (memory on a shared machine)",
    )
    ap.add_argument("--json", help="write the records to this file")
    args = ap.parse_args(argv)
    print(machine_description())
    records = []
    for n in args.sizes:
        cases = [("socdata", "benchmarks.bench_poisson:case_socdata")]
        if not args.no_peer and n <= args.peer_max:
            cases.append(("pyfixest fepois", "benchmarks.bench_poisson:case_pyfixest"))
        for name, target in cases:
            rec = run_case(target, timeout=3600, n_people=n)
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
                "rows_used",
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
