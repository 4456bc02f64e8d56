"""Benchmark: group-time ATT(g,t) without covariates, analytic SEs, all four aggregations.

Each case runs in a fresh subprocess (``benchmarks._common.run_case``) that builds the panel
as a user would pass it (a pandas frame sorted by person and month, 48 months) and times
``socdata.did.att_gt(...)`` plus ``.aggregate(kind)`` for the four kinds.  The peer is
``csdid`` (Python port of R did) with ``bstrap=False`` and its four ``aggte`` calls, on the
same frame; it is run at 10,000 and 100,000 people only (it needs ~20 s at 100,000 and runs
out of memory at 1,000,000).  Estimates of the two are compared in the same run.

Run from the repository root::

    python -m benchmarks.bench_att_gt                       # 10k, 100k (+ csdid), 1M
    python -m benchmarks.bench_att_gt --sizes 10000 --no-peer
"""

from __future__ import annotations

import argparse
import sys
import warnings

from benchmarks._common import format_table, machine_description, make_panel, run_case, timed

COLUMNS = ["person_id", "period", "cohort", "y"]
KINDS = ("simple", "group", "dynamic", "calendar")


def case_socdata(n_people: int, shuffle: bool = False) -> dict:
    """socdata.did.att_gt + four aggregations on a generated panel."""
    import socdata.did as did

    # import before timing (scipy.stats etc. are imported once per process)
    did.att_gt  # noqa: B018
    frame = make_panel(n_people, columns=COLUMNS, shuffle=shuffle)

    def run():
        res = did.att_gt(frame, outcome="y", unit="person_id", time="period", cohort="cohort")
        return res, [res.aggregate(k).tidy() for k in KINDS]

    (res, aggs), seconds = timed(run)
    return {
        "seconds": seconds,
        "n_cells": len(res.cells),
        "simple": float(aggs[0]["estimate"].iloc[0]),
        "simple_se": float(aggs[0]["std_error"].iloc[0]),
        "dynamic": float(aggs[2]["estimate"].iloc[0]),
        "dynamic_se": float(aggs[2]["std_error"].iloc[0]),
    }


def case_frame_only(n_people: int) -> dict:
    """Build the frame only: the peak memory of the data (generation included)."""
    import socdata.did as did

    did.att_gt  # noqa: B018  (same imports as case_socdata)
    frame = make_panel(n_people, columns=COLUMNS)
    return {"seconds": 0.0, "frame_gb": float(frame.memory_usage(deep=True).sum() / 1024**3)}


def case_csdid(n_people: int) -> dict:
    """csdid ATTgt(...).fit(bstrap=False) + four aggte calls on the same panel."""
    from csdid.att_gt import ATTgt

    frame = make_panel(n_people, columns=COLUMNS)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = ATTgt(yname="y", gname="cohort", idname="person_id", tname="period", data=frame)
            m.fit(est_method="dr", bstrap=False)
            out = []
            for k in KINDS:
                m.aggte(k, bstrap=False)
                out.append((m.atte["overall_att"], m.atte["overall_se"]))
        return out

    out, seconds = timed(run)
    return {
        "seconds": seconds,
        "simple": float(out[0][0]),
        "simple_se": float(out[0][1]),
        "dynamic": float(out[2][0]),
        "dynamic_se": float(out[2][1]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--no-peer", action="store_true", help="skip csdid")
    ap.add_argument("--peer-max", type=int, default=100_000, help="largest size for csdid")
    ap.add_argument("--shuffled", action="store_true", help="also time a shuffled frame")
    args = ap.parse_args(argv)
    print(machine_description(), flush=True)
    records = []
    for n in args.sizes:
        base = run_case("benchmarks.bench_att_gt:case_frame_only", n_people=n)
        base["impl"] = "frame only (make_panel)"
        records.append(base)
        print(base, flush=True)
        rec = run_case("benchmarks.bench_att_gt:case_socdata", n_people=n)
        rec["impl"] = "socdata"
        records.append(rec)
        print(rec, flush=True)
        if args.shuffled:
            rec = run_case("benchmarks.bench_att_gt:case_socdata", n_people=n, shuffle=True)
            rec["impl"] = "socdata (shuffled rows)"
            records.append(rec)
            print(rec, flush=True)
        if not args.no_peer and n <= args.peer_max:
            peer = run_case("benchmarks.bench_att_gt:case_csdid", n_people=n, timeout=1800)
            peer["impl"] = "csdid"
            ours = records[-1 - int(args.shuffled)]  # the sorted-frame socdata case
            if peer.get("ok") and ours.get("ok"):
                peer["speedup"] = peer["seconds"] / ours["seconds"]
                peer["max_abs_diff"] = max(
                    abs(peer[k] - ours[k]) for k in ("simple", "simple_se", "dynamic", "dynamic_se")
                )
            records.append(peer)
            print(peer, flush=True)
        print(machine_description(), flush=True)
    cols = [
        "impl",
        "n_people",
        "seconds",
        "peak_gb",
        "frame_gb",
        "speedup",
        "max_abs_diff",
        "simple",
        "simple_se",
        "ok",
    ]
    print(format_table(records, cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
