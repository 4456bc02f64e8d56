"""Benchmark: estimates from Parquet on disk through cohort statistics (socdata.scale).

A staggered person-month panel (48 months; half the people ever treated, first treated
period uniform on months 12-36; ``person_id``, ``period``, ``cohort``, ``y``) is written
to Parquet in chunks of people, sorted by person and period.  Each case runs in a fresh
subprocess (``benchmarks._common.run_case``: peak memory includes everything the case
reads) and times:

* ``floor``: one DuckDB ``GROUP BY cohort, period`` (count, sum of ``y``) over the same
  file: the least any engine-side estimate must read;
* ``socdata att_gt``: ``did.att_gt(path, ...)`` + the four aggregations (analytic SEs);
* ``socdata event_study``: ``did.event_study(path, ...)`` (window -12..12, binned);
* ``socdata twfe``: ``did.twfe(path, ..., cohort="cohort")`` (CRV1 by person);
* ``socdata event_study`` on the file read into a pandas frame (in memory, up to 1M);
* ``scatter floor (in memory)``: per-cohort means and scatter matrices of the ``n x 48``
  outcome matrix of the frame in memory (the least an in-memory ATT(g,t) must compute);
  ``socdata att_gt (pandas frame in memory)`` is compared with it (up to 1M);
* ``pyfixest feols``: ``feols("y ~ treated | person_id + period", CRV1 by person)`` on the
  file read into pandas (reading timed separately) -- only where the frame fits.

Run from the repository root (the 10M run needs ~6 GB of disk in ``--dir`` and runs long:
use ``nice``)::

    python -m benchmarks.bench_scale --sizes 1000000
    nice python -m benchmarks.bench_scale --sizes 10000000 --no-peer

``--path FILE`` reuses (or writes) the panel file, ``--only floor att_gt`` runs the cases
whose function names contain those words; each record carries the load average before
and after its case.  Peers for ATT(g,t) (csdid, diff-diff, moderndid):
``bench_scale_peers.py``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from benchmarks._common import format_table, machine_description, run_case, timed

N_MONTHS = 48
KW = dict(outcome="y", unit="person_id", time="period", cohort="cohort")


def timed_median(fn, repeat: int) -> tuple[object, dict]:
    """``fn``'s value and its median and fastest seconds over ``repeat`` calls (the
    in-memory cases take about a second, where one call varies by a quarter)."""
    runs = [timed(fn) for _ in range(max(1, repeat))]
    secs = sorted(s for _, s in runs)
    return runs[-1][0], {
        "seconds": float(np.median(secs)),
        "min_seconds": secs[0],
        "runs": len(secs),
    }


def write_panel(path: str, n_people: int, chunk: int = 500_000, seed: int = 0) -> None:
    """Write the panel to ``path`` in chunks of people (memory ~ one chunk)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = N_MONTHS
    writer = None
    for c, start in enumerate(range(0, n_people, chunk)):
        n = min(chunk, n_people - start)
        rng = np.random.default_rng([seed, c])
        ever = rng.random(n) < 0.5
        cohort = np.where(ever, rng.integers(t // 4, 3 * t // 4 + 1, size=n), 0)
        period = np.tile(np.arange(1, t + 1, dtype=np.int64), n)
        coh = np.repeat(cohort.astype(np.int64), t)
        y = (
            np.repeat(rng.normal(size=n), t)
            + np.sin(period / 6.0) * 0.3
            + rng.normal(size=n * t)
            - 0.5 * ((coh > 0) & (period >= coh))
        )
        table = pa.table(
            {
                "person_id": np.repeat(np.arange(start, start + n, dtype=np.int64), t),
                "period": period,
                "cohort": coh,
                "y": y,
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=1 << 20)
    writer.close()


def case_floor(path: str, columns: tuple[str, ...] = ("y",)) -> dict:
    """One DuckDB GROUP BY over the file, summing ``columns`` (the memory-bandwidth floor)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    sums = ", ".join(f"sum({c})" for c in columns)
    q = (
        f"SELECT cohort, period, count(*), {sums} FROM read_parquet('{path}') "
        "GROUP BY cohort, period"
    )
    rows, seconds = timed(lambda: con.execute(q).fetchall())
    return {"seconds": seconds, "groups": len(rows)}


def _warm(fn) -> None:
    """First-call costs (imports of duckdb, scipy.stats) on a tiny file, not timed."""
    with tempfile.TemporaryDirectory() as tmp:
        small = str(Path(tmp) / "warm.parquet")
        write_panel(small, 200)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(small)


def case_att_gt(path: str) -> dict:
    import socdata.did as did

    _warm(lambda p: [did.att_gt(p, **KW).aggregate(k) for k in ("simple", "dynamic")])

    def run():
        res = did.att_gt(path, **KW)
        return res, [res.aggregate(k).tidy() for k in ("simple", "group", "dynamic", "calendar")]

    (res, aggs), seconds = timed(run)
    return {
        "seconds": seconds,
        "estimate": float(aggs[0]["estimate"].iloc[0]),
        "std_error": float(aggs[0]["std_error"].iloc[0]),
        "n_cells": len(res.cells),
    }


def case_event_study(path: str) -> dict:
    import socdata.did as did

    _warm(lambda p: did.event_study(p, **KW, window=(-3, 3)))

    res, seconds = timed(lambda: did.event_study(path, **KW))
    row = res.tidy().set_index("event_time").loc[0]
    return {
        "seconds": seconds,
        "estimate": float(row["estimate"]),
        "std_error": float(row["std_error"]),
    }


def case_twfe(path: str) -> dict:
    import socdata.did as did

    _warm(lambda p: did.twfe(p, **KW))

    res, seconds = timed(lambda: did.twfe(path, **KW))
    return {
        "seconds": seconds,
        "estimate": float(res.coef[0]),
        "std_error": float(res.std_errors[0]),
    }


def case_event_study_frame(path: str, repeat: int = 1) -> dict:
    """The event study on the panel as a pandas frame in memory (cohort statistics)."""
    import pandas as pd

    import socdata.did as did

    _warm(lambda p: did.event_study(pd.read_parquet(p), **KW, window=(-3, 3)))
    frame = pd.read_parquet(path)
    res, times = timed_median(lambda: did.event_study(frame, **KW), repeat)
    row = res.tidy().set_index("event_time").loc[0]
    return {
        **times,
        "frame_gb": frame.memory_usage(deep=True).sum() / 1e9,
        "estimate": float(row["estimate"]),
        "std_error": float(row["std_error"]),
    }


def case_scatter_floor(path: str, repeat: int = 1) -> dict:
    """The least an in-memory ATT(g,t) must do: per-cohort means and scatter matrices of
    the ``n x 48`` outcome matrix of the frame (already sorted and balanced)."""
    import pandas as pd

    from socdata.did._threads import single_threaded_blas
    from socdata.scale.moments import moments_from_wide

    frame = pd.read_parquet(path)
    y = frame["y"].to_numpy().reshape(-1, N_MONTHS)
    g = frame["cohort"].to_numpy()[::N_MONTHS].astype(float)
    labels = np.arange(1, N_MONTHS + 1)
    run = single_threaded_blas(
        lambda: moments_from_wide(y, g, time_labels=labels, time_kind="numeric")
    )
    run()
    _, times = timed_median(run, repeat)
    return times


def case_att_gt_frame(path: str, repeat: int = 1) -> dict:
    """``did.att_gt`` + four aggregations on the file read into a pandas frame."""
    import pandas as pd

    import socdata.did as did

    _warm(lambda p: did.att_gt(pd.read_parquet(p), **KW).aggregate("simple"))
    frame = pd.read_parquet(path)

    def run():
        res = did.att_gt(frame, **KW)
        return [res.aggregate(k).tidy() for k in ("simple", "group", "dynamic", "calendar")]

    aggs, times = timed_median(run, repeat)
    return {
        **times,
        "estimate": float(aggs[0]["estimate"].iloc[0]),
        "std_error": float(aggs[0]["std_error"].iloc[0]),
    }


def case_pyfixest(path: str) -> dict:
    import pandas as pd
    import pyfixest as pf

    frame, read_s = timed(lambda: pd.read_parquet(path))
    frame["treated"] = ((frame["cohort"] > 0) & (frame["period"] >= frame["cohort"])).astype(
        np.int8
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm = frame.iloc[: 50 * N_MONTHS]
        pf.feols("y ~ treated | person_id + period", data=warm, vcov={"CRV1": "person_id"})
        fit, seconds = timed(
            lambda: pf.feols(
                "y ~ treated | person_id + period", data=frame, vcov={"CRV1": "person_id"}
            )
        )
    return {
        "seconds": seconds,
        "read_seconds": read_s,
        "estimate": float(fit.coef().iloc[0]),
        "std_error": float(fit.se().iloc[0]),
    }


CASES = {
    "floor (DuckDB GROUP BY)": "case_floor",
    "socdata att_gt + 4 aggregations": "case_att_gt",
    "socdata event_study": "case_event_study",
    "socdata twfe (cohort=)": "case_twfe",
    "scatter floor (in memory)": "case_scatter_floor",
    "socdata att_gt + 4 aggregations (pandas frame in memory)": "case_att_gt_frame",
    "socdata event_study (pandas frame in memory)": "case_event_study_frame",
    "pyfixest feols (in memory)": "case_pyfixest",
}


REPEATED = ("case_event_study_frame", "case_scatter_floor", "case_att_gt_frame")
IN_MEMORY = ("case_pyfixest", "case_event_study_frame", "case_scatter_floor", "case_att_gt_frame")


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--dir", default=None, help="folder for the Parquet files (default: tmp)")
    ap.add_argument("--no-peer", action="store_true", help="skip pyfixest")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--only", nargs="+", default=None, help="cases whose name contains these")
    ap.add_argument("--path", default=None, help="an existing panel file (written if absent)")
    ap.add_argument(
        "--repeat", type=int, default=5,
        help="timed calls of each in-memory case (median reported, fastest beside it)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    print(machine_description())
    print(f"load average before: {os.getloadavg()}")
    records = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for n in args.sizes:
            path = args.path or str(Path(tmp) / f"panel_{n}.parquet")
            if not Path(path).exists():
                _, wsec = timed(lambda path=path, n=n: write_panel(path, n))
                print(f"wrote {n:,} people x {N_MONTHS} months in {wsec:.0f} s")
            print(f"{path}: {Path(path).stat().st_size / 1e9:.2f} GB")
            floor = scatter_floor = None
            for label, fn in CASES.items():
                in_memory = fn in IN_MEMORY
                if args.only and not any(o in fn for o in args.only):
                    continue
                if (in_memory and n > 1_000_000) or (fn == "case_pyfixest" and args.no_peer):
                    continue
                load = os.getloadavg()[0]
                extra = {"repeat": args.repeat} if fn in REPEATED else {}
                rec = run_case(
                    f"benchmarks.bench_scale:{fn}", timeout=args.timeout, path=path, **extra
                )
                rec.update(implementation=label, n_people=n, rows=n * N_MONTHS)
                rec.update(load_before=round(load, 1), load_after=round(os.getloadavg()[0], 1))
                if fn == "case_floor":
                    floor = rec.get("seconds")
                if fn == "case_scatter_floor":
                    scatter_floor = rec.get("seconds")
                if rec.get("ok") and floor and (not in_memory or fn == "case_pyfixest"):
                    rec["ratio_to_floor"] = rec["seconds"] / floor
                if rec.get("ok") and fn == "case_att_gt_frame" and scatter_floor:
                    rec["ratio_to_floor"] = rec["seconds"] / scatter_floor
                records.append(rec)
                print(label, {k: rec.get(k) for k in ("seconds", "peak_gb", "ok", "error")})
    print(f"load average after: {os.getloadavg()}")
    print(
        format_table(
            records,
            [
                "n_people",
                "implementation",
                "seconds",
                "min_seconds",
                "peak_gb",
                "ratio_to_floor",
                "estimate",
                "std_error",
                "read_seconds",
                "load_before",
                "load_after",
            ],
        )
    )
    return records


if __name__ == "__main__":
    main()
